//! [`Injected`]: what became of an event handed to a test node's subscribers, and how a broker
//! transport would settle it.

use serde_json::Value;

use crate::contract::{Delivery, Disposition};
use crate::error::ActError;

/// One delivery of an injected event: each subscriber's outcome and the settlement a broker
/// transport would apply ([`Disposition`]: ack, retry after a backoff, or dead-letter).
///
/// ```
/// use porticus::testing::TestNode;
/// use porticus::transport::Disposition;
/// use porticus::ActError;
/// use serde_json::{json, Value};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let node = TestNode::builder()
///     .subscribe("event:paid", |_: Value| async { Ok::<_, ActError>(()) })
///     .subscribe("event:paid", |_: Value| async { Err::<(), _>(ActError::execute("ledger down")) })
///     .build();
/// let injected = node.inject(json!({"event": "paid", "order": 1})).await;
/// assert_eq!(injected.succeeded().count(), 1);
/// assert_eq!(injected.failed().count(), 1);
/// assert!(matches!(injected.disposition, Disposition::Retry { .. }));
/// assert_eq!(injected.attempt, 1);
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Injected {
    /// The event as injected.
    pub event: Value,
    /// Which delivery of it this was (1 for the first; a duplicate is a first delivery again).
    pub attempt: u32,
    /// Each subscriber that ran and its outcome.
    pub delivery: Delivery,
    /// How a broker transport would settle this delivery.
    pub disposition: Disposition,
}

impl Injected {
    /// The subscribers that handled it.
    pub fn succeeded(&self) -> impl Iterator<Item = &str> {
        self.delivery.succeeded()
    }

    /// The subscribers that failed, with their errors.
    pub fn failed(&self) -> impl Iterator<Item = (&str, &ActError)> {
        self.delivery.failed()
    }

    /// Whether a broker would acknowledge it (every subscriber succeeded, or none matched).
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().build();
    /// assert!(node.inject(json!({"event": "nobody_listens"})).await.is_acked());
    /// # }
    /// ```
    pub fn is_acked(&self) -> bool {
        self.disposition == Disposition::Ack
    }
}

/// The order [`TestNode::inject_all`](super::TestNode::inject_all) delivers events in.
///
/// ```
/// use porticus::testing::Order;
///
/// assert_ne!(Order::AsGiven, Order::Shuffled);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Order {
    /// One after the other, as given.
    AsGiven,
    /// One after the other, in an order drawn from the node's [`Seed`](super::Seed).
    Shuffled,
}
