//! The headers Porticus puts on NATS messages, and reading them back.

use std::time::Duration;

use async_nats::{HeaderMap, HeaderName, HeaderValue};

use crate::{ActError, Meta};

/// The message id, `"mi/tx"` (Seneca's form: the transaction id travels in it).
pub(super) const ID: HeaderName = HeaderName::from_static("porticus-id");
/// The time the caller has left, in ms.
pub(super) const TIMEOUT_MS: HeaderName = HeaderName::from_static("porticus-timeout-ms");
/// The instance that sent the message.
pub(super) const ORIGIN: HeaderName = HeaderName::from_static("porticus-origin");
/// The caller's identity, one line of ASCII JSON (`Meta::caller_header`).
pub(super) const CALLER: HeaderName = HeaderName::from_static("porticus-caller");
/// W3C trace context.
pub(super) const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// On a reply: `1` when the body is an `ActError` rather than the result.
pub(super) const ERROR: HeaderName = HeaderName::from_static("porticus-error");
/// On a reply: the instance that answered.
pub(super) const ACCEPT: HeaderName = HeaderName::from_static("porticus-accept");
/// JetStream's de-duplication id.
pub(super) const MSG_ID: HeaderName = HeaderName::from_static("Nats-Msg-Id");

/// On a dead letter: the (first) error's code.
pub(super) const ERROR_CODE: HeaderName = HeaderName::from_static("porticus-error-code");
/// On a dead letter: the (first) error's message.
pub(super) const ERROR_MESSAGE: HeaderName = HeaderName::from_static("porticus-error-message");
/// On a dead letter: every failing subscriber with its error, as JSON.
pub(super) const ERRORS: HeaderName = HeaderName::from_static("porticus-errors");
/// On a dead letter: deliveries made.
pub(super) const ATTEMPTS: HeaderName = HeaderName::from_static("porticus-attempts");
/// On a dead letter: the subject the event was emitted on.
pub(super) const SUBJECT: HeaderName = HeaderName::from_static("porticus-subject");
/// On a dead letter: its sequence number in the event stream.
pub(super) const STREAM_SEQUENCE: HeaderName = HeaderName::from_static("porticus-stream-sequence");
/// On a dead letter: the service whose subscribers failed.
pub(super) const SERVICE: HeaderName = HeaderName::from_static("porticus-service");

/// `text` as a header value: a line break (which NATS headers cannot hold) becomes a space.
pub(super) fn value(text: &str) -> HeaderValue {
    text.parse::<HeaderValue>()
        .unwrap_or_else(|_| text.replace(['\r', '\n'], " ").parse().unwrap_or_default())
}

/// The headers that carry `meta` across: id, remaining time, trace context, origin, caller.
pub(super) fn outbound(meta: &Meta, origin: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ID, value(&meta.id()));
    headers.insert(TIMEOUT_MS, value(&meta.remaining().as_millis().to_string()));
    headers.insert(TRACEPARENT, value(&meta.outbound_traceparent()));
    headers.insert(ORIGIN, value(origin));
    if let Some(caller) = meta.caller_header() {
        headers.insert(CALLER, value(&caller));
    }
    headers
}

/// A header's text, if present.
pub(super) fn text(headers: Option<&HeaderMap>, name: HeaderName) -> Option<&str> {
    headers?.get(name).map(HeaderValue::as_str)
}

/// The caller's remaining time from [`TIMEOUT_MS`], if given.
///
/// # Errors
/// `act_invalid_msg` naming the header when it is not a whole number of milliseconds.
pub(super) fn timeout(headers: Option<&HeaderMap>) -> Result<Option<Duration>, ActError> {
    text(headers, TIMEOUT_MS)
        .map(|text| {
            text.trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| {
                    ActError::invalid_msg(format!(
                    "header `{TIMEOUT_MS}` must be a whole number of milliseconds, got `{text}`"
                ))
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Inbound;

    #[tokio::test]
    async fn meta_crosses_in_headers() {
        let meta = Inbound {
            id: Some("m1/t1"),
            timeout: Some(Duration::from_secs(2)),
            caller: Some(r#"{"id":"zoë"}"#),
            ..Inbound::default()
        }
        .meta(Duration::from_secs(9));
        let headers = outbound(&meta, "caller-1");
        assert_eq!(text(Some(&headers), CALLER), Some(r#"{"id":"zo\u00eb"}"#));
        let anonymous = Inbound::default().meta(Duration::from_secs(9));
        assert_eq!(text(Some(&outbound(&anonymous, "c")), CALLER), None);
        assert_eq!(text(Some(&headers), ID), Some("m1/t1"));
        assert_eq!(text(Some(&headers), ORIGIN), Some("caller-1"));
        let left = timeout(Some(&headers)).unwrap().unwrap();
        assert!(left <= Duration::from_secs(2));
        assert_eq!(text(Some(&headers), TRACEPARENT), meta.traceparent());
        let mut bad = HeaderMap::new();
        bad.insert("porticus-timeout-ms", "soon");
        let err = timeout(Some(&bad)).unwrap_err();
        assert!(err.message().contains("porticus-timeout-ms"), "{err}");
        assert_eq!(value("two\r\nlines").as_str(), "two  lines");
    }
}
