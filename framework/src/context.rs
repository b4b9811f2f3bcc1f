//! [`Context`]: what a running handler can do — act, emit, call its prior — and know.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::ActError;
use crate::message::{split, Meta};
use crate::node::{decode_reply, payload_map, Node, Route, Side};
use crate::pattern::parse_object;

/// The context of one running handler: the node it runs on, the [`Meta`] of its message and
/// the route that matched.
///
/// Acts and emits made through the context inherit the transaction id and the remaining
/// deadline of the message being handled.
///
/// ```
/// use porticus::{ActError, Context, Node};
/// use serde_json::{json, Value};
///
/// async fn sum(m: Value) -> Result<Value, ActError> {
///     Ok(json!({ "answer": m["left"].as_f64().unwrap_or(0.0) + m["right"].as_f64().unwrap_or(0.0) }))
/// }
///
/// // Floors its inputs, then hands over to the action it refines: `role:math,cmd:sum`.
/// async fn integer_sum(m: Value, ctx: Context) -> Result<Value, ActError> {
///     let floor = |k: &str| m[k].as_f64().unwrap_or(0.0).floor();
///     ctx.prior(json!({ "role": "math", "cmd": "sum", "left": floor("left"), "right": floor("right") })).await
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder()
///     .without_registered()
///     .add("role:math,cmd:sum", sum)
///     .add("role:math,cmd:sum,integer:true", integer_sum)
///     .build()?;
/// let reply = node.act(json!({"role": "math", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7})).await?;
/// assert_eq!(reply, json!({"answer": 3.0}));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Context {
    node: Node,
    meta: Meta,
    route: Arc<Route>,
}

impl Context {
    pub(crate) fn new(node: Node, meta: Meta, route: Arc<Route>) -> Self {
        Context { node, meta, route }
    }

    /// The node the handler runs on.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .name("billing")
    ///     .add("role:whoami", |_: Value, ctx: Context| async move {
    ///         Ok::<_, ActError>(ctx.node().name().to_owned())
    ///     })
    ///     .build()?;
    /// assert_eq!(node.act(json!({"role": "whoami"})).await?, json!("billing"));
    /// # Ok(()) }
    /// ```
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The meta of the message being handled: ids, deadline, trace context.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:tx", |_: Value, ctx: Context| async move {
    ///         Ok::<_, ActError>(ctx.meta().tx().to_owned())
    ///     })
    ///     .build()?;
    /// assert_eq!(node.act(json!({"role": "tx", "tx$": "t-42"})).await?, json!("t-42"));
    /// # Ok(()) }
    /// ```
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The canonical pattern that matched (`cmd:sum,role:math`).
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:math,cmd:*", |_: Value, ctx: Context| async move {
    ///         Ok::<_, ActError>(ctx.pattern().to_owned())
    ///     })
    ///     .build()?;
    /// let reply = node.act(json!({"role": "math", "cmd": "sum"})).await?;
    /// assert_eq!(reply, json!("cmd:*,role:math"));
    /// # Ok(()) }
    /// ```
    pub fn pattern(&self) -> &str {
        &self.route.canonical
    }

    pub(crate) fn pattern_arc(&self) -> Arc<str> {
        self.route.canonical.clone()
    }

    /// The time left before this act's deadline.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:budget", |_: Value, ctx: Context| async move {
    ///         Ok::<_, ActError>(ctx.remaining() <= Duration::from_millis(500))
    ///     })
    ///     .build()?;
    /// assert_eq!(node.act(json!({"role": "budget", "timeout$": 500})).await?, json!(true));
    /// # Ok(()) }
    /// ```
    pub fn remaining(&self) -> Duration {
        self.meta.remaining()
    }

    /// Acts within this act: same transaction, at most the remaining deadline.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:price", |_: Value| async { Ok::<_, ActError>(json!({"cents": 250})) })
    ///     .add("role:quote", |_: Value, ctx: Context| async move {
    ///         let price = ctx.act(json!({"role": "price"})).await?;
    ///         Ok::<_, ActError>(json!({"total": price["cents"].as_i64().unwrap_or(0) * 2}))
    ///     })
    ///     .build()?;
    /// assert_eq!(node.act(json!({"role": "quote"})).await?, json!({"total": 500}));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Node::act`].
    pub async fn act(&self, msg: Value) -> Result<Value, ActError> {
        self.node.act_in(msg, Some(&self.meta)).await
    }

    /// Typed act within this act; see [`Node::act_as`].
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:math,cmd:double", |m: Value| async move {
    ///         Ok::<_, ActError>(m["n"].as_i64().unwrap_or(0) * 2)
    ///     })
    ///     .add("role:math,cmd:quadruple", |m: Value, ctx: Context| async move {
    ///         let twice: i64 = ctx.act_as("role:math,cmd:double", json!({"n": m["n"]})).await?;
    ///         ctx.act_as::<i64>("role:math,cmd:double", json!({"n": twice})).await
    ///     })
    ///     .build()?;
    /// let reply = node.act(json!({"role": "math", "cmd": "quadruple", "n": 5})).await?;
    /// assert_eq!(reply, json!(20));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Node::act_as`].
    pub async fn act_as<R: DeserializeOwned>(
        &self,
        pattern: &str,
        payload: impl Serialize,
    ) -> Result<R, ActError> {
        self.node
            .act_as_in(pattern, payload, Some(&self.meta))
            .await
    }

    /// Emits an event within this act; see [`Node::emit`].
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (seen, mut events) = tokio::sync::mpsc::unbounded_channel();
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:order,cmd:ship", |m: Value, ctx: Context| async move {
    ///         ctx.emit(json!({"event": "shipped", "order": m["order"]})).await?;
    ///         Ok::<_, ActError>("shipped")
    ///     })
    ///     .subscribe("event:shipped", move |ev: Value| {
    ///         let seen = seen.clone();
    ///         async move { seen.send(ev["order"].clone()).ok(); Ok::<_, ActError>(()) }
    ///     })
    ///     .build()?;
    /// node.act(json!({"role": "order", "cmd": "ship", "order": 7})).await?;
    /// assert_eq!(events.recv().await, Some(json!(7)));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Node::emit`].
    pub async fn emit(&self, event: Value) -> Result<(), ActError> {
        self.node.emit_in(event, Some(&self.meta)).await
    }

    /// Calls this action's *prior*: the action that would have handled its pattern before it was
    /// added — the one it overrode, or a wider pattern (Seneca's rule). With no prior, replies
    /// the message's `default$` or `null`, as Seneca does.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:stock", |_: Value| async { Ok::<_, ActError>(json!({"count": 3})) })
    ///     // A narrower pattern: its prior is `role:stock`.
    ///     .add("role:stock,audit:true", |m: Value, ctx: Context| async move {
    ///         let mut reply = ctx.prior(m).await?;
    ///         reply["audited"] = json!(true);
    ///         Ok::<_, ActError>(reply)
    ///     })
    ///     .build()?;
    /// let reply = node.act(json!({"role": "stock", "audit": true})).await?;
    /// assert_eq!(reply, json!({"count": 3, "audited": true}));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Whatever the prior action returns, or `action_timeout` at this act's deadline.
    pub async fn prior(&self, msg: Value) -> Result<Value, ActError> {
        let Some(prior) = self.route.prior.clone() else {
            return Ok(self.meta.default_reply().cloned().unwrap_or(Value::Null));
        };
        let (map, mut directives) = split(msg)?;
        let mut meta = Meta::new(
            &mut directives,
            Some(&self.meta),
            self.node.default_timeout(),
        );
        if meta.default.is_none() {
            meta.default = self.meta.default.clone();
        }
        let started = meta.started;
        self.node
            .run(prior, Value::Object(map), meta, Side::Local, started)
            .await
    }

    /// Typed [`prior`](Self::prior): sends `payload` with the prior's pattern on top, as
    /// [`Node::act_as`](crate::Node::act_as) merges them (so the message routes to the prior
    /// in-process or over a transport; a catch-all prior gets this action's own pattern), and
    /// decodes the reply.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:math,cmd:sum", |m: Value| async move {
    ///         Ok::<_, ActError>(m["left"].as_i64().unwrap_or(0) + m["right"].as_i64().unwrap_or(0))
    ///     })
    ///     .add_override("role:math,cmd:sum", |m: Value, ctx: Context| async move {
    ///         let sum: i64 = ctx.prior_as(json!({"left": m["left"], "right": m["right"]})).await?;
    ///         Ok::<_, ActError>(sum.max(0)) // clamps the prior's answer
    ///     })
    ///     .build()?;
    /// let reply = node.act(json!({"role": "math", "cmd": "sum", "left": 1, "right": -5})).await?;
    /// assert_eq!(reply, json!(0));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`prior`](Self::prior), plus `reply_invalid` when the reply does not decode into `R`.
    pub async fn prior_as<R: DeserializeOwned>(
        &self,
        payload: impl Serialize,
    ) -> Result<R, ActError> {
        let pattern = match &self.route.prior {
            Some(prior) if !prior.pattern.is_empty() => &prior.pattern,
            _ => &self.route.pattern,
        };
        // The pattern's values keep their JSON types (`integer:true` is a boolean) and win over
        // the payload's, as in `act_as`.
        let canonical = pattern.to_string();
        let fixed = parse_object(&canonical).map_err(|e| {
            ActError::execute(format!(
                "the prior's pattern `{canonical}` does not parse: {e}"
            ))
        })?;
        let mut msg = payload_map(self.pattern(), payload)?;
        msg.extend(fixed);
        let reply = self.prior(Value::Object(msg)).await?;
        decode_reply(self.pattern(), reply)
    }

    /// Resolves when the handler should stop: at the deadline or when the node closes.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (started, mut has_started) = tokio::sync::mpsc::unbounded_channel();
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:job", move |_: Value, ctx: Context| {
    ///         let started = started.clone();
    ///         async move {
    ///             started.send(()).ok();
    ///             tokio::select! {
    ///                 () = ctx.cancelled() => Ok::<_, ActError>("stopped early"),
    ///                 () = tokio::time::sleep(std::time::Duration::from_secs(60)) => Ok("finished"),
    ///             }
    ///         }
    ///     })
    ///     .build()?;
    /// let job = tokio::spawn({
    ///     let node = node.clone();
    ///     async move { node.act(json!({"role": "job"})).await }
    /// });
    /// has_started.recv().await;
    /// node.close();
    /// assert_eq!(job.await??, json!("stopped early"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Cancel safe: dropping it loses nothing.
    pub async fn cancelled(&self) {
        tokio::select! {
            _ = tokio::time::sleep_until(self.meta.deadline()) => {}
            _ = self.node.closed() => {}
        }
    }
}
