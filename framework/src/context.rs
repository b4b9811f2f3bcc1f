//! [`Context`]: what a running handler can do — act, emit, call its prior — and know.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::ActError;
use crate::message::{Directives, Meta};
use crate::node::{decode_reply, payload_map, Node, Route};
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
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The meta of the message being handled: ids, deadline, trace context.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The canonical pattern that matched (`cmd:sum,role:math`).
    pub fn pattern(&self) -> &str {
        &self.route.canonical
    }

    pub(crate) fn pattern_arc(&self) -> Arc<str> {
        self.route.canonical.clone()
    }

    /// The time left before this act's deadline.
    pub fn remaining(&self) -> Duration {
        self.meta.remaining()
    }

    /// Acts within this act: same transaction, at most the remaining deadline.
    ///
    /// # Errors
    /// As [`Node::act`].
    pub async fn act(&self, msg: Value) -> Result<Value, ActError> {
        self.node.act_in(msg, Some(&self.meta)).await
    }

    /// Typed act within this act; see [`Node::act_as`].
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
    /// # Errors
    /// As [`Node::emit`].
    pub async fn emit(&self, event: Value) -> Result<(), ActError> {
        self.node.emit_in(event, Some(&self.meta)).await
    }

    /// Calls this action's *prior*: the action that would have handled its pattern before it was
    /// added — the one it overrode, or a wider pattern (Seneca's rule). With no prior, replies
    /// the message's `default$` or `null`, as Seneca does.
    ///
    /// # Errors
    /// Whatever the prior action returns, or `action_timeout` at this act's deadline.
    pub async fn prior(&self, msg: Value) -> Result<Value, ActError> {
        let Some(prior) = self.route.prior.clone() else {
            return Ok(self.meta.default_reply().cloned().unwrap_or(Value::Null));
        };
        let mut map = match msg {
            Value::Object(map) => map,
            other => {
                return Err(ActError::invalid_msg(format!(
                    "the message for the prior of `{}` must be a JSON object, got {other}",
                    self.pattern()
                )))
            }
        };
        let mut directives = Directives::take(&mut map)?;
        let mut meta = Meta::new(
            &mut directives,
            Some(&self.meta),
            self.node.default_timeout(),
        );
        if meta.default.is_none() {
            meta.default = self.meta.default.clone();
        }
        self.node.run(prior, Value::Object(map), meta).await
    }

    /// Typed [`prior`](Self::prior): sends `payload` with the prior's pattern on top, as
    /// [`Node::act_as`](crate::Node::act_as) merges them (so the message routes to the prior
    /// in-process or over a transport; a catch-all prior gets this action's own pattern), and
    /// decodes the reply.
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
    /// # Cancel safety
    /// Cancel safe: dropping it loses nothing.
    pub async fn cancelled(&self) {
        tokio::select! {
            _ = tokio::time::sleep_until(self.meta.deadline()) => {}
            _ = self.node.closed() => {}
        }
    }
}
