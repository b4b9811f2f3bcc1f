//! The request and reply bodies: seneca-transport's envelope, as seneca-amqp-transport sends it.
//!
//! Request: `{id, kind:"act", origin, track, time:{client_sent}, act, sync:true}`.
//! Reply: `{id, kind:"res", origin, accept, track, time:{client_sent, listen_recv,
//! listen_sent}, sync, res}` or the same with `error: {code, message, details}` instead of
//! `res`. A Seneca client drops a reply whose `id` or `origin` differ from its request's, so
//! both are copied back.

use serde_json::{json, Map, Value};

use super::headers::now_ms;
use crate::error::{ActError, Code};

/// A request envelope that passed the checks.
#[derive(Debug)]
pub(super) struct Request {
    /// `mi/tx` (Seneca's message id); absent in a minimal request.
    pub(super) id: Option<String>,
    pub(super) origin: Option<Value>,
    pub(super) track: Value,
    pub(super) client_sent: Value,
    /// The message to act.
    pub(super) act: Value,
    /// `false`: fire-and-forget, no reply wanted.
    pub(super) sync: bool,
}

/// Why a request body was refused (rejected to the dead-letter queue, and answered with an
/// `act_invalid_msg` error when it names a reply queue).
#[derive(Debug)]
pub(super) struct Malformed {
    /// `act_invalid_msg`, or `payload_too_large`.
    pub(super) code: Code,
    pub(super) reason: String,
    /// The id, when the body was an envelope with one.
    pub(super) id: Option<String>,
    pub(super) origin: Option<Value>,
}

impl Malformed {
    /// A body over the listener's limit, left unparsed.
    pub(super) fn too_large(size: usize, limit: usize) -> Self {
        Malformed {
            code: Code::PAYLOAD_TOO_LARGE,
            reason: format!(
                "the request is {size} bytes, over the listener's {limit}-byte limit (max_message_bytes)"
            ),
            id: None,
            origin: None,
        }
    }

    fn new(reason: impl Into<String>, envelope: Option<&Map<String, Value>>) -> Self {
        Malformed {
            code: Code::ACT_INVALID_MSG,
            reason: reason.into(),
            id: envelope.and_then(|e| e.get("id")?.as_str().map(str::to_owned)),
            origin: envelope.and_then(|e| e.get("origin").cloned()),
        }
    }
}

/// Parses and checks a request body.
pub(super) fn parse_request(body: &[u8]) -> Result<Request, Malformed> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Malformed::new(format!("the request body is not JSON: {e}"), None))?;
    let Value::Object(mut envelope) = value else {
        return Err(Malformed::new(
            "the request body is not an envelope object",
            None,
        ));
    };
    match envelope.get("kind").and_then(Value::as_str) {
        Some("act") => {}
        other => {
            return Err(Malformed::new(
                format!(
                    "invalid envelope kind {}: a request must have kind \"act\"",
                    other.map_or_else(|| "(none)".to_owned(), |k| format!("\"{k}\""))
                ),
                Some(&envelope),
            ))
        }
    }
    if !envelope.get("act").is_some_and(Value::is_object) {
        return Err(Malformed::new(
            "the envelope's `act` must be a JSON object",
            Some(&envelope),
        ));
    }
    if let Some(id) = envelope.get("id") {
        if !id.is_string() {
            return Err(Malformed::new(
                "the envelope's `id` must be a string",
                Some(&envelope),
            ));
        }
    }
    let act = envelope.remove("act").unwrap_or_default();
    Ok(Request {
        id: envelope
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        origin: envelope.remove("origin"),
        track: envelope.remove("track").unwrap_or(Value::Null),
        client_sent: envelope
            .get("time")
            .and_then(|t| t.get("client_sent"))
            .cloned()
            .unwrap_or(Value::Null),
        act,
        sync: envelope
            .get("sync")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    })
}

/// A request envelope for `act`.
pub(super) fn request(id: &str, origin: &str, act: Value) -> Value {
    json!({
        "id": id,
        "kind": "act",
        "origin": origin,
        "track": [origin],
        "time": { "client_sent": now_ms() },
        "act": act,
        "sync": true,
    })
}

/// The reply envelope to `request` (or to a malformed one): `res` or `error`.
pub(super) fn reply(
    id: Option<&str>,
    origin: Option<&Value>,
    track: &Value,
    client_sent: &Value,
    received_ms: u64,
    accept: &str,
    outcome: &Result<Value, ActError>,
) -> Value {
    let mut out = Map::new();
    if let Some(id) = id {
        out.insert("id".into(), Value::String(id.to_owned()));
    }
    out.insert("kind".into(), Value::String("res".into()));
    if let Some(origin) = origin {
        out.insert("origin".into(), origin.clone());
    }
    out.insert("accept".into(), Value::String(accept.to_owned()));
    out.insert("track".into(), track.clone());
    out.insert(
        "time".into(),
        json!({ "client_sent": client_sent, "listen_recv": received_ms, "listen_sent": now_ms() }),
    );
    out.insert("sync".into(), Value::Bool(true));
    match outcome {
        Ok(res) => {
            out.insert("res".into(), res.clone());
        }
        Err(err) => {
            out.insert("error".into(), error_json(err));
        }
    }
    Value::Object(out)
}

/// An [`ActError`] as a Seneca client reads it: `message` becomes its error's message, `code`
/// its code.
fn error_json(err: &ActError) -> Value {
    let mut value = serde_json::to_value(err).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut value {
        map.insert("name".into(), Value::String("Error".into()));
    }
    value
}

/// The outcome a reply envelope carries: its `error` (Porticus's or Seneca's error object) or
/// its `res` (`null` when absent).
pub(super) fn reply_outcome(reply: Value) -> Result<Value, ActError> {
    let Value::Object(mut reply) = reply else {
        return Err(ActError::new(
            Code::ACT_EXECUTE,
            "the reply is not an envelope object",
        ));
    };
    match reply.remove("error") {
        Some(Value::Null) | None => Ok(reply.remove("res").unwrap_or(Value::Null)),
        Some(error) => Err(remote_error(&error)),
    }
}

/// Reads a remote error: `{code, message, details}` (Seneca adds `seneca`, `eraro`, … which are
/// left out). Without a code it is `act_execute`.
fn remote_error(error: &Value) -> ActError {
    let code = error
        .get("code")
        .and_then(Value::as_str)
        .map_or(Code::ACT_EXECUTE, |c| Code::new(c.to_owned()));
    let message = error
        .get("message")
        .or_else(|| error.get("msg"))
        .and_then(Value::as_str)
        .map_or_else(
            || format!("the remote action failed: {error}"),
            str::to_owned,
        );
    let details = error.get("details").cloned().unwrap_or(Value::Null);
    ActError::new(code, message).with_details(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked() {
        let ok = parse_request(
            br#"{"id":"m/t","kind":"act","origin":"o","track":["o"],"time":{"client_sent":1},"act":{"a":1},"sync":true}"#,
        )
        .unwrap();
        assert_eq!(ok.id.as_deref(), Some("m/t"));
        assert_eq!(ok.act, json!({"a": 1}));
        assert!(ok.sync);
        let minimal = parse_request(br#"{"kind":"act","act":{"a":1}}"#).unwrap();
        assert!(minimal.id.is_none() && minimal.sync);
        for (body, says) in [
            (&b"not json"[..], "not JSON"),
            (b"[1]", "not an envelope"),
            (br#"{"kind":"res","act":{}}"#, "kind \"res\""),
            (br#"{"kind":"act","act":[1]}"#, "`act`"),
            (br#"{"kind":"act","act":{},"id":5}"#, "`id`"),
        ] {
            let err = parse_request(body).unwrap_err();
            assert!(err.reason.contains(says), "{}: {}", says, err.reason);
        }
        let err =
            parse_request(br#"{"id":"x/y","origin":"o","kind":"nope","act":{}}"#).unwrap_err();
        assert_eq!(
            (err.id.as_deref(), err.origin),
            (Some("x/y"), Some(json!("o")))
        );
    }

    #[test]
    fn replies_carry_id_origin_and_errors() {
        let err = ActError::new("card_declined", "declined").with_details(json!({"card": 1}));
        let reply = reply(
            Some("m/t"),
            Some(&json!("o")),
            &json!(["o"]),
            &json!(5),
            6,
            "me",
            &Err(err.clone()),
        );
        assert_eq!(reply["kind"], "res");
        assert_eq!(reply["id"], "m/t");
        assert_eq!(reply["origin"], "o");
        assert_eq!(reply["error"]["message"], "declined");
        assert_eq!(reply_outcome(reply).unwrap_err(), err);
        let seneca = json!({"kind": "res", "res": {}, "error": {"message": "seneca: boom", "code": "act_execute", "eraro": true}});
        let err = reply_outcome(seneca).unwrap_err();
        assert_eq!(
            (err.code().as_str(), err.message()),
            ("act_execute", "seneca: boom")
        );
        assert_eq!(reply_outcome(json!({"kind": "res"})).unwrap(), Value::Null);
    }
}
