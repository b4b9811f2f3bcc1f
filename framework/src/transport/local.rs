//! The in-process transport: a [`LocalClient`] forwards acts and events to another [`Node`] in
//! the same process, without turning them into bytes.
//!
//! It is also the test double every behaviour test runs against first: [`Faults`] injects
//! delay, failure and duplicate delivery, the way a real network and broker misbehave.
//!
//! ```
//! use porticus::transport::local::LocalClient;
//! use porticus::{ActError, Node};
//! use serde_json::{json, Value};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Node::builder()
//!     .without_registered()
//!     .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
//!     .build()?;
//! let caller = Node::builder()
//!     .without_registered()
//!     .client("role:echo", LocalClient::new(server))
//!     .build()?;
//! assert_eq!(caller.act(json!({"role": "echo", "x": 1})).await?, json!({"role": "echo", "x": 1}));
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use super::Client;
use crate::action::BoxFuture;
use crate::error::ActError;
use crate::message::Meta;
use crate::node::Node;

/// Client side of the in-process transport: acts and emits into another node.
#[derive(Debug, Clone)]
pub struct LocalClient {
    target: Node,
    faults: Faults,
}

impl LocalClient {
    /// A client that forwards to `target`.
    pub fn new(target: Node) -> Self {
        LocalClient {
            target,
            faults: Faults::default(),
        }
    }

    /// The fault-injection handle of this client (shared by its clones).
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }
}

impl Client for LocalClient {
    fn transport(&self) -> &'static str {
        "local"
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let plan = self.faults.plan();
        let target = self.target.clone();
        Box::pin(async move {
            plan.apply().await?;
            if plan.duplicate {
                let (target, msg, meta) = (target.clone(), msg.clone(), meta.clone());
                tokio::spawn(async move {
                    // The duplicate's reply is dropped, as a real transport drops a late one.
                    let _ = target.act_from(msg, meta).await;
                });
            }
            target.act_from(msg, meta).await
        })
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>> {
        let plan = self.faults.plan();
        let target = self.target.clone();
        Box::pin(async move {
            plan.apply().await?;
            if plan.duplicate {
                target.emit_from(event.clone(), meta.clone())?;
            }
            target.emit_from(event, meta)
        })
    }
}

/// Faults a [`LocalClient`] injects into the calls that go through it.
///
/// Cheap to clone; every clone controls the same client.
///
/// ```
/// use porticus::transport::local::Faults;
/// use porticus::{ActError, Code};
/// use std::time::Duration;
///
/// let faults = Faults::default();
/// faults.set_delay(Duration::from_millis(5));
/// faults.fail_next(2, ActError::new(Code::TRANSPORT_UNAVAILABLE, "link down"));
/// faults.set_duplicate(true);
/// faults.clear();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<FaultState>>,
}

#[derive(Debug, Default)]
struct FaultState {
    delay: Duration,
    failures: usize,
    failure: Option<ActError>,
    duplicate: bool,
}

/// What to do to one call, decided when it starts.
struct Plan {
    delay: Duration,
    failure: Option<ActError>,
    duplicate: bool,
}

impl Plan {
    async fn apply(&self) -> Result<(), ActError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        match &self.failure {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }
}

impl Faults {
    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn plan(&self) -> Plan {
        self.with(|s| {
            let failure = if s.failures > 0 {
                s.failures -= 1;
                s.failure.clone()
            } else {
                None
            };
            Plan {
                delay: s.delay,
                failure,
                duplicate: s.duplicate,
            }
        })
    }

    /// Delays every call by `delay` before it is delivered.
    pub fn set_delay(&self, delay: Duration) {
        self.with(|s| s.delay = delay);
    }

    /// Fails the next `count` calls with `error`, without delivering them.
    pub fn fail_next(&self, count: usize, error: ActError) {
        self.with(|s| {
            s.failures = count;
            s.failure = Some(error);
        });
    }

    /// Delivers every call twice (at-least-once delivery); the caller sees the first reply.
    pub fn set_duplicate(&self, duplicate: bool) {
        self.with(|s| s.duplicate = duplicate);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.with(|s| *s = FaultState::default());
    }
}
