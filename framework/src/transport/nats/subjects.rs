//! Subjects: where acts and events travel.
//!
//! - An act goes to `<prefix>.act.` + the pin's keys, sorted, each followed by the message's
//!   value (`porticus.act.cmd.sum.role.math` for `{role:math,cmd:sum}` through pin
//!   `role:math,cmd:*`). A listener subscribes its pin's subject, a glob value as `*`
//!   (`porticus.act.cmd.*.role.math`), in its service's queue group.
//! - An event goes to `<prefix>.event.` + every top-level key of the event, sorted, each
//!   followed by its value (`porticus.event.event.order_shipped.id.7`); the event stream takes
//!   `<prefix>.event.>`, and the node's router picks the subscribers.
//! - A dead letter goes to `<prefix>.dlq.<service>`.
//!
//! A token holds a key or a value with every byte that NATS gives a meaning to escaped as
//! `%XX` (`.`, `*`, `>`, `%`, whitespace, control and non-ASCII bytes); an empty value is `%`;
//! a value longer than 64 bytes, an object or an array is `_` (a coarse filter: the router
//! makes the exact choice).

use std::fmt::Write as _;

use serde_json::Value;

use crate::pattern::{routing_text, Pattern};

/// A value longer than this (escaped, in bytes) travels as [`PLACEHOLDER`].
const LONGEST_TOKEN: usize = 64;
/// The token of a value that cannot be one.
const PLACEHOLDER: &str = "_";

/// `text` as one subject token.
pub(super) fn token(text: &str) -> String {
    if text.is_empty() {
        return "%".to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let plain = byte.is_ascii_graphic() && !matches!(byte, b'.' | b'*' | b'>' | b'%');
        if plain {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn value_token(text: &str) -> String {
    let token = token(text);
    if token.len() > LONGEST_TOKEN {
        PLACEHOLDER.to_owned()
    } else {
        token
    }
}

fn is_glob(value: &str) -> bool {
    value.contains(['*', '?'])
}

/// What a listener subscribes for `pin`: `<prefix>.act.cmd.*.role.math`; `None` for the empty
/// pin (no subject names every message).
pub(super) fn listen_subject(prefix: &str, pin: &Pattern) -> Option<String> {
    if pin.is_empty() {
        return None;
    }
    let mut subject = format!("{prefix}.act");
    for (key, value) in pin.iter() {
        subject.push('.');
        subject.push_str(&token(key));
        subject.push('.');
        if is_glob(value) {
            subject.push('*');
        } else {
            subject.push_str(&value_token(value));
        }
    }
    Some(subject)
}

/// Where an act through `pin` goes: the pin's keys with the message's values (the pin's own
/// where the message has none).
pub(super) fn act_subject(prefix: &str, pin: &Pattern, msg: &Value) -> String {
    let mut subject = format!("{prefix}.act");
    for (key, pinned) in pin.iter() {
        subject.push('.');
        subject.push_str(&token(key));
        subject.push('.');
        let value = match msg.get(key) {
            None | Some(Value::Null) => value_token(pinned),
            Some(Value::Object(_) | Value::Array(_)) => PLACEHOLDER.to_owned(),
            Some(value) => value_token(&routing_text(value)),
        };
        subject.push_str(&value);
    }
    subject
}

/// Where an event goes: every top-level key, sorted, with its value.
pub(super) fn event_subject(prefix: &str, event: &Value) -> String {
    let mut subject = format!("{prefix}.event");
    let fields = event.as_object().into_iter().flatten();
    let mut empty = true;
    // serde_json's map iterates keys in ascending byte order, as patterns sort them.
    for (key, value) in fields {
        if key.ends_with('$') {
            continue;
        }
        empty = false;
        subject.push('.');
        subject.push_str(&token(key));
        subject.push('.');
        match value {
            Value::Object(_) | Value::Array(_) => subject.push_str(PLACEHOLDER),
            other => subject.push_str(&value_token(&routing_text(other))),
        }
    }
    if empty {
        subject.push('.');
        subject.push_str(PLACEHOLDER);
    }
    subject
}

/// What the event stream takes: `<prefix>.event.>`.
pub(super) fn event_wildcard(prefix: &str) -> String {
    format!("{prefix}.event.>")
}

/// Where `service`'s dead letters go.
pub(super) fn dead_letter_subject(prefix: &str, service: &str) -> String {
    format!("{prefix}.dlq.{}", token(service))
}

/// What the dead-letter stream takes: `<prefix>.dlq.>`.
pub(super) fn dead_letter_wildcard(prefix: &str) -> String {
    format!("{prefix}.dlq.>")
}

/// A JetStream consumer or stream name from free text: `.`, `*`, `>`, whitespace and the
/// like become `_`.
pub(super) fn name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "_".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    #[test]
    fn acts_travel_on_their_pin_keys() {
        assert_eq!(
            listen_subject("porticus", &p("role:math,cmd:*")).as_deref(),
            Some("porticus.act.cmd.*.role.math")
        );
        assert_eq!(listen_subject("porticus", &Pattern::empty()), None);
        let msg = json!({"role": "math", "cmd": "sum", "left": 1});
        assert_eq!(
            act_subject("porticus", &p("role:math,cmd:*"), &msg),
            "porticus.act.cmd.sum.role.math"
        );
        // Values compare as patterns do: 1.0 is "1".
        assert_eq!(act_subject("p", &p("v:*"), &json!({"v": 1.0})), "p.act.v.1");
        // A glob narrower than `*` subscribes `*`: the router picks.
        assert_eq!(
            listen_subject("p", &p("cmd:s*")).as_deref(),
            Some("p.act.cmd.*")
        );
    }

    #[test]
    fn tokens_escape_what_nats_reads() {
        assert_eq!(token("v1.0"), "v1%2E0");
        assert_eq!(token("a b*>%"), "a%20b%2A%3E%25");
        assert_eq!(token(""), "%");
        assert_eq!(token("é"), "%C3%A9");
        assert_eq!(token("role:math,x=1"), "role:math,x=1");
        assert_eq!(value_token(&"x".repeat(65)), "_");
    }

    #[test]
    fn events_travel_on_all_their_keys() {
        let event =
            json!({"event": "order_shipped", "id": 7, "address": {"x": 1}, "note": "a.b", "x$": 1});
        assert_eq!(
            event_subject("porticus", &event),
            "porticus.event.address._.event.order_shipped.id.7.note.a%2Eb"
        );
        assert_eq!(event_subject("porticus", &json!({})), "porticus.event._");
        assert_eq!(name("shop.orders v2"), "shop_orders_v2");
        assert_eq!(
            dead_letter_subject("porticus", "billing"),
            "porticus.dlq.billing"
        );
    }
}
