//! The subjects a NATS listener really uses, for the AsyncAPI document (`Node::asyncapi`):
//! taken from `subjects`, so that the document and the wire cannot disagree.

use serde_json::Value;

use super::subjects;
use crate::pattern::Pattern;

/// The subject of an act for `msg`: through the first pin it matches.
pub(crate) fn act_subject(prefix: &str, pins: &[Pattern], msg: &Value) -> Option<String> {
    pins.iter()
        .find(|pin| pin.matches(msg))
        .map(|pin| subjects::act_subject(prefix, pin, msg))
}

/// The subject of an event `event`.
pub(crate) fn event_subject(prefix: &str, event: &Value) -> String {
    subjects::event_subject(prefix, event)
}
