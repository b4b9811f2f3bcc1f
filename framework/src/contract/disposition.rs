//! [`Disposition`]: how a broker-backed listener settles a message, decided from the outcome
//! in this one place; [`Redelivery`]: the retry policy it is decided with.

use std::time::Duration;

use serde_json::Value;

use crate::error::{ActError, Code};

/// How to settle a message taken from a broker.
///
/// Derived from the outcome by [`Delivery::disposition`](super::Delivery::disposition) (an
/// event), [`Disposition::after_act`] (a request) or [`Disposition::for_error`] (a message
/// that could not be dispatched at all), so that no transport compares error codes itself.
///
/// ```
/// use porticus::transport::{Disposition, Redelivery};
/// use porticus::{ActError, Code};
/// use std::time::Duration;
///
/// let policy = Redelivery::default();
/// let down = ActError::new(Code::TRANSPORT_UNAVAILABLE, "the database is down");
/// assert!(matches!(Disposition::for_error(&down, 1, &policy), Disposition::Retry { .. }));
/// let malformed = ActError::invalid_msg("an event must be a JSON object, got a string");
/// assert!(matches!(Disposition::for_error(&malformed, 1, &policy), Disposition::DeadLetter { .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Disposition {
    /// Done with: acknowledge it.
    Ack,
    /// Failed this time: hand it back to be delivered again, counted as a failed attempt,
    /// no sooner than `after`.
    Retry {
        /// The backoff before the next attempt.
        after: Duration,
    },
    /// Not handled because this node is closing: hand it back at once, not counted as an
    /// attempt, for another instance (or this one after a restart).
    Requeue,
    /// Will not succeed (a permanent error, or the last attempt failed): move it to the
    /// dead letters with `reason`, and acknowledge the original.
    DeadLetter {
        /// Why: the (first) error it failed with.
        reason: ActError,
    },
}

impl Disposition {
    /// Whether `error` will happen again however often the same message is delivered: the
    /// message is malformed (`act_invalid_msg`) or too large (`payload_too_large`). Every
    /// other error — `transport_unavailable`, `overloaded`, `action_timeout`, a panic
    /// (`act_execute`), a handler's own code — may pass on a later attempt.
    ///
    /// ```
    /// use porticus::transport::Disposition;
    /// use porticus::{ActError, Code};
    ///
    /// assert!(Disposition::is_permanent(&ActError::invalid_msg("`amount` must be a number")));
    /// assert!(!Disposition::is_permanent(&ActError::new(Code::OVERLOADED, "busy")));
    /// assert!(!Disposition::is_permanent(&ActError::new("card_declined", "declined")));
    /// ```
    pub fn is_permanent(error: &ActError) -> bool {
        [Code::ACT_INVALID_MSG, Code::PAYLOAD_TOO_LARGE].contains(error.code())
    }

    /// How to settle delivery `attempt` (1 for the first) of a message that failed with
    /// `error`: dead-letter a permanent error at once and any error on the last attempt,
    /// else retry after the policy's backoff.
    ///
    /// ```
    /// use porticus::transport::{Disposition, Redelivery};
    /// use porticus::ActError;
    /// use std::time::Duration;
    ///
    /// let policy = Redelivery { max_attempts: 2, backoff: Duration::from_secs(1), ..Redelivery::default() };
    /// let boom = ActError::execute("boom");
    /// assert_eq!(Disposition::for_error(&boom, 1, &policy), Disposition::Retry { after: Duration::from_secs(1) });
    /// assert_eq!(Disposition::for_error(&boom, 2, &policy), Disposition::DeadLetter { reason: boom.clone() });
    /// ```
    pub fn for_error(error: &ActError, attempt: u32, policy: &Redelivery) -> Disposition {
        if Disposition::is_permanent(error) || policy.is_last(attempt) {
            Disposition::DeadLetter {
                reason: error.clone(),
            }
        } else {
            Disposition::Retry {
                after: policy.delay(attempt),
            }
        }
    }

    /// How to settle a request once its act finished and its reply (error or not) was sent:
    /// [`Ack`](Self::Ack) — the caller has the outcome — unless the act was refused with
    /// `closed` because this node is closing (`node_closed`), then
    /// [`Requeue`](Self::Requeue) for another instance.
    ///
    /// ```
    /// use porticus::transport::Disposition;
    /// use porticus::{ActError, Code};
    /// use serde_json::json;
    ///
    /// assert_eq!(Disposition::after_act(&Ok(json!(3)), false), Disposition::Ack);
    /// let closed = Err(ActError::new(Code::CLOSED, "closing"));
    /// assert_eq!(Disposition::after_act(&closed, true), Disposition::Requeue);
    /// // `closed` from a node further down the call chain is an answer like any other.
    /// assert_eq!(Disposition::after_act(&closed, false), Disposition::Ack);
    /// ```
    pub fn after_act(outcome: &Result<Value, ActError>, node_closed: bool) -> Disposition {
        match outcome {
            Err(err) if node_closed && err.code() == &Code::CLOSED => Disposition::Requeue,
            _ => Disposition::Ack,
        }
    }
}

/// When a failing message is delivered again, and how often: exponential backoff from
/// `backoff`, doubling per failed attempt up to `backoff_max`, for at most `max_attempts`
/// deliveries in all.
///
/// ```
/// use porticus::transport::Redelivery;
/// use std::time::Duration;
///
/// let policy = Redelivery {
///     max_attempts: 5,
///     backoff: Duration::from_millis(100),
///     backoff_max: Duration::from_millis(300),
/// };
/// assert_eq!(policy.delay(1), Duration::from_millis(100));
/// assert_eq!(policy.delay(2), Duration::from_millis(200));
/// assert_eq!(policy.delay(3), Duration::from_millis(300));
/// assert!(!policy.is_last(4));
/// assert!(policy.is_last(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redelivery {
    /// Deliveries in all, the first included (at least 1). Default 5.
    pub max_attempts: u32,
    /// The delay after the first failure. Default 1 s.
    pub backoff: Duration,
    /// The longest delay. Default 30 s.
    pub backoff_max: Duration,
}

impl Default for Redelivery {
    fn default() -> Self {
        Redelivery {
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }
}

impl Redelivery {
    /// The delay after failed attempt `attempt` (1 for the first), before the next one.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.backoff.saturating_mul(factor).min(self.backoff_max)
    }

    /// Whether attempt `attempt` is the last one allowed.
    pub fn is_last(&self, attempt: u32) -> bool {
        attempt >= self.max_attempts.max(1)
    }
}
