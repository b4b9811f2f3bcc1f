//! The names an AMQP listener really uses, for the AsyncAPI document (`Node::asyncapi`): taken
//! from `naming`, so that the document and the wire cannot disagree.

use serde_json::Value;

use super::naming;
use crate::config::AmqpListenConfig;
use crate::pattern::Pattern;

/// The request queue a listener consumes for `pins` (its own name, or Seneca's).
pub(crate) fn request_queue(config: &AmqpListenConfig, pins: &[String]) -> Option<String> {
    if config.queue.trim().is_empty() {
        naming::seneca_queue_name(&config.queue_prefix, pins).ok()
    } else {
        Some(config.queue.trim().to_owned())
    }
}

/// The routing key of an act for `msg`: from the first pin it matches, else from all its keys.
pub(crate) fn act_key(pins: &[Pattern], msg: &Value) -> Option<String> {
    match pins.iter().find(|pin| pin.matches(msg)) {
        Some(pin) => naming::request_key(pin, msg).ok(),
        None => naming::marked_message_key(msg).ok(),
    }
}

/// The routing key of an event `event` on the events exchange.
pub(crate) fn event_key(event: &Value) -> Option<String> {
    naming::message_key(event).ok()
}
