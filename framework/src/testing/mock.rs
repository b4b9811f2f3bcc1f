//! [`Mock`]: a canned or computed answer for the acts a test does not run for real.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::harness::{lock, Call, Log};
use crate::action::BoxFuture;
use crate::contract::Client;
use crate::error::ActError;
use crate::message::Meta;
use crate::transport::local::Faults;

type Respond = Arc<dyn Fn(Value) -> BoxFuture<Result<Value, ActError>> + Send + Sync>;

/// How a mocked pattern answers: a value, an error, a function of the message, or never; after
/// an optional latency. Registered with
/// [`TestNodeBuilder::mock`](super::TestNodeBuilder::mock).
///
/// ```
/// use porticus::testing::{Mock, TestNode};
/// use porticus::{ActError, Code};
/// use serde::{Deserialize, Serialize};
/// use serde_json::{json, Value};
/// use std::time::Duration;
///
/// #[derive(Deserialize)]
/// struct Charge { amount: u32 }
/// #[derive(Serialize)]
/// struct Receipt { approved: bool }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let node = TestNode::builder()
///     .mock("role:payment,cmd:charge", Mock::typed(|c: Charge| async move {
///         Ok(Receipt { approved: c.amount < 100 })
///     }))
///     .mock("role:payment,cmd:refund", Mock::error(ActError::new("refund_closed", "no refunds today")))
///     .mock("role:fx", Mock::reply(|msg: Value| async move { Ok(json!({"rate": 1.1, "for": msg["ccy"]})) }))
///     .mock("role:slow", Mock::value(json!("late")).with_latency(Duration::from_millis(20)))
///     .build();
/// let ok = node.act(json!({"role": "payment", "cmd": "charge", "amount": 30})).await.unwrap();
/// assert_eq!(ok, json!({"approved": true}));
/// let err = node.act(json!({"role": "payment", "cmd": "refund"})).await.unwrap_err();
/// assert_eq!(err.code(), &Code::new("refund_closed"));
/// // A typed mock answers a message of the wrong shape with act_invalid_msg.
/// let bad = node.act(json!({"role": "payment", "cmd": "charge", "amount": "ten"})).await.unwrap_err();
/// assert_eq!(bad.code(), &Code::ACT_INVALID_MSG);
/// # }
/// ```
#[derive(Clone)]
pub struct Mock {
    respond: Option<Respond>,
    latency: Duration,
}

impl std::fmt::Debug for Mock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mock")
            .field("answers", &self.respond.is_some())
            .field("latency", &self.latency)
            .finish()
    }
}

impl Mock {
    /// Answers with what `respond` makes of the message (without its directives).
    pub fn reply<F, Fut>(respond: F) -> Mock
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ActError>> + Send + 'static,
    {
        Mock {
            respond: Some(Arc::new(move |msg| Box::pin(respond(msg)))),
            latency: Duration::ZERO,
        }
    }

    /// Answers with what `respond` makes of the message decoded as `I`, encoded from `O`; a
    /// message that does not decode is answered `act_invalid_msg`, as a real handler would.
    pub fn typed<I, O, F, Fut>(respond: F) -> Mock
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + Send + 'static,
        F: Fn(I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, ActError>> + Send + 'static,
    {
        let respond = Arc::new(respond);
        Mock::reply(move |msg: Value| {
            let respond = respond.clone();
            async move {
                let input = serde_json::from_value::<I>(msg).map_err(|e| {
                    ActError::invalid_msg(format!(
                        "the mock's input ({}) does not decode: {e}",
                        std::any::type_name::<I>()
                    ))
                })?;
                let output = respond(input).await?;
                serde_json::to_value(output).map_err(|e| {
                    ActError::execute(format!("the mock's reply does not serialize: {e}"))
                })
            }
        })
    }

    /// Answers every call with `reply`.
    ///
    /// # Panics
    /// When `reply` does not serialize to JSON (a test bug).
    pub fn value(reply: impl Serialize) -> Mock {
        let reply = serde_json::to_value(reply).expect("a mock's reply must serialize to JSON");
        Mock::reply(move |_| {
            let reply = reply.clone();
            async move { Ok(reply) }
        })
    }

    /// Fails every call with `error`.
    pub fn error(error: ActError) -> Mock {
        Mock::reply(move |_| {
            let error = error.clone();
            async move { Err(error) }
        })
    }

    /// Never answers: the caller's deadline ends the act (`action_timeout`). Under paused
    /// time that takes no wall time.
    ///
    /// ```
    /// use porticus::testing::{Mock, TestNode};
    /// use porticus::Code;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let node = TestNode::builder().mock("role:payment", Mock::never()).build();
    /// let err = node.act(json!({"role": "payment", "timeout$": 20000})).await.unwrap_err();
    /// assert_eq!(err.code(), &Code::ACTION_TIMEOUT);
    /// # }
    /// ```
    pub fn never() -> Mock {
        Mock {
            respond: None,
            latency: Duration::ZERO,
        }
    }

    /// Answers only after `latency`.
    pub fn with_latency(mut self, latency: Duration) -> Mock {
        self.latency = latency;
        self
    }
}

/// The client a mocked pattern is routed to: records each act, applies the node's seeded
/// faults and the mock's latency, then answers.
#[derive(Debug)]
pub(super) struct MockClient {
    pub(super) pattern: String,
    pub(super) mock: Mock,
    pub(super) log: Arc<Log>,
    pub(super) faults: Faults,
}

impl Client for MockClient {
    fn transport(&self) -> &'static str {
        "mock"
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let plan = self.faults.plan(&msg);
        let mock = self.mock.clone();
        let log = self.log.clone();
        let pattern = self.pattern.clone();
        Box::pin(async move {
            plan.apply().await?;
            if plan.dropped {
                // Lost before it reached the mock: the caller's deadline ends the act.
                return std::future::pending().await;
            }
            let deliveries = if plan.duplicate { 2 } else { 1 };
            let mut answer = None;
            for _ in 0..deliveries {
                lock(&log.calls).push(Call {
                    pattern: pattern.clone(),
                    msg: msg.clone(),
                    meta: meta.clone(),
                });
                if !mock.latency.is_zero() {
                    tokio::time::sleep(mock.latency).await;
                }
                let Some(respond) = &mock.respond else {
                    return std::future::pending().await;
                };
                // The caller sees the first answer; a duplicate's is dropped.
                let reply = respond(msg.clone()).await;
                answer.get_or_insert(reply);
            }
            answer.unwrap_or_else(|| Err(ActError::execute("the mock was not called")))
        })
    }

    fn emit(&self, _event: Value, _meta: Meta) -> BoxFuture<Result<(), ActError>> {
        // Events reach the node's catch-all recorder too; a mock takes acts only.
        Box::pin(async { Ok(()) })
    }
}
