//! Events emitted, per receiver. The subscribers' own runs are counted as
//! `porticus_events_handled_total` by their route (see `acts.rs`); what brokers do with
//! events (redeliveries, dead letters, backlog) in `queues.rs`.
//!
//! Does nothing until a recorder is installed (or without the `metrics` feature). Labels are
//! bounded: a subscription pattern or client pin, a transport, an error code of the hand-over.

use crate::error::Code;

/// An event was handed to one receiver: a local subscriber (`transport` `in-process`) or a
/// transport client pinned to `pattern`; `error` is the hand-over's failure, if any.
pub(crate) fn emitted(pattern: &str, transport: &'static str, error: Option<&Code>) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        let pattern = super::names::pattern_label(pattern);
        let outcome = error.map_or("ok", Code::as_str);
        metrics::counter!(
            super::names::EVENTS_EMITTED.name,
            "pattern" => pattern.to_owned(),
            "transport" => transport,
            "outcome" => outcome.to_owned()
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (pattern, transport, error);
}

/// An event was emitted and nothing subscribes to it.
pub(crate) fn unrouted() {
    emitted("(none)", "none", None);
}
