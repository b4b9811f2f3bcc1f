//! Message properties and headers: what Porticus puts on every AMQP message and reads back.
//!
//! | header | on | meaning |
//! |---|---|---|
//! | `traceparent` | requests, replies, events | W3C trace context |
//! | `x-porticus-timeout-ms` | requests | time the caller had left when it published |
//! | `x-porticus-deadline` | requests | the caller's deadline, Unix ms (used when clocks agree) |
//! | `x-porticus-caller` | requests, events | the caller's identity, ASCII JSON (`Meta::caller_header`) |
//! | `x-porticus-tx` | events | the emitter's transaction id |
//! | `x-porticus-origin` | events | the emitting node's instance id |
//! | `x-porticus-error-code`, `x-porticus-error-message`, `x-porticus-errors`, `x-porticus-attempts`, `x-porticus-queue` | dead-lettered events | why and after how many attempts |
//! | `x-porticus-exchange`, `x-porticus-routing-key`, `x-porticus-dead-lettered-at` | dead-lettered events | where the event was first published, and when (Unix ms) it was dead-lettered |

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::BasicProperties;

pub(super) const TRACEPARENT: &str = "traceparent";
pub(super) const TIMEOUT_MS: &str = "x-porticus-timeout-ms";
pub(super) const DEADLINE: &str = "x-porticus-deadline";
pub(super) const TX: &str = "x-porticus-tx";
pub(super) const CALLER: &str = "x-porticus-caller";
pub(super) const ORIGIN: &str = "x-porticus-origin";
pub(super) const ERROR_CODE: &str = "x-porticus-error-code";
pub(super) const ERROR_MESSAGE: &str = "x-porticus-error-message";
pub(super) const ERRORS: &str = "x-porticus-errors";
pub(super) const ATTEMPTS: &str = "x-porticus-attempts";
pub(super) const QUEUE: &str = "x-porticus-queue";
pub(super) const EXCHANGE: &str = "x-porticus-exchange";
pub(super) const ROUTING_KEY: &str = "x-porticus-routing-key";
pub(super) const DEAD_LETTERED_AT: &str = "x-porticus-dead-lettered-at";
/// Set by quorum queues on redeliveries: how many times the message was returned.
pub(super) const DELIVERY_COUNT: &str = "x-delivery-count";

pub(super) const JSON: &str = "application/json";

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Seconds since the Unix epoch (the AMQP `timestamp` property).
pub(super) fn now_s() -> u64 {
    now_ms() / 1000
}

/// A table builder with typed inserts.
#[derive(Default)]
pub(super) struct Table(FieldTable);

impl Table {
    pub(super) fn text(mut self, key: &str, value: impl Into<String>) -> Self {
        self.0.insert(
            short(key),
            AMQPValue::LongString(LongString::from(value.into())),
        );
        self
    }

    /// `text` under `key` when there is one.
    pub(super) fn maybe_text(self, key: &str, value: Option<String>) -> Self {
        match value {
            Some(value) => self.text(key, value),
            None => self,
        }
    }

    pub(super) fn int(mut self, key: &str, value: u64) -> Self {
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        self.0.insert(short(key), AMQPValue::LongLongInt(value));
        self
    }

    pub(super) fn build(self) -> FieldTable {
        self.0
    }
}

/// A `ShortString` from text the transport itself produced (names checked to fit 255 bytes);
/// longer text is cut at a character boundary rather than panicking.
pub(super) fn short(text: &str) -> ShortString {
    let mut end = text.len().min(255);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    ShortString::from(&text[..end])
}

fn header<'a>(props: &'a BasicProperties, key: &str) -> Option<&'a AMQPValue> {
    props.headers().as_ref()?.inner().get(key)
}

/// A header as text (long or short string).
pub(super) fn text(props: &BasicProperties, key: &str) -> Option<String> {
    match header(props, key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

/// A header as an unsigned integer (any integer type; text holding digits too).
pub(super) fn int(props: &BasicProperties, key: &str) -> Option<u64> {
    let value = match header(props, key)? {
        AMQPValue::ShortShortInt(n) => i64::from(*n),
        AMQPValue::ShortShortUInt(n) => i64::from(*n),
        AMQPValue::ShortInt(n) => i64::from(*n),
        AMQPValue::ShortUInt(n) => i64::from(*n),
        AMQPValue::LongInt(n) => i64::from(*n),
        AMQPValue::LongUInt(n) => i64::from(*n),
        AMQPValue::LongLongInt(n) => *n,
        AMQPValue::Timestamp(n) => i64::try_from(*n).unwrap_or(i64::MAX),
        AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok()?.parse().ok()?,
        _ => return None,
    };
    u64::try_from(value).ok()
}

/// The time a request has left: the smaller of the caller's remaining time when it published
/// and what is left of its absolute deadline (clocks may disagree, so the relative time caps
/// it). `None` when the request carries neither (a Seneca client).
pub(super) fn remaining(props: &BasicProperties) -> Option<Duration> {
    let relative = int(props, TIMEOUT_MS).map(Duration::from_millis);
    let absolute = int(props, DEADLINE)
        .map(|deadline| Duration::from_millis(deadline.saturating_sub(now_ms())));
    match (relative, absolute) {
        (Some(r), Some(a)) => Some(r.min(a)),
        (r, a) => r.or(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let props = BasicProperties::default().with_headers(
            Table::default()
                .text(TRACEPARENT, "t")
                .int(TIMEOUT_MS, 1500)
                .int(DEADLINE, now_ms() + 60_000)
                .build(),
        );
        assert_eq!(text(&props, TRACEPARENT).as_deref(), Some("t"));
        assert_eq!(int(&props, TIMEOUT_MS), Some(1500));
        let left = remaining(&props).unwrap();
        assert_eq!(left, Duration::from_millis(1500), "the relative time caps");
        assert_eq!(remaining(&BasicProperties::default()), None);
    }
}
