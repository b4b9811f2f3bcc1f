//! Retries, acts shed by a bulkhead and circuit breaker states, by policy pattern
//! (`docs/resilience.md`).
//!
//! Does nothing until a recorder is installed (or without the `metrics` feature). Labels are
//! bounded: a policy's or an action's pattern, an error code, a breaker state.

use crate::error::Code;
use crate::resilience::breaker::BreakerState;

/// An act of `pattern`'s policy failed with `code` and is sent again.
pub(crate) fn retried(pattern: &str, code: &Code) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::counter!(
            super::names::ACT_RETRIES.name,
            "pattern" => super::names::pattern_label(pattern).to_owned(),
            "code" => code.as_str().to_owned()
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (pattern, code);
}

/// An act was refused at once by `pattern`'s bulkhead (`overloaded`).
pub(crate) fn shed(pattern: &str) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::counter!(
            super::names::ACTS_SHED.name,
            "pattern" => super::names::pattern_label(pattern).to_owned()
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = pattern;
}

/// `pattern`'s circuit breaker is now in `state`: that state's series reads 1, the others 0,
/// and the transition is counted.
pub(crate) fn breaker(pattern: &str, state: BreakerState) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        let pattern = super::names::pattern_label(pattern);
        for each in [
            BreakerState::Closed,
            BreakerState::HalfOpen,
            BreakerState::Open,
        ] {
            metrics::gauge!(
                super::names::BREAKER_STATE.name,
                "pattern" => pattern.to_owned(),
                "state" => each.as_str()
            )
            .set(if each == state { 1.0 } else { 0.0 });
        }
        metrics::counter!(
            super::names::BREAKER_TRANSITIONS.name,
            "pattern" => pattern.to_owned(),
            "to" => state.as_str()
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (pattern, state);
}
