//! The [`Node`]: the runtime that routes messages to actions, runs them and fans events out.

mod builder;
mod contracts;
mod deliver;
mod dispatch;
mod introspect;
mod overview;
mod registry;
mod resilient;
mod route;
mod stats;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

pub(crate) use builder::Deferred;
pub use builder::{NodeBuilder, DEFAULT_TIMEOUT_MS};
pub use contracts::Contract;
pub(crate) use dispatch::{decode_reply, payload_map};
pub(crate) use overview::Entry as OverviewEntry;
pub(crate) use route::Route;

/// The application's version for documents describing it: its own, else porticus's.
#[cfg(feature = "schema")]
pub(crate) fn app_version(node: &Node) -> String {
    node.inner
        .version
        .clone()
        .unwrap_or_else(|| introspect::VERSION.to_owned())
}
pub(crate) use stats::Side;

use crate::contract::Client;
use crate::error::ActError;
use crate::pattern::Pattern;

/// A Porticus node: the router built from every registered action and subscriber, plus the
/// transport clients it was given.
///
/// A cheap handle: clones share the same node. Build one with [`Node::builder`].
///
/// ```
/// use porticus::{ActError, Node};
/// use serde_json::{json, Value};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder()
///     .without_registered()
///     .add("role:math,cmd:sum", |m: Value| async move {
///         Ok::<_, ActError>(json!({ "answer": m["left"].as_i64().unwrap_or(0) + m["right"].as_i64().unwrap_or(0) }))
///     })
///     .build()?;
/// let reply = node.act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2})).await?;
/// assert_eq!(reply, json!({"answer": 3}));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    instance: Arc<str>,
    router: registry::Router,
    timeout: Duration,
    closed: AtomicBool,
    closing: Notify,
    /// Every transport client, once each, for [`Node::close_clients`].
    clients: Vec<Arc<dyn Client>>,
    /// When the node was built (introspection's uptime).
    started: Instant,
    /// The application's version, if it gave one ([`NodeBuilder::version`]).
    version: Option<String>,
    /// The configuration summary, secrets masked, when built from a config.
    config: Option<serde_json::Value>,
    /// What each listener started by [`Node::start`] serves (introspection's `info`).
    listeners: Mutex<Vec<serde_json::Value>>,
    /// Acts that reached no route, events emitted and received.
    stats: stats::NodeStats,
    /// The pin of the built-in introspection actions, unless turned off.
    introspection: Option<Pattern>,
    /// What transports stored for their listeners ([`NodeBuilder::extension`]).
    extensions: Vec<Arc<dyn std::any::Any + Send + Sync>>,
    /// The `[[policy]]`s, `None` when there are none.
    policies: Option<crate::resilience::Policies>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.inner.name)
            .field("instance", &self.inner.instance)
            .field("actions", &self.inner.router.actions.len())
            .field("subscriptions", &self.inner.router.events.len())
            .finish()
    }
}

impl Node {
    /// Starts building a node. By default it registers every `#[action]` and `#[event]`
    /// linked into the binary.
    ///
    /// ```
    /// use porticus::Node;
    ///
    /// let node = Node::builder().without_registered().build()?;
    /// assert!(node.patterns().is_empty());
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn builder() -> NodeBuilder {
        NodeBuilder::new()
    }

    /// The service name this node was built with.
    ///
    /// ```
    /// use porticus::Node;
    ///
    /// assert_eq!(Node::builder().without_registered().build()?.name(), "porticus");
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// This node's instance id (`<name>-<random>`), unique per process start.
    ///
    /// ```
    /// use porticus::Node;
    ///
    /// let a = Node::builder().without_registered().name("shop").build()?;
    /// let b = Node::builder().without_registered().name("shop").build()?;
    /// assert!(a.instance().starts_with("shop-"));
    /// assert_ne!(a.instance(), b.instance());
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// The default deadline of an act that has no `timeout$`.
    ///
    /// ```
    /// use porticus::Node;
    /// use std::time::Duration;
    ///
    /// let node = Node::builder().without_registered().timeout(Duration::from_secs(3)).build()?;
    /// assert_eq!(node.default_timeout(), Duration::from_secs(3));
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn default_timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Sends `msg` to the most specific matching action and waits for its reply.
    ///
    /// `msg` must be a JSON object. Directives (`timeout$`, `default$`, `id$`, `tx$`) steer the
    /// act and are removed before routing.
    ///
    /// ```
    /// use porticus::{ActError, Code, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
    ///     .build()?;
    /// // `timeout$` steers the act; the handler never sees it.
    /// let reply = node.act(json!({"role": "echo", "x": 1, "timeout$": 500})).await?;
    /// assert_eq!(reply, json!({"role": "echo", "x": 1}));
    ///
    /// let err = node.act(json!({"role": "nobody"})).await.unwrap_err();
    /// assert_eq!(*err.code(), Code::ACT_NOT_FOUND);
    ///
    /// // The error names the routing keys' values, and other keys by name only.
    /// let err = node.act(json!({"role": "pay", "card": "4000-0000-0000-0002"})).await.unwrap_err();
    /// assert_eq!(err.message(), "no action matches `role:pay` (other keys: card)");
    /// assert!(!err.to_string().contains("4000"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `act_not_found` when nothing matches (and no `default$` is given), `act_invalid_msg`
    /// for a malformed message or input, `action_timeout` at the deadline, `act_execute` when the
    /// handler panics, or whatever error the handler itself returned.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the act: an in-process handler stops at its next `.await`.
    pub async fn act(&self, msg: Value) -> Result<Value, ActError> {
        self.act_in(msg, None).await
    }

    /// Acts with a pattern string and a typed payload, and decodes the reply into `R`.
    ///
    /// As in Seneca, the pattern's keys win over the payload's (`act("a:1", {a:2,b:3})` sends
    /// `{a:1,b:3}`). The pattern string may carry values of any JSON scalar type: `left:1` is
    /// the number 1.
    ///
    /// ```
    /// use porticus::{ActError, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ActError> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:math,cmd:double", |m: Value| async move {
    ///         Ok::<_, ActError>(m["n"].as_i64().unwrap_or(0) * 2)
    ///     })
    ///     .build()
    ///     .expect("valid patterns");
    /// let doubled: i64 = node.act_as("role:math,cmd:double", json!({ "n": 21 })).await?;
    /// assert_eq!(doubled, 42);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`act`](Self::act), plus `act_invalid_msg` for a malformed pattern or a payload that
    /// is not an object, and `reply_invalid` when the reply does not decode into `R`.
    pub async fn act_as<R: DeserializeOwned>(
        &self,
        pattern: &str,
        payload: impl Serialize,
    ) -> Result<R, ActError> {
        self.act_as_in(pattern, payload, None).await
    }

    /// Emits an event to its subscribers, found by patrun's collect mode (every pattern the
    /// walk passes; on a key where an exact value is subscribed, globs on that key are skipped —
    /// see `docs/actions.md`): local `#[event]` handlers each run in their own task, and
    /// transport clients whose pin matches get it handed over.
    ///
    /// Returns once the event is handed over; it does not wait for handlers. A failing
    /// subscriber is logged and affects neither the emitter nor the other subscribers.
    ///
    /// ```
    /// use porticus::{ActError, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (seen, mut events) = tokio::sync::mpsc::unbounded_channel();
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .subscribe("event:paid", move |ev: Value| {
    ///         let seen = seen.clone();
    ///         async move { seen.send(ev["amount"].clone()).ok(); Ok::<_, ActError>(()) }
    ///     })
    ///     .build()?;
    /// node.emit(json!({"event": "paid", "amount": 12})).await?;
    /// assert_eq!(events.recv().await, Some(json!(12)));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `act_invalid_msg` for a message that is not an object, `closed` after
    /// [`close`](Self::close), or the first error of a transport that could not take the event.
    pub async fn emit(&self, event: Value) -> Result<(), ActError> {
        self.emit_in(event, None).await
    }

    /// Closes the node: later acts and emits fail with `closed`, and
    /// [`Context::cancelled`](crate::Context::cancelled) resolves for running handlers.
    ///
    /// ```
    /// use porticus::{ActError, Code, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
    ///     .build()?;
    /// node.close();
    /// let err = node.act(json!({"role": "echo"})).await.unwrap_err();
    /// assert_eq!(*err.code(), Code::CLOSED);
    /// # Ok(()) }
    /// ```
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.closing.notify_waiters();
    }

    /// Releases the connections of the node's transport clients (each client once). The
    /// server does this after its listeners stopped, so that no broker connection is still
    /// open (or reconnecting) while the runtime shuts down.
    pub(crate) async fn close_clients(&self) {
        let mut closed: Vec<&Arc<dyn Client>> = Vec::new();
        for client in &self.inner.clients {
            if closed.iter().any(|c| Arc::ptr_eq(c, client)) {
                continue;
            }
            client.close().await;
            closed.push(client);
        }
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// use porticus::Node;
    ///
    /// let node = Node::builder().without_registered().build()?;
    /// assert!(!node.is_closed());
    /// node.clone().close(); // clones share the node
    /// assert!(node.is_closed());
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Resolves once the node is closed.
    ///
    /// ```
    /// use porticus::Node;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder().without_registered().build()?;
    /// let watcher = tokio::spawn({
    ///     let node = node.clone();
    ///     async move { node.closed().await; "closed" }
    /// });
    /// node.close();
    /// assert_eq!(watcher.await?, "closed");
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Cancel safe: dropping it loses nothing.
    pub async fn closed(&self) {
        loop {
            let notified = self.inner.closing.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// The canonical patterns of every action this node routes to, sorted (introspection).
    ///
    /// ```
    /// use porticus::{ActError, Node};
    /// use serde_json::Value;
    ///
    /// let echo = |msg: Value| async move { Ok::<_, ActError>(msg) };
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:math,cmd:sum", echo)
    ///     .add("role:echo", echo)
    ///     .build()?;
    /// assert_eq!(node.patterns(), ["cmd:sum,role:math", "role:echo"]);
    /// # Ok::<_, porticus::Error>(())
    /// ```
    ///
    /// The node's built-in introspection actions (see
    /// [`introspection_pin`](Self::introspection_pin)) are not listed.
    pub fn patterns(&self) -> Vec<String> {
        self.inner
            .router
            .patterns
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    /// The pin of this node's built-in introspection actions, `role:porticus,service:<name>`
    /// (`cmd:ping`, `cmd:info`, `cmd:stats`; see `docs/operations.md`), or `None` when the node
    /// was built [`without_introspection`](NodeBuilder::without_introspection).
    ///
    /// A listener routes messages matching it to the node beside its own pins (the built-in
    /// listeners do: the AMQP listener binds its request queue for it, the NATS listener
    /// subscribes its subject), so that a caller reaches them with a client pinned to it.
    ///
    /// ```
    /// use porticus::Node;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder().without_registered().name("math").build()?;
    /// let pin = node.introspection_pin().expect("on by default");
    /// assert_eq!(pin.to_string(), "role:porticus,service:math");
    ///
    /// let pong = node.act(json!({"role": "porticus", "service": "math", "cmd": "ping"})).await?;
    /// assert_eq!(pong["service"], "math");
    /// assert_eq!(pong["instance"], node.instance());
    ///
    /// let off = Node::builder().without_registered().without_introspection().build()?;
    /// assert!(off.introspection_pin().is_none());
    /// # Ok(()) }
    /// ```
    pub fn introspection_pin(&self) -> Option<&Pattern> {
        self.inner.introspection.as_ref()
    }

    /// The first value of type `T` stored with [`NodeBuilder::extension`].
    #[cfg_attr(not(feature = "socketio"), allow(dead_code))]
    pub(crate) fn extension<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.inner
            .extensions
            .iter()
            .find_map(|value| value.clone().downcast::<T>().ok())
    }

    /// Records a started listener for introspection's `info`: its transport, address and
    /// pins (`None`, shown as `null`: every act reaching it), the introspection pin added.
    pub(crate) fn add_listener(&self, transport: &str, address: &str, pins: Option<&[String]>) {
        let pins: Option<Vec<String>> = pins.map(|pins| {
            let mut pins = pins.to_vec();
            pins.extend(self.introspection_pin().map(|p| p.to_string()));
            pins
        });
        self.inner
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(serde_json::json!({
                "transport": transport,
                "address": address,
                "pins": pins,
            }));
    }
}
