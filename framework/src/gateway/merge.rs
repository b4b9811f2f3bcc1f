//! The message a request acts: query parameters, then the JSON body's fields over them, then
//! the path parameters over those, then the route's pattern over everything. Directives from
//! the client are dropped, except `timeout$`, cut to the gateway's cap.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use serde_json::{Map, Value};

use super::reply::Failure;
use crate::error::{ActError, Code};
use crate::pattern::value::json_kind;

/// Code of a request with a body that is not `application/json` (415).
const UNSUPPORTED_MEDIA_TYPE: Code = Code::from_static("unsupported_media_type");

/// The query string's parameters, as strings; a repeated one becomes an array of strings.
pub(crate) fn query_fields(query: &str) -> Map<String, Value> {
    let mut fields = Map::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = Value::String(value.into_owned());
        match fields.get_mut(key.as_ref()) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                fields.insert(key.into_owned(), value);
            }
        }
    }
    fields
}

/// The body's fields: none for an empty body; else the body must be declared
/// `application/json` (415) and be a JSON object (400).
pub(crate) fn body_fields(
    content_type: Option<&HeaderValue>,
    body: &[u8],
) -> Result<Map<String, Value>, Failure> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    let json = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        let got = content_type.map_or_else(
            || "none".to_owned(),
            |v| format!("`{}`", String::from_utf8_lossy(v.as_bytes())),
        );
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ActError::new(
                UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "a request body must be sent with `content-type: application/json`, got {got}"
                ),
            ),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(other) => Err(Failure::invalid(format!(
            "the body must be a JSON object, got {}",
            json_kind(&other)
        ))),
        Err(e) => Err(Failure::invalid(format!("the body is not valid JSON: {e}"))),
    }
}

/// The act's deadline: the client's `timeout$` (ms, a number or a numeric string) or the
/// node's default, cut to `cap`.
pub(crate) struct Deadline {
    pub(crate) default: Duration,
    pub(crate) cap: Duration,
}

/// Merges the parts into the message, in the order of precedence (later wins).
pub(crate) fn message(
    query: Map<String, Value>,
    body: Map<String, Value>,
    params: Vec<(String, String)>,
    pattern: &Map<String, Value>,
    deadline: &Deadline,
) -> Result<Value, Failure> {
    let mut msg = query;
    msg.extend(body);
    let asked = msg.get("timeout$").map(timeout_of).transpose()?;
    msg.retain(|key, _| !key.ends_with('$'));
    msg.extend(params.into_iter().map(|(k, v)| (k, Value::String(v))));
    msg.extend(pattern.iter().map(|(k, v)| (k.clone(), v.clone())));
    let timeout = asked.unwrap_or(deadline.default).min(deadline.cap);
    msg.insert(
        "timeout$".to_owned(),
        Value::from(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
    );
    Ok(Value::Object(msg))
}

fn timeout_of(value: &Value) -> Result<Duration, Failure> {
    let ms = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    ms.filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| Duration::from_micros((ms * 1000.0) as u64))
        .ok_or_else(|| {
            Failure::invalid(format!(
                "`timeout$` must be a non-negative number of milliseconds, got {value}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEADLINE: Deadline = Deadline {
        default: Duration::from_secs(22),
        cap: Duration::from_secs(5),
    };

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn later_parts_win_and_the_pattern_wins_over_all() {
        let query = query_fields("a=q&b=q&c=q&d=q&role=evil&x=1&x=2&s=a%20b+c");
        let body = map(json!({"b": "body", "c": "body", "d": "body", "n": 1}));
        let params = vec![
            ("c".to_owned(), "path".to_owned()),
            ("d".to_owned(), "path".to_owned()),
        ];
        let pattern = map(json!({"role": "order", "d": "pattern"}));
        let msg = message(query, body, params, &pattern, &DEADLINE).unwrap();
        assert_eq!(
            msg,
            json!({"a": "q", "b": "body", "c": "path", "d": "pattern", "n": 1, "role": "order",
                "x": ["1", "2"], "s": "a b c", "timeout$": 5000})
        );
    }

    #[test]
    fn directives_are_dropped_but_timeout_which_is_capped() {
        let pattern = map(json!({"role": "a"}));
        let body = map(json!({"default$": {}, "id$": "m/t", "timeout$": 250}));
        let msg = message(Map::new(), body, vec![], &pattern, &DEADLINE).unwrap();
        assert_eq!(msg, json!({"role": "a", "timeout$": 250}));
        let query = query_fields("timeout$=60000");
        let msg = message(query, Map::new(), vec![], &pattern, &DEADLINE).unwrap();
        assert_eq!(msg["timeout$"], 5000);
        let query = query_fields("timeout$=soon");
        let err = message(query, Map::new(), vec![], &pattern, &DEADLINE).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn bodies_must_be_json_objects() {
        let json = HeaderValue::from_static("application/json; charset=utf-8");
        assert_eq!(body_fields(None, b"").unwrap(), Map::new());
        assert_eq!(body_fields(Some(&json), br#"{"a":1}"#).unwrap()["a"], 1);
        let err = body_fields(Some(&json), b"[1]").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(err.to_string().contains("got an array"), "{err}");
        let err = body_fields(Some(&json), b"{").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let text = HeaderValue::from_static("text/plain");
        let err = body_fields(Some(&text), b"{}").unwrap_err();
        assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(err.to_string().contains("got `text/plain`"), "{err}");
        let err = body_fields(None, b"{}").unwrap_err();
        assert!(err.to_string().contains("got none"), "{err}");
    }
}
