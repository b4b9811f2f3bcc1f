//! The authentication hook (`[gateway] auth`): before a request is acted, the configured
//! pattern is acted with the request's method, path, route and headers; the reply is the
//! caller's identity.

use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::reply::Failure;
use crate::error::{ActError, Code};
use crate::pattern::value::json_kind;
use crate::Node;

/// Code of a request the auth action refused (401).
pub(crate) const UNAUTHORIZED: Code = Code::from_static("unauthorized");
/// Code of a request its caller may not make (403).
pub(crate) const FORBIDDEN: Code = Code::from_static("forbidden");

/// The checked hook: the fields of its pattern.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    pub(crate) pattern: String,
    fields: Map<String, Value>,
}

/// The caller's identity, or none (the auth action answered `null`).
pub(crate) type Identity = Option<Map<String, Value>>;

impl Auth {
    /// Checks `[gateway] auth`: a pattern without globs or directives.
    pub(crate) fn new(text: &str) -> Result<Auth, String> {
        let fields = super::route::fields_of(text).map_err(|e| format!("[gateway] auth: {e}"))?;
        Ok(Auth {
            pattern: text.to_owned(),
            fields,
        })
    }

    /// Acts the hook for the request (in the trace of its `traceparent`, if any): its
    /// identity, or the failure to answer with.
    pub(crate) async fn identify(
        &self,
        node: &Node,
        parts: &Parts,
        route: &str,
    ) -> Result<Identity, Failure> {
        let msg = self.message(parts, route);
        let meta = super::request::meta(node, parts);
        match node.act_from(msg, meta).await {
            Ok(Value::Object(identity)) => Ok(Some(identity)),
            Ok(Value::Null) => Ok(None),
            Ok(other) => Err(Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ActError::execute(format!(
                    "the auth action `{}` must answer an identity object or null, got {}",
                    self.pattern,
                    json_kind(&other)
                )),
            )),
            Err(err) => Err(refusal(&self.pattern, err)),
        }
    }

    /// The hook's message: its pattern's fields over `method`, `path`, `route`, `headers`.
    fn message(&self, parts: &Parts, route: &str) -> Value {
        let mut msg = Map::new();
        msg.insert("method".into(), Value::from(parts.method.as_str()));
        msg.insert("path".into(), Value::from(parts.uri.path()));
        msg.insert("route".into(), Value::from(route));
        msg.insert("headers".into(), Value::Object(headers(&parts.headers)));
        msg.extend(self.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        Value::Object(msg)
    }
}

/// Every header, by its lower-case name, as a string (bytes that are not UTF-8 replaced); a
/// repeated header's values joined with `, ` (`cookie`'s with `; `).
fn headers(map: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in map.keys() {
        let separator = if name == axum::http::header::COOKIE {
            "; "
        } else {
            ", "
        };
        let joined = map
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(separator);
        out.insert(name.as_str().to_owned(), Value::String(joined));
    }
    out
}

/// The answer to a request the hook failed: `forbidden` 403; the gateway's and transports'
/// own failures (timeout, unreachable, overloaded) their status; no action for the pattern
/// 500; any other error 401 `unauthorized`, with the action's message and details.
fn refusal(pattern: &str, err: ActError) -> Failure {
    let code = err.code().clone();
    if code == FORBIDDEN {
        return Failure::new(StatusCode::FORBIDDEN, err);
    }
    if code == UNAUTHORIZED {
        return Failure::new(StatusCode::UNAUTHORIZED, err);
    }
    if [
        Code::ACTION_TIMEOUT,
        Code::TRANSPORT_UNAVAILABLE,
        Code::OVERLOADED,
        Code::CLOSED,
    ]
    .contains(&code)
    {
        return Failure::new(crate::transport::http::status_of(&code), err);
    }
    if code == Code::ACT_NOT_FOUND || code == Code::NO_ROUTE {
        return Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ActError::new(
                code,
                format!("no action answers the gateway's auth pattern `{pattern}`"),
            ),
        );
    }
    let mut refused = ActError::new(UNAUTHORIZED, err.message().to_owned());
    if !err.details().is_null() {
        refused = refused.with_details(err.details().clone());
    }
    Failure::new(StatusCode::UNAUTHORIZED, refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    #[test]
    fn the_message_holds_the_request_and_the_pattern_wins() {
        let auth = Auth::new("role:auth,cmd:http").unwrap();
        let (parts, ()) = Request::get("/orders/7?x=1")
            .header("Authorization", "Bearer t")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .header("x-many", "1")
            .header("x-many", "2")
            .header("role", "evil")
            .body(())
            .unwrap()
            .into_parts();
        let msg = auth.message(&parts, "GET /orders/{id}");
        assert_eq!(
            msg,
            serde_json::json!({
                "role": "auth", "cmd": "http", "method": "GET", "path": "/orders/7",
                "route": "GET /orders/{id}",
                "headers": {"authorization": "Bearer t", "cookie": "a=1; b=2",
                    "x-many": "1, 2", "role": "evil"}
            })
        );
    }

    #[test]
    fn refusals_take_their_status() {
        let status = |err| refusal("role:auth", err).status();
        assert_eq!(
            status(ActError::new(Code::new("bad_token"), "no")),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status(ActError::execute("boom")), StatusCode::UNAUTHORIZED);
        assert_eq!(
            status(ActError::new(FORBIDDEN, "no")),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(ActError::new(Code::ACTION_TIMEOUT, "slow")),
            StatusCode::GATEWAY_TIMEOUT
        );
        let missing = refusal("role:auth", ActError::not_found("role:auth"));
        assert_eq!(missing.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(missing.to_string().contains("`role:auth`"), "{missing}");
        assert!(Auth::new("role:auth,cmd:*").is_err());
    }
}
