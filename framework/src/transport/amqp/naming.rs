//! Queue names, routing keys and bindings.
//!
//! Requests follow seneca-amqp-transport: a listener pin `role:math,cmd:*` names the queue
//! `seneca.add.role:math.cmd:any` (the pin's own key order, `*` → `any`) and binds it with
//! `cmd.*.role.math` (keys sorted, `key.value` words, `.` inside a value escaped as `[:dot:]`);
//! a client pinned the same way routes `{role:math,cmd:sum}` with `cmd.sum.role.math`.
//!
//! Events, and requests of a client that has no pin for them, are routed by the message's own
//! keys: every top-level key, sorted, as `key.value` words (`event.order_shipped.id.7`), where
//! a value that is an object, empty or longer than 64 bytes is the word `_`. A subscription
//! `event:order_shipped` binds `#.event.order_shipped.#`: the binding is a coarse filter (a glob
//! value binds `*`), the node's router makes the exact choice. Requests routed this way start
//! with the word `msg$`, which no pin-derived key can (keys ending in `$` never route), so they
//! never reach a queue through a Seneca binding.

use serde_json::Value;

use crate::error::ActError;
use crate::pattern::value::js_string;
use crate::pattern::{parse_object, Pattern, PatternError};

/// What a `.` inside a word becomes (seneca-amqp-transport's escape).
const DOT_ESCAPE: &str = "[:dot:]";
/// The word standing for a value that cannot be a routing word.
const PLACEHOLDER: &str = "_";
/// Values longer than this (in bytes, escaped) route as [`PLACEHOLDER`].
const LONGEST_VALUE_WORD: usize = 64;
/// AMQP's limit on routing keys, queue and exchange names.
pub(super) const MAX_NAME: usize = 255;
/// First word of a request routed by all its keys.
pub(super) const MESSAGE_KEY_MARKER: &str = "msg$";

fn escape(text: &str) -> String {
    text.replace('.', DOT_ESCAPE)
}

fn is_glob(value: &str) -> bool {
    value.contains('*') || value.contains('?')
}

/// The binding word for a pattern value: a whole-value `*` or any other glob binds `*` (AMQP's
/// one word), a long value the placeholder.
fn binding_word(value: &str) -> String {
    if is_glob(value) {
        "*".to_owned()
    } else {
        value_word(value)
    }
}

fn value_word(value: &str) -> String {
    let word = escape(value);
    if word.is_empty() || word.len() > LONGEST_VALUE_WORD {
        PLACEHOLDER.to_owned()
    } else {
        word
    }
}

fn checked(key: String, what: &str) -> Result<String, ActError> {
    if key.len() > MAX_NAME {
        Err(ActError::invalid_msg(format!(
            "the AMQP routing key of this {what} would be {} bytes, over AMQP's {MAX_NAME}: give the client a pin (or fewer top-level keys)",
            key.len()
        ))
        .with_details(serde_json::json!({ "routing_key_bytes": key.len() })))
    } else {
        Ok(key)
    }
}

/// Seneca's binding for a listener pin: `cmd.*.role.math`.
pub(super) fn pin_binding(pin: &Pattern) -> String {
    let words: Vec<String> = pin
        .iter()
        .flat_map(|(k, v)| [escape(k), binding_word(v)])
        .collect();
    words.join(".")
}

/// Seneca's routing key of a request sent through pin `pin`: the pin's keys, sorted, with the
/// message's values (the pin's own value where the message has none).
pub(super) fn request_key(pin: &Pattern, msg: &Value) -> Result<String, ActError> {
    let mut words = Vec::with_capacity(pin.len() * 2);
    for (key, pinned) in pin.iter() {
        words.push(escape(key));
        let word = match msg.get(key) {
            None | Some(Value::Null) => escape(pinned),
            Some(value) => escape(&js_string(value)),
        };
        words.push(word);
    }
    checked(words.join("."), "request")
}

/// The routing key of a message by all its keys: `event.order_shipped.id.7`.
pub(super) fn message_key(msg: &Value) -> Result<String, ActError> {
    let Some(fields) = msg.as_object() else {
        return Ok(String::new());
    };
    let mut words = Vec::with_capacity(fields.len() * 2);
    // serde_json's map iterates keys in ascending byte order, as patterns sort them.
    for (key, value) in fields {
        words.push(escape(key));
        words.push(match value {
            Value::Object(_) => PLACEHOLDER.to_owned(),
            other => value_word(&js_string(other)),
        });
    }
    checked(words.join("."), "message")
}

/// [`message_key`] behind the [`MESSAGE_KEY_MARKER`], for a request no pin routes.
pub(super) fn marked_message_key(msg: &Value) -> Result<String, ActError> {
    let key = message_key(msg)?;
    let marked = if key.is_empty() {
        MESSAGE_KEY_MARKER.to_owned()
    } else {
        format!("{MESSAGE_KEY_MARKER}.{key}")
    };
    checked(marked, "request")
}

/// The binding that receives every [`message_key`] of a message `pattern` may match:
/// `#.event.order_shipped.#` (`#` for the empty pattern).
pub(super) fn message_binding(pattern: &Pattern) -> String {
    let mut words = vec!["#".to_owned()];
    for (key, value) in pattern.iter() {
        words.push(escape(key));
        words.push(binding_word(value));
        words.push("#".to_owned());
    }
    words.join(".")
}

/// [`message_binding`] behind the [`MESSAGE_KEY_MARKER`].
pub(super) fn marked_message_binding(pattern: &Pattern) -> String {
    format!("{MESSAGE_KEY_MARKER}.{}", message_binding(pattern))
}

/// The `(key, value)` pairs of pin text in the order written, directives left out (Seneca
/// names queues in the pin's own key order; [`Pattern`] sorts).
fn ordered_pairs(text: &str) -> Result<Vec<(String, String)>, PatternError> {
    let parsed = parse_object(text)?;
    let mut order: Vec<String> = Vec::new();
    let body = text.trim();
    let body = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or(body);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut segment = String::new();
    let mut segments = Vec::new();
    for c in body.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                segment.push(c);
            }
            None if c == ',' => segments.push(std::mem::take(&mut segment)),
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                segment.push(c);
            }
        }
    }
    segments.push(segment);
    for segment in segments {
        let key = segment.split(':').next().unwrap_or("").trim();
        let key = key.trim_matches(|c| c == '"' || c == '\'');
        if !key.is_empty() && parsed.contains_key(key) && !order.iter().any(|k| k == key) {
            order.push(key.to_owned());
        }
    }
    // Anything the scan missed (exotic quoting) keeps its sorted place at the end.
    for key in parsed.keys() {
        if !order.contains(key) {
            order.push(key.clone());
        }
    }
    Ok(order
        .into_iter()
        .filter(|k| !k.ends_with('$'))
        .filter_map(|k| {
            let value = parsed.get(&k)?;
            (!value.is_null()).then(|| (k.clone(), js_string(value).to_string()))
        })
        .collect())
}

/// seneca-amqp-transport's listener queue name: `prefix` then, per key (first-seen order
/// across the pins), `key:value`, `*` written `any`; several values of one key joined by `_`
/// (as Seneca does, without the `any` replacement): `seneca.add.role:math.cmd:any`.
pub(super) fn seneca_queue_name(prefix: &str, pins: &[String]) -> Result<String, PatternError> {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for pin in pins {
        for (key, value) in ordered_pairs(pin)? {
            match grouped.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => {
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
                None => grouped.push((key, vec![value])),
            }
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if !prefix.is_empty() {
        parts.push(prefix.to_owned());
    }
    for (key, values) in grouped {
        let value = match values.as_slice() {
            [one] => one.replace('*', "any"),
            many => many.join("_"),
        };
        parts.push(format!("{key}:{value}"));
    }
    Ok(parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    #[test]
    fn seneca_names_and_keys() {
        assert_eq!(pin_binding(&p("role:math,cmd:*")), "cmd.*.role.math");
        assert_eq!(pin_binding(&p("version:v1.0")), "version.v1[:dot:]0");
        let msg = json!({"role": "math", "cmd": "sum", "left": 1});
        assert_eq!(
            request_key(&p("role:math,cmd:*"), &msg).unwrap(),
            "cmd.sum.role.math"
        );
        assert_eq!(
            seneca_queue_name("seneca.add", &["role:math,cmd:*".to_owned()]).unwrap(),
            "seneca.add.role:math.cmd:any"
        );
        assert_eq!(
            seneca_queue_name(
                "seneca",
                &[
                    "role:entity,cmd:save".to_owned(),
                    "role:entity,cmd:list".to_owned(),
                    "foo:*".to_owned()
                ]
            )
            .unwrap(),
            "seneca.role:entity.cmd:save_list.foo:any"
        );
        assert_eq!(
            seneca_queue_name("q", &["{ b:'x,y', a:1 }".to_owned()]).unwrap(),
            "q.b:x,y.a:1"
        );
    }

    #[test]
    fn message_keys_and_bindings() {
        let event = json!({"event": "order_shipped", "id": 7, "address": {"x": 1}, "note": "a.b"});
        assert_eq!(
            message_key(&event).unwrap(),
            "address._.event.order_shipped.id.7.note.a[:dot:]b"
        );
        assert_eq!(
            message_binding(&p("event:order_shipped")),
            "#.event.order_shipped.#"
        );
        assert_eq!(
            message_binding(&p("event:order_*,role:shop")),
            "#.event.*.#.role.shop.#"
        );
        assert_eq!(message_binding(&Pattern::empty()), "#");
        let long = "x".repeat(100);
        assert_eq!(message_key(&json!({ "k": long })).unwrap(), "k._");
        assert_eq!(message_binding(&p(&format!("k:{long}"))), "#.k._.#");
        assert_eq!(
            marked_message_key(&json!({"role": "math", "cmd": "sum"})).unwrap(),
            "msg$.cmd.sum.role.math"
        );
        assert_eq!(
            marked_message_binding(&p("role:math,cmd:*")),
            "msg$.#.cmd.*.#.role.math.#"
        );
        let wide: serde_json::Map<String, Value> = (0..40)
            .map(|i| (format!("key{i:02}"), json!("valuevalue")))
            .collect();
        let err = message_key(&Value::Object(wide)).unwrap_err();
        assert_eq!(err.code(), &crate::Code::ACT_INVALID_MSG);
    }
}
