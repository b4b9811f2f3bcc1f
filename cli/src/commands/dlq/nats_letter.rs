//! What a NATS dead letter's headers say (the `porticus-*` headers the subscriber sets when it
//! dead-letters an event), and the headers a replay sends it with.

use async_nats::jetstream::message::StreamMessage;
use async_nats::HeaderMap;
use serde_json::{Map, Value};

use super::letter::{Letter, NatsPlace};

/// Headers a replay strips: the record of the failure, not part of the event.
pub const FAILURE_HEADERS: &[&str] = &[
    "porticus-error-code",
    "porticus-error-message",
    "porticus-errors",
    "porticus-attempts",
    "porticus-subject",
    "porticus-stream-sequence",
    "porticus-service",
];

/// The replay counter the command line adds.
pub const REPLAYS: &str = "porticus-replays";

fn text(headers: &HeaderMap, key: &str) -> Option<String> {
    headers.get(key).map(|v| v.as_str().to_owned())
}

impl Letter {
    /// Reads a NATS dead letter's metadata.
    pub fn read_nats(msg: &StreamMessage) -> Letter {
        let h = &msg.headers;
        let error_code = text(h, "porticus-error-code");
        let is_object = serde_json::from_slice::<Value>(&msg.payload).is_ok_and(|v| v.is_object());
        let reason = match &error_code {
            _ if !is_object => "unreadable",
            Some(code) if code == "act_invalid_msg" => "permanent",
            Some(_) => "exhausted",
            None => "unknown",
        };
        let nanos = msg.time.unix_timestamp_nanos();
        Letter {
            id: text(h, "porticus-id"),
            reason: reason.to_owned(),
            attempts: text(h, "porticus-attempts").and_then(|a| a.trim().parse().ok()),
            first_death_ms: u64::try_from(nanos / 1_000_000).ok(),
            error_code,
            error_message: text(h, "porticus-error-message"),
            nats: Some(NatsPlace {
                service: text(h, "porticus-service"),
                subject: text(h, "porticus-subject"),
                sequence: msg.sequence,
            }),
            ..Letter::default()
        }
    }
}

/// Every header as JSON: its value, or an array when it is repeated.
pub fn headers_json(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, values) in headers.iter() {
        let mut texts: Vec<Value> = values
            .iter()
            .map(|v| Value::String(v.as_str().to_owned()))
            .collect();
        let value = if texts.len() == 1 {
            texts.remove(0)
        } else {
            Value::Array(texts)
        };
        out.insert(name.to_string(), value);
    }
    Value::Object(out)
}

/// The letter's headers without the record of its failure or JetStream's own (`Nats-*`), with
/// the replay counter up by one and a de-duplication id naming this letter, so that replaying
/// it twice within the event stream's duplicate window stores it once.
pub fn replayed_headers(msg: &StreamMessage, dead_letter_stream: &str) -> HeaderMap {
    let mut out = HeaderMap::new();
    let mut replays = 0u64;
    for (name, values) in msg.headers.iter() {
        let key = name.to_string().to_ascii_lowercase();
        if key == REPLAYS {
            replays = values
                .first()
                .and_then(|v| v.as_str().trim().parse().ok())
                .unwrap_or(0);
            continue;
        }
        if key.starts_with("nats-") || FAILURE_HEADERS.contains(&key.as_str()) {
            continue;
        }
        for value in values {
            out.append(name.clone(), value.clone());
        }
    }
    out.insert(REPLAYS, (replays + 1).to_string().as_str());
    out.insert(
        "Nats-Msg-Id",
        format!(
            "replay:{dead_letter_stream}:{}:{}",
            msg.sequence,
            text(&msg.headers, "porticus-id").unwrap_or_default()
        )
        .as_str(),
    );
    out
}
