//! What a dead letter's headers say: why it died, after how many attempts, when, and where it
//! was going. Porticus's own headers (`x-porticus-*`, set by the subscriber that dead-letters
//! an event) win; RabbitMQ's `x-death` (set when the broker dead-letters a message itself: a
//! body that is not JSON, a crashed handler past `x-delivery-limit`) fills the gaps.

use lapin::message::Delivery;
use lapin::types::{AMQPValue, FieldTable};
use lapin::BasicProperties;
use serde_json::{json, Map, Value};

/// Headers a replay strips: the record of the failure, not part of the event.
pub const FAILURE_HEADERS: &[&str] = &[
    "x-porticus-error-code",
    "x-porticus-error-message",
    "x-porticus-errors",
    "x-porticus-attempts",
    "x-porticus-queue",
    "x-death",
    "x-first-death-reason",
    "x-first-death-queue",
    "x-first-death-exchange",
    "x-last-death-reason",
    "x-last-death-queue",
    "x-last-death-exchange",
    "x-delivery-count",
];

/// A replay counter the command line adds.
pub const REPLAYS: &str = "x-porticus-replays";

/// One dead letter's metadata.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    /// The event's message id (`id$`).
    pub id: Option<String>,
    /// `exhausted` (attempts used up), `permanent` (`act_invalid_msg`), `unreadable` (not a
    /// JSON object), or the broker's own reason (`expired`, `maxlen`, …).
    pub reason: String,
    /// Attempts made.
    pub attempts: Option<u64>,
    /// When it was first dead-lettered, Unix ms.
    pub first_death_ms: Option<u64>,
    /// The exchange it was first published to.
    pub exchange: Option<String>,
    /// Its routing key there.
    pub routing_key: Option<String>,
    /// The service queue it failed in.
    pub queue: Option<String>,
    /// The first failing subscriber's error code.
    pub error_code: Option<String>,
    /// Its message.
    pub error_message: Option<String>,
    /// Where it is on NATS (none on RabbitMQ).
    pub nats: Option<NatsPlace>,
}

/// Where a NATS dead letter came from and where it is kept.
#[derive(Debug, Clone, Default)]
pub struct NatsPlace {
    /// The service whose subscribers failed (`porticus-service`).
    pub service: Option<String>,
    /// The subject it was emitted on (`porticus-subject`): where a replay publishes it.
    pub subject: Option<String>,
    /// Its sequence in the dead-letter stream.
    pub sequence: u64,
}

fn header<'a>(props: &'a BasicProperties, key: &str) -> Option<&'a AMQPValue> {
    props.headers().as_ref()?.inner().get(key)
}

fn text_of(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

fn int_of(value: &AMQPValue) -> Option<u64> {
    let n = match value {
        AMQPValue::ShortShortInt(n) => i64::from(*n),
        AMQPValue::ShortShortUInt(n) => i64::from(*n),
        AMQPValue::ShortInt(n) => i64::from(*n),
        AMQPValue::ShortUInt(n) => i64::from(*n),
        AMQPValue::LongInt(n) => i64::from(*n),
        AMQPValue::LongUInt(n) => i64::from(*n),
        AMQPValue::LongLongInt(n) => *n,
        AMQPValue::Timestamp(n) => i64::try_from(*n).ok()?,
        other => text_of(other)?.parse().ok()?,
    };
    u64::try_from(n).ok()
}

fn text(props: &BasicProperties, key: &str) -> Option<String> {
    header(props, key).and_then(text_of)
}

fn int(props: &BasicProperties, key: &str) -> Option<u64> {
    header(props, key).and_then(int_of)
}

/// The `x-death` entries, oldest death last (RabbitMQ's order).
fn deaths(props: &BasicProperties) -> Vec<&FieldTable> {
    match header(props, "x-death") {
        Some(AMQPValue::FieldArray(array)) => array
            .as_slice()
            .iter()
            .filter_map(|v| match v {
                AMQPValue::FieldTable(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn field<'a>(table: &'a FieldTable, key: &str) -> Option<&'a AMQPValue> {
    table.inner().get(key)
}

impl Letter {
    /// Reads a delivery's metadata.
    pub fn read(delivery: &Delivery) -> Letter {
        let props = &delivery.properties;
        let deaths = deaths(props);
        // The first death: the entry with the oldest time.
        let first = deaths
            .iter()
            .min_by_key(|t| field(t, "time").and_then(int_of).unwrap_or(u64::MAX))
            .copied();
        let first_text = |key: &str| first.and_then(|t| field(t, key)).and_then(text_of);
        let error_code = text(props, "x-porticus-error-code");
        let reason = match (
            &error_code,
            text(props, "x-first-death-reason").or(first_text("reason")),
        ) {
            (Some(code), _) if code == "act_invalid_msg" => "permanent".to_owned(),
            (Some(_), _) => "exhausted".to_owned(),
            (None, Some(r)) if r == "rejected" => "unreadable".to_owned(),
            (None, Some(r)) if r == "delivery_limit" => "exhausted".to_owned(),
            (None, Some(r)) => r,
            (None, None) => "unknown".to_owned(),
        };
        let routing_keys = first.and_then(|t| match field(t, "routing-keys") {
            Some(AMQPValue::FieldArray(keys)) => keys.as_slice().first().and_then(text_of),
            _ => None,
        });
        let death_count: Option<u64> = (!deaths.is_empty()).then(|| {
            deaths
                .iter()
                .filter_map(|t| field(t, "count").and_then(int_of))
                .sum()
        });
        Letter {
            id: props.message_id().as_ref().map(|m| m.as_str().to_owned()),
            reason,
            attempts: int(props, "x-porticus-attempts")
                .or_else(|| int(props, "x-delivery-count").map(|n| n + 1))
                .or(death_count),
            first_death_ms: int(props, "x-porticus-dead-lettered-at").or_else(|| {
                first
                    .and_then(|t| field(t, "time"))
                    .and_then(int_of)
                    .map(|s| s * 1000)
            }),
            exchange: text(props, "x-porticus-exchange")
                .or_else(|| text(props, "x-first-death-exchange"))
                .or_else(|| first_text("exchange")),
            routing_key: text(props, "x-porticus-routing-key").or(routing_keys),
            queue: text(props, "x-porticus-queue")
                .or_else(|| text(props, "x-first-death-queue"))
                .or_else(|| first_text("queue")),
            error_code,
            error_message: text(props, "x-porticus-error-message"),
            nats: None,
        }
    }

    /// The metadata as a JSON object.
    pub fn json(&self) -> Value {
        if let Some(place) = &self.nats {
            return json!({
                "id": self.id,
                "reason": self.reason,
                "attempts": self.attempts,
                "first_death": self.first_death_ms.map(rfc3339),
                "service": place.service,
                "subject": place.subject,
                "sequence": place.sequence,
                "error_code": self.error_code,
                "error_message": self.error_message,
            });
        }
        json!({
            "id": self.id,
            "reason": self.reason,
            "attempts": self.attempts,
            "first_death": self.first_death_ms.map(rfc3339),
            "queue": self.queue,
            "exchange": self.exchange,
            "routing_key": self.routing_key,
            "error_code": self.error_code,
            "error_message": self.error_message,
        })
    }
}

/// Every header as JSON (tables and arrays nested, bytes as lossy text).
pub fn headers_json(props: &BasicProperties) -> Value {
    props
        .headers()
        .as_ref()
        .map_or(Value::Object(Map::new()), table_json)
}

fn table_json(table: &FieldTable) -> Value {
    Value::Object(
        table
            .inner()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), value_json(v)))
            .collect(),
    )
}

fn value_json(value: &AMQPValue) -> Value {
    match value {
        AMQPValue::Boolean(b) => json!(b),
        AMQPValue::FieldTable(t) => table_json(t),
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(value_json).collect()),
        AMQPValue::Float(f) => json!(f),
        AMQPValue::Double(f) => json!(f),
        AMQPValue::Void => Value::Null,
        AMQPValue::ByteArray(b) => json!(String::from_utf8_lossy(b.as_slice())),
        other => match (text_of(other), int_of(other)) {
            (Some(s), _) => json!(s),
            (None, Some(n)) => json!(n),
            (None, None) => json!(format!("{other:?}")),
        },
    }
}

/// Unix ms as `2026-12-05T18:23:18.123Z`.
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
    }
}
