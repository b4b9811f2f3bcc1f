//! What brokers do with a service's events: redeliveries, dead letters and the backlog of
//! its queue (AMQP) or durable consumer (NATS).
//!
//! Every function does nothing until a recorder is installed (or without the `metrics`
//! feature). Labels are bounded: a transport, a queue this service declared, a reason.

use crate::error::ActError;
use crate::transport::Disposition;

/// Why an event went to the dead letters: the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeadLetter {
    /// The last attempt allowed failed.
    Exhausted,
    /// An error that no redelivery can cure (malformed or oversized).
    Permanent,
    /// Not a JSON object, or refused before any subscriber ran.
    Unreadable,
}

impl DeadLetter {
    /// Every reason, so that a watched queue shows each at zero from the start.
    #[cfg(feature = "metrics")]
    const ALL: [DeadLetter; 3] = [
        DeadLetter::Exhausted,
        DeadLetter::Permanent,
        DeadLetter::Unreadable,
    ];

    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            DeadLetter::Exhausted => "exhausted",
            DeadLetter::Permanent => "permanent",
            DeadLetter::Unreadable => "unreadable",
        }
    }
}

impl DeadLetter {
    /// Why an event that failed with `error` is dead-lettered: an error no redelivery can cure
    /// ([`Disposition::is_permanent`]), else the attempts ran out.
    pub(crate) fn for_error(error: &ActError) -> DeadLetter {
        if Disposition::is_permanent(error) {
            DeadLetter::Permanent
        } else {
            DeadLetter::Exhausted
        }
    }
}

/// A listener consumes events from `queue` over `transport`: its redelivery and dead-letter
/// counters start at zero, so that a dashboard shows 0 rather than no data.
pub(crate) fn watch_queue(transport: &'static str, queue: &str) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        redeliveries(transport, queue).increment(0);
        for reason in DeadLetter::ALL {
            dead_letters(transport, queue, reason).increment(0);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, queue);
}

/// A delivery from `queue` was a second or later attempt.
pub(crate) fn redelivered(transport: &'static str, queue: &str) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        redeliveries(transport, queue).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, queue);
}

/// An event from `queue` went to the dead letters, for `reason`.
pub(crate) fn dead_lettered(transport: &'static str, queue: &str, reason: DeadLetter) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        dead_letters(transport, queue, reason).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, queue, reason);
}

#[cfg(feature = "metrics")]
fn redeliveries(transport: &'static str, queue: &str) -> metrics::Counter {
    metrics::counter!(
        super::names::EVENTS_REDELIVERED.name,
        "transport" => transport,
        "queue" => queue.to_owned()
    )
}

#[cfg(feature = "metrics")]
fn dead_letters(transport: &'static str, queue: &str, reason: DeadLetter) -> metrics::Counter {
    metrics::counter!(
        super::names::EVENTS_DEAD_LETTERED.name,
        "transport" => transport,
        "queue" => queue.to_owned(),
        "reason" => reason.as_str()
    )
}

/// The broker reports `waiting` events in `queue`.
pub(crate) fn backlog(transport: &'static str, queue: &str, waiting: u64) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::gauge!(super::names::EVENT_BACKLOG.name, "transport" => transport, "queue" => queue.to_owned()).set(waiting as f64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, queue, waiting);
}

/// How often a listener asks its broker for the backlog, while metrics are recorded.
pub(crate) const BACKLOG_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
