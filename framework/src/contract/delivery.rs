//! [`Delivery`]: how each local subscriber handled one delivery of an event.

use super::disposition::{Disposition, Redelivery};
use crate::error::ActError;

/// How one local subscriber handled an event.
///
/// ```
/// use porticus::transport::Delivered;
///
/// let ok = Delivered { subscriber: "src/mail.rs:12".into(), outcome: Ok(()) };
/// assert!(ok.outcome.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// Names the subscriber (where it is defined), the same on every delivery within one
    /// process: pass the names that succeeded back to [`Node::deliver`](crate::Node::deliver)
    /// on a redelivery so they are not run twice.
    pub subscriber: String,
    /// Its outcome (a panic is an `act_execute` error, a deadline an `action_timeout`).
    pub outcome: Result<(), ActError>,
}

/// The outcome of [`Node::deliver`](crate::Node::deliver): one [`Delivered`] per local
/// subscriber that ran. [`disposition`](Self::disposition) says how to settle the message.
///
/// ```
/// use porticus::transport::{Delivered, Delivery, Disposition, Redelivery};
/// use porticus::ActError;
/// use std::time::Duration;
///
/// let delivery = Delivery::from(vec![
///     Delivered { subscriber: "mail".into(), outcome: Ok(()) },
///     Delivered { subscriber: "stats".into(), outcome: Err(ActError::execute("disk full")) },
/// ]);
/// assert_eq!(delivery.succeeded().collect::<Vec<_>>(), ["mail"]);
/// let policy = Redelivery { max_attempts: 3, backoff: Duration::from_millis(100), ..Redelivery::default() };
/// assert_eq!(delivery.disposition(1, &policy), Disposition::Retry { after: Duration::from_millis(100) });
/// assert!(matches!(delivery.disposition(3, &policy), Disposition::DeadLetter { .. }));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    delivered: Vec<Delivered>,
}

impl From<Vec<Delivered>> for Delivery {
    fn from(delivered: Vec<Delivered>) -> Self {
        Delivery { delivered }
    }
}

impl Delivery {
    /// Every subscriber that ran, with its outcome.
    pub fn iter(&self) -> std::slice::Iter<'_, Delivered> {
        self.delivered.iter()
    }

    /// Whether no local subscriber ran (none matches, or all had succeeded before).
    pub fn is_empty(&self) -> bool {
        self.delivered.is_empty()
    }

    /// The subscribers that succeeded.
    pub fn succeeded(&self) -> impl Iterator<Item = &str> {
        self.iter()
            .filter(|d| d.outcome.is_ok())
            .map(|d| d.subscriber.as_str())
    }

    /// The subscribers that failed, with their errors.
    pub fn failed(&self) -> impl Iterator<Item = (&str, &ActError)> {
        self.iter()
            .filter_map(|d| d.outcome.as_ref().err().map(|e| (d.subscriber.as_str(), e)))
    }

    /// How to settle the message this was delivery `attempt` of (1 for the first):
    /// [`Ack`](Disposition::Ack) when no subscriber failed;
    /// [`DeadLetter`](Disposition::DeadLetter) at once when every failure is permanent (the
    /// event's shape is wrong: it will fail again), or after `policy.max_attempts`; else
    /// [`Retry`](Disposition::Retry) after `policy`'s backoff. The dead-letter reason is the
    /// first failure.
    pub fn disposition(&self, attempt: u32, policy: &Redelivery) -> Disposition {
        let mut failed = self.failed().map(|(_, e)| e).peekable();
        let Some(first) = failed.peek().copied() else {
            return Disposition::Ack;
        };
        if failed.all(Disposition::is_permanent) || policy.is_last(attempt) {
            Disposition::DeadLetter {
                reason: first.clone(),
            }
        } else {
            Disposition::Retry {
                after: policy.delay(attempt),
            }
        }
    }
}

impl<'a> IntoIterator for &'a Delivery {
    type Item = &'a Delivered;
    type IntoIter = std::slice::Iter<'a, Delivered>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
