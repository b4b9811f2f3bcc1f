//! The request and reply bodies: seneca-transport's envelope, as seneca-amqp-transport sends it.
//!
//! Request: `{id, kind:"act", origin, track, time:{client_sent}, act, sync:true}`.
//! Reply: `{id, kind:"res", origin, accept, track, time:{client_sent, listen_recv,
//! listen_sent}, sync, res}` or the same with `error: {code, message, details}` instead of
//! `res`. A Seneca client drops a reply whose `id` or `origin` differ from its request's, so
//! both are copied back.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

/// The request envelope for `act`, serialized.
pub(super) fn request(id: &str, origin: &str, act: &Value) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&RequestOut {
        id,
        kind: "act",
        origin,
        track: [origin],
        time: ClientTime {
            client_sent: now_ms(),
        },
        act,
        sync: true,
    })
}

/// A request envelope, borrowed from the act: serialized without building a `Value` tree.
#[derive(Serialize)]
struct RequestOut<'a> {
    id: &'a str,
    kind: &'static str,
    origin: &'a str,
    track: [&'a str; 1],
    time: ClientTime,
    act: &'a Value,
    sync: bool,
}

#[derive(Serialize)]
struct ClientTime {
    client_sent: u64,
}

/// What a reply echoes of its request (or of a malformed one).
pub(super) struct Echo<'a> {
    pub(super) id: Option<&'a str>,
    pub(super) origin: Option<&'a Value>,
    pub(super) track: &'a Value,
    pub(super) client_sent: &'a Value,
    pub(super) received_ms: u64,
}

/// The reply envelope to a request, serialized: `res` or `error`.
pub(super) fn reply(
    echo: &Echo<'_>,
    accept: &str,
    outcome: &Result<Value, ActError>,
) -> serde_json::Result<Vec<u8>> {
    let (res, error) = match outcome {
        Ok(res) => (Some(res), None),
        Err(error) => (
            None,
            Some(ErrorOut {
                error,
                name: "Error",
            }),
        ),
    };
    serde_json::to_vec(&ReplyOut {
        id: echo.id,
        kind: "res",
        origin: echo.origin,
        accept,
        track: echo.track,
        time: ListenTime {
            client_sent: echo.client_sent,
            listen_recv: echo.received_ms,
            listen_sent: now_ms(),
        },
        sync: true,
        res,
        error,
    })
}

#[derive(Serialize)]
struct ReplyOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a Value>,
    accept: &'a str,
    track: &'a Value,
    time: ListenTime<'a>,
    sync: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    res: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorOut<'a>>,
}

#[derive(Serialize)]
struct ListenTime<'a> {
    client_sent: &'a Value,
    listen_recv: u64,
    listen_sent: u64,
}

/// An [`ActError`] as a Seneca client reads it: `message` becomes its error's message, `code`
/// its code, and `name` says it is an `Error`.
#[derive(Serialize)]
struct ErrorOut<'a> {
    #[serde(flatten)]
    error: &'a ActError,
    name: &'static str,
}

/// A reply envelope as a client reads it: the rest of the envelope (`accept`, `track`,
/// `time`, …) is skipped, not built.
#[derive(Debug, Deserialize)]
pub(super) struct ReplyIn<'a> {
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    id: Option<Value>,
    /// `null` reads as absent.
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    res: Option<Value>,
}

/// Reads a reply body; `None` when it is not a JSON object with `kind: "res"`.
pub(super) fn parse_reply(body: &[u8]) -> Option<ReplyIn<'_>> {
    serde_json::from_slice::<ReplyIn<'_>>(body)
        .ok()
        .filter(|reply| reply.kind.as_deref() == Some("res"))
}

impl ReplyIn<'_> {
    /// The envelope's id (Seneca's `mi/tx`), when it is a string.
    pub(super) fn id(&self) -> Option<&str> {
        self.id.as_ref().and_then(Value::as_str)
    }

    /// The outcome the reply carries: its `error` (Porticus's or Seneca's error object) or its
    /// `res` (`null` when absent).
    pub(super) fn outcome(self) -> Result<Value, ActError> {
        match self.error {
            None => Ok(self.res.unwrap_or(Value::Null)),
            Some(error) => Err(remote_error(&error)),
        }
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
    use serde_json::json;

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
        let (track, client_sent, origin) = (json!(["o"]), json!(5), json!("o"));
        let echo = Echo {
            id: Some("m/t"),
            origin: Some(&origin),
            track: &track,
            client_sent: &client_sent,
            received_ms: 6,
        };
        let body = reply(&echo, "me", &Err(err.clone())).unwrap();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["kind"], "res");
        assert_eq!(value["id"], "m/t");
        assert_eq!(value["origin"], "o");
        assert_eq!(value["accept"], "me");
        assert_eq!(value["time"]["client_sent"], 5);
        assert_eq!(value["error"]["message"], "declined");
        assert_eq!(value["error"]["name"], "Error");
        assert!(value.get("res").is_none());
        let read = parse_reply(&body).unwrap();
        assert_eq!(read.id(), Some("m/t"));
        assert_eq!(read.outcome().unwrap_err(), err);
        let ok = reply(&echo, "me", &Ok(json!({"answer": 3}))).unwrap();
        assert_eq!(
            parse_reply(&ok).unwrap().outcome().unwrap(),
            json!({"answer": 3})
        );
        let seneca = br#"{"kind": "res", "res": {}, "error": {"message": "seneca: boom", "code": "act_execute", "eraro": true}}"#;
        let err = parse_reply(seneca).unwrap().outcome().unwrap_err();
        assert_eq!(
            (err.code().as_str(), err.message()),
            ("act_execute", "seneca: boom")
        );
        let null_error = br#"{"kind": "res", "error": null}"#;
        assert_eq!(
            parse_reply(null_error).unwrap().outcome().unwrap(),
            Value::Null
        );
        for body in [
            &b"not json"[..],
            b"[1]",
            br#"{"kind":"act"}"#,
            br#"{"res":1}"#,
        ] {
            assert!(
                parse_reply(body).is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn requests_serialize_as_seneca_envelopes() {
        let body = request("m/t", "caller", &json!({"a": 1})).unwrap();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["kind"], "act");
        assert_eq!(value["track"], json!(["caller"]));
        assert!(value["time"]["client_sent"].is_u64());
        let parsed = parse_request(&body).unwrap();
        assert_eq!(
            (parsed.id.as_deref(), parsed.act, parsed.sync),
            (Some("m/t"), json!({"a": 1}), true)
        );
    }
}
