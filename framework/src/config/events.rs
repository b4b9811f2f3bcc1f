//! [`EventMode`]: how the instances of a service share events, on every broker.

use serde::{Deserialize, Serialize};

/// How the instances of one service share the events they subscribe to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EventMode {
    /// One durable queue (AMQP) or consumer (NATS) per service: every subscribing *service* gets
    /// each event once and its instances compete for it. Events wait while every instance is down.
    #[default]
    Group,
    /// One queue or consumer per instance: every *instance* gets each event. It lives as long as
    /// the instance's connection, so an instance that is down misses what is emitted meanwhile.
    Broadcast,
}
