//! [`Fault`]: what an act's error says about retrying it and about the health of what it went
//! to. The only place where error codes become retry and breaker decisions.

use crate::error::{ActError, Code};

/// The kind of failure an act ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The request never left (`transport_unavailable`: connection refused, broker down): safe
    /// to send again, whatever the action does.
    NotSent,
    /// The transport took it but nothing is bound to receive it (`no_route`): nothing ran.
    NoRoute,
    /// It may have run (`action_timeout`) or was refused for capacity (`overloaded`): safe to
    /// send again only when running twice does no harm.
    Uncertain,
    /// An open circuit breaker refused it (`circuit_open`, here or further down): retrying
    /// within the cool-down only meets the same answer.
    Refused,
    /// The handler answered with an error of its own: a business answer, never retried and
    /// never held against the callee's health.
    Answered,
}

impl Fault {
    /// The fault `err` reports.
    pub(crate) fn of(err: &ActError) -> Fault {
        let code = err.code();
        if *code == Code::TRANSPORT_UNAVAILABLE {
            Fault::NotSent
        } else if *code == Code::NO_ROUTE {
            Fault::NoRoute
        } else if *code == Code::ACTION_TIMEOUT || *code == Code::OVERLOADED {
            Fault::Uncertain
        } else if *code == Code::CIRCUIT_OPEN {
            Fault::Refused
        } else {
            Fault::Answered
        }
    }

    /// Whether an act that failed this way may be sent again: `idempotent` acts also on a
    /// timeout or `overloaded`, `no_route` only when the policy says so.
    pub(crate) fn retryable(self, idempotent: bool, retry_no_route: bool) -> bool {
        match self {
            Fault::NotSent => true,
            Fault::NoRoute => retry_no_route,
            Fault::Uncertain => idempotent,
            Fault::Refused | Fault::Answered => false,
        }
    }

    /// Whether it counts as a failure of the callee for a circuit breaker.
    pub(crate) fn is_callee_failure(self) -> bool {
        !matches!(self, Fault::Answered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(code: Code) -> Fault {
        Fault::of(&ActError::new(code, "x"))
    }

    #[test]
    fn only_failures_before_sending_are_always_retried() {
        assert!(fault(Code::TRANSPORT_UNAVAILABLE).retryable(false, false));
        assert!(!fault(Code::NO_ROUTE).retryable(true, false));
        assert!(fault(Code::NO_ROUTE).retryable(false, true));
        assert!(!fault(Code::ACTION_TIMEOUT).retryable(false, true));
        assert!(fault(Code::ACTION_TIMEOUT).retryable(true, false));
        assert!(fault(Code::OVERLOADED).retryable(true, false));
        assert!(!fault(Code::CIRCUIT_OPEN).retryable(true, true));
        assert!(!fault(Code::new("card_declined")).retryable(true, true));
        assert!(!fault(Code::ACT_EXECUTE).retryable(true, true));
    }

    #[test]
    fn handler_answers_are_not_held_against_the_callee() {
        assert!(!fault(Code::new("out_of_stock")).is_callee_failure());
        assert!(!fault(Code::ACT_INVALID_MSG).is_callee_failure());
        assert!(fault(Code::TRANSPORT_UNAVAILABLE).is_callee_failure());
        assert!(fault(Code::ACTION_TIMEOUT).is_callee_failure());
        assert!(fault(Code::CIRCUIT_OPEN).is_callee_failure());
    }
}
