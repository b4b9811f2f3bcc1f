//! The wire format shared by the listener and the client: header names, the status of each
//! error code, and the error a non-2xx response stands for.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use crate::error::{ActError, Code};

/// `seneca-id`: the message id, `"mi/tx"` (the transaction id travels in it). Echoed.
pub(crate) const SENECA_ID: HeaderName = HeaderName::from_static("seneca-id");
/// `seneca-origin`: the calling instance. Echoed (a Seneca client drops replies without it).
pub(crate) const SENECA_ORIGIN: HeaderName = HeaderName::from_static("seneca-origin");
/// `seneca-kind`: `req` on requests, `res` on responses.
pub(crate) const SENECA_KIND: HeaderName = HeaderName::from_static("seneca-kind");
/// `seneca-accept`: the instance of the node that answered.
pub(crate) const SENECA_ACCEPT: HeaderName = HeaderName::from_static("seneca-accept");
/// `porticus-timeout-ms`: the time the caller has left, in milliseconds.
pub(crate) const TIMEOUT_MS: HeaderName = HeaderName::from_static("porticus-timeout-ms");
/// `porticus-kind`: `event` for an emitted event; absent (or `act`) for an act.
pub(crate) const KIND: HeaderName = HeaderName::from_static("porticus-kind");
/// `porticus-caller`: the caller's identity, one line of ASCII JSON ([`Meta::caller_header`]).
///
/// [`Meta::caller_header`]: crate::Meta::caller_header
pub(crate) const CALLER: HeaderName = HeaderName::from_static("porticus-caller");
/// W3C trace context.
pub(crate) const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// What a request carries: an act or an event (`porticus-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An act: sent without `porticus-kind` (what a Seneca client sends too).
    Act,
    /// An emitted event: `porticus-kind: event`.
    Event,
}

impl Kind {
    /// The `porticus-kind` value a request of this kind is sent with, if any.
    pub(crate) fn header(self) -> Option<HeaderValue> {
        match self {
            Kind::Act => None,
            Kind::Event => Some(HeaderValue::from_static("event")),
        }
    }

    /// The kind a `porticus-kind` value names: absent or `act` is an act.
    pub(crate) fn of(header: Option<&str>) -> Result<Kind, ActError> {
        match header {
            None | Some("act") => Ok(Kind::Act),
            Some("event") => Ok(Kind::Event),
            Some(other) => Err(ActError::invalid_msg(format!(
                "header `porticus-kind` must be `act` or `event`, got `{other}`"
            ))),
        }
    }
}

/// Code of a request that used a method other than `POST` (405).
pub(crate) const METHOD_NOT_ALLOWED: Code = Code::from_static("method_not_allowed");
/// Code of a request whose body did not arrive within `body_read_timeout_ms` (408).
pub(crate) const REQUEST_TIMEOUT: Code = Code::from_static("request_timeout");

/// The status each code is answered with; any other code (`act_execute`, a handler's own) is
/// a 500.
const STATUS: [(Code, StatusCode); 10] = [
    (Code::ACT_INVALID_MSG, StatusCode::BAD_REQUEST),
    (Code::ACT_NOT_FOUND, StatusCode::NOT_FOUND),
    (Code::NO_ROUTE, StatusCode::NOT_FOUND),
    (METHOD_NOT_ALLOWED, StatusCode::METHOD_NOT_ALLOWED),
    (REQUEST_TIMEOUT, StatusCode::REQUEST_TIMEOUT),
    (Code::PAYLOAD_TOO_LARGE, StatusCode::PAYLOAD_TOO_LARGE),
    (Code::TRANSPORT_UNAVAILABLE, StatusCode::BAD_GATEWAY),
    (Code::OVERLOADED, StatusCode::SERVICE_UNAVAILABLE),
    (Code::CLOSED, StatusCode::SERVICE_UNAVAILABLE),
    (Code::ACTION_TIMEOUT, StatusCode::GATEWAY_TIMEOUT),
];

/// The HTTP status an error is answered with; the body always carries the code itself.
pub(crate) fn status_of(code: &Code) -> StatusCode {
    STATUS
        .iter()
        .find(|(c, _)| c == code)
        .map_or(StatusCode::INTERNAL_SERVER_ERROR, |(_, status)| *status)
}

/// The code a bare status stands for, when the body does not say (a foreign peer, a proxy).
fn code_of(status: StatusCode) -> Code {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => Code::ACT_INVALID_MSG,
        StatusCode::NOT_FOUND => Code::NO_ROUTE,
        StatusCode::METHOD_NOT_ALLOWED => METHOD_NOT_ALLOWED,
        StatusCode::REQUEST_TIMEOUT => REQUEST_TIMEOUT,
        StatusCode::PAYLOAD_TOO_LARGE => Code::PAYLOAD_TOO_LARGE,
        StatusCode::BAD_GATEWAY => Code::TRANSPORT_UNAVAILABLE,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => Code::OVERLOADED,
        StatusCode::GATEWAY_TIMEOUT => Code::ACTION_TIMEOUT,
        _ => Code::ACT_EXECUTE,
    }
}

/// At most this much of a non-JSON error body is kept in the details.
const TEXT_KEPT: usize = 1024;

/// Rebuilds the error a non-2xx response from `url` stands for.
///
/// A body that is exactly an [`ActError`] (`code`, `message`, optional `details`: what a
/// Porticus listener sends) comes back unchanged. Another JSON object with a string `code`
/// (a Seneca error) keeps its `code` and `message` (or `msg`); its whole body goes in the
/// details. Anything else gets the code the status stands for, and the text in the details.
pub(crate) fn error_from_response(status: StatusCode, body: &[u8], url: &str) -> ActError {
    let parsed = serde_json::from_slice::<Value>(body).ok();
    if let Some(Value::Object(obj)) = &parsed {
        if let Some(err) = exact(obj) {
            return err;
        }
        if let Some(Value::String(code)) = obj.get("code") {
            let message = ["message", "msg"]
                .iter()
                .find_map(|k| obj.get(*k).and_then(Value::as_str))
                .map_or_else(|| replied(url, status), str::to_owned);
            return ActError::new(Code::new(code.clone()), message).with_details(
                serde_json::json!({ "status": status.as_u16(), "url": url, "body": obj }),
            );
        }
    }
    let body = match parsed {
        Some(json) => json,
        None => {
            let text = String::from_utf8_lossy(body);
            let cut = (0..=TEXT_KEPT.min(text.len()))
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            Value::String(text[..cut].to_owned())
        }
    };
    ActError::new(code_of(status), replied(url, status))
        .with_details(serde_json::json!({ "status": status.as_u16(), "url": url, "body": body }))
}

fn replied(url: &str, status: StatusCode) -> String {
    format!("the http listener at {url} replied {status}")
}

/// `obj` as an [`ActError`] if it is exactly one: `code` and `message` strings, maybe `details`.
fn exact(obj: &Map<String, Value>) -> Option<ActError> {
    let only_known = obj
        .keys()
        .all(|k| matches!(k.as_str(), "code" | "message" | "details"));
    let code = obj.get("code")?.as_str()?;
    let message = obj.get("message")?.as_str()?;
    only_known.then(|| {
        ActError::new(Code::new(code.to_owned()), message)
            .with_details(obj.get("details").cloned().unwrap_or(Value::Null))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URL: &str = "http://127.0.0.1:1/act";

    #[test]
    fn an_act_error_comes_back_exactly() {
        let sent = ActError::new("card_declined", "card was declined")
            .with_details(json!({"card": "0002"}));
        let body = serde_json::to_vec(&sent).unwrap();
        let got = error_from_response(status_of(sent.code()), &body, URL);
        assert_eq!(got, sent);
        let bare = ActError::new(Code::ACT_EXECUTE, "boom");
        let got = error_from_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::to_vec(&bare).unwrap(),
            URL,
        );
        assert_eq!(got, bare);
    }

    #[test]
    fn a_seneca_error_keeps_its_code_and_message() {
        let body = json!({"eraro": true, "code": "act_execute", "seneca": true,
            "msg": "seneca: Action cmd:fail,role:math failed: fail-on-purpose.",
            "message": "seneca: Action cmd:fail,role:math failed: fail-on-purpose.",
            "details": {"message": "fail-on-purpose"}, "name": "Error"});
        let got = error_from_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::to_vec(&body).unwrap(),
            URL,
        );
        assert_eq!(got.code(), &Code::ACT_EXECUTE);
        assert_eq!(
            got.message(),
            "seneca: Action cmd:fail,role:math failed: fail-on-purpose."
        );
        assert_eq!(got.details()["body"], body);
        assert_eq!(got.details()["status"], 500);
        let timeout = error_from_response(
            StatusCode::SERVICE_UNAVAILABLE,
            br#"{"code":"ETIMEDOUT"}"#,
            URL,
        );
        assert_eq!(timeout.code(), "ETIMEDOUT");
        assert!(timeout.message().contains("503"), "{timeout}");
    }

    #[test]
    fn a_bare_status_stands_for_a_code() {
        let got = error_from_response(StatusCode::NOT_FOUND, b"", URL);
        assert_eq!(got.code(), &Code::NO_ROUTE);
        assert!(got.message().contains(URL), "{got}");
        let got = error_from_response(StatusCode::GATEWAY_TIMEOUT, b"upstream timed out", URL);
        assert_eq!(got.code(), &Code::ACTION_TIMEOUT);
        assert_eq!(got.details()["body"], "upstream timed out");
        let got = error_from_response(StatusCode::BAD_GATEWAY, b"[1,2]", URL);
        assert_eq!(got.code(), &Code::TRANSPORT_UNAVAILABLE);
        assert_eq!(got.details()["body"], json!([1, 2]));
        let long = "é".repeat(2_000);
        let got = error_from_response(StatusCode::IM_A_TEAPOT, long.as_bytes(), URL);
        assert_eq!(got.code(), &Code::ACT_EXECUTE);
        assert!(got.details()["body"].as_str().unwrap().len() <= TEXT_KEPT);
    }

    #[test]
    fn every_code_has_a_status_that_maps_back() {
        for code in [
            Code::ACT_INVALID_MSG,
            Code::NO_ROUTE,
            METHOD_NOT_ALLOWED,
            REQUEST_TIMEOUT,
            Code::PAYLOAD_TOO_LARGE,
            Code::TRANSPORT_UNAVAILABLE,
            Code::OVERLOADED,
            Code::ACTION_TIMEOUT,
            Code::ACT_EXECUTE,
        ] {
            assert_eq!(code_of(status_of(&code)), code);
        }
        assert_eq!(status_of(&Code::new("card_declined")), 500);
        assert_eq!(status_of(&Code::ACT_NOT_FOUND), 404);
        assert_eq!(status_of(&Code::CLOSED), 503);
    }
}
