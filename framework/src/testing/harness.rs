//! What a [`TestNode`](super::TestNode) records: the calls its mocks answered, the events its
//! code emitted, the acts nothing answered; and the catch-all client that records the last two.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::sync::Notify;

use crate::action::BoxFuture;
use crate::contract::Client;
use crate::error::{ActError, Code};
use crate::message::Meta;

/// One act a [`Mock`](super::Mock) answered: the message (without its directives) and its meta.
///
/// ```
/// use porticus::testing::{Mock, TestNode};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let node = TestNode::builder().mock("role:stock", Mock::value(json!({"left": 3}))).build();
/// node.act(json!({"role": "stock", "item": "tea", "timeout$": 500})).await.unwrap();
/// let call = &node.calls("role:stock")[0];
/// assert_eq!(call.msg, json!({"role": "stock", "item": "tea"}));
/// assert!(call.meta.timeout().as_millis() == 500);
/// assert_eq!(call.pattern, "role:stock");
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Call {
    /// The pattern of the mock that answered, as registered.
    pub pattern: String,
    /// The message, without its directives.
    pub msg: Value,
    /// Its ids, deadline and trace context.
    pub meta: Meta,
}

/// One event the code under test emitted: the event (without its directives) and its meta.
///
/// ```
/// use porticus::testing::TestNode;
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let node = TestNode::builder().build();
/// node.emit(json!({"event": "shipped", "order": 7})).await.unwrap();
/// let shipped = &node.emitted("event:shipped")[0];
/// assert_eq!(shipped.event["order"], 7);
/// assert!(!shipped.meta.tx().is_empty());
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Emitted {
    /// The event, without its directives.
    pub event: Value,
    /// Its ids (the transaction it belongs to) and trace context.
    pub meta: Meta,
}

/// The logs a test node and its clients share.
#[derive(Debug, Default)]
pub(super) struct Log {
    pub(super) calls: Mutex<Vec<Call>>,
    pub(super) emitted: Mutex<Vec<Emitted>>,
    pub(super) unmocked: Mutex<Vec<Value>>,
    /// Woken on every emit (what `wait_for_event` waits on).
    pub(super) arrived: Notify,
    /// What the node answers, for the message of an unmatched act.
    pub(super) registered: Vec<String>,
    pub(super) mocked: Vec<String>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Log {
    pub(super) fn unmatched(&self, msg: &Value) -> ActError {
        ActError::new(
            Code::ACT_NOT_FOUND,
            format!(
                "no handler or mock matches {msg}: an unmocked dependency (registered: {}; mocked: {})",
                list(&self.registered),
                list(&self.mocked)
            ),
        )
    }
}

pub(super) fn list(patterns: &[String]) -> String {
    if patterns.is_empty() {
        "none".to_owned()
    } else {
        patterns.join(", ")
    }
}

/// The catch-all client of a test node: an act that reaches it matched nothing (recorded, and
/// answered `act_not_found`); every event reaches it (recorded).
#[derive(Debug)]
pub(super) struct Harness {
    pub(super) log: Arc<Log>,
}

impl Client for Harness {
    fn transport(&self) -> &'static str {
        "test"
    }

    fn act(&self, msg: Value, _meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let error = self.log.unmatched(&msg);
        lock(&self.log.unmocked).push(msg);
        Box::pin(async move { Err(error) })
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>> {
        lock(&self.log.emitted).push(Emitted { event, meta });
        self.log.arrived.notify_waiters();
        Box::pin(async { Ok(()) })
    }
}
