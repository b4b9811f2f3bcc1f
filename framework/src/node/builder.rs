//! [`NodeBuilder`]: collects registered handlers, explicit ones and transport clients.

use std::any::Any;
use std::panic::Location;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::registry::{self, Entry, EntryKind, Make};
use super::{introspect, Inner, Node};
use crate::action::{erase, Handler, Registration};
use crate::config::PolicyConfig;
use crate::contract::Client;
use crate::error::{Error, Result};
use crate::message::ids;

/// Seneca's default act timeout, in milliseconds.
///
/// ```
/// use porticus::{Node, DEFAULT_TIMEOUT_MS};
/// use std::time::Duration;
///
/// let node = Node::builder().without_registered().build()?;
/// assert_eq!(node.default_timeout(), Duration::from_millis(DEFAULT_TIMEOUT_MS));
/// # Ok::<_, porticus::Error>(())
/// ```
pub const DEFAULT_TIMEOUT_MS: u64 = 22_222;

/// Builds a [`Node`]. Made by [`Node::builder`].
///
/// The router is built once, by [`build`](Self::build): every malformed pattern and every
/// duplicate is reported there, together.
///
/// ```
/// use porticus::{ActError, Node};
/// use serde_json::{json, Value};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder()
///     .without_registered()
///     .name("greeter")
///     .timeout(Duration::from_secs(5))
///     .add("role:greet", |m: Value| async move {
///         Ok::<_, ActError>(format!("hello, {}", m["name"].as_str().unwrap_or("you")))
///     })
///     .build()?;
/// assert_eq!(node.name(), "greeter");
/// assert_eq!(node.act(json!({"role": "greet", "name": "Ada"})).await?, json!("hello, Ada"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct NodeBuilder {
    registered: bool,
    name: String,
    timeout: Duration,
    entries: Vec<EntryDesc>,
    deferred: Vec<Deferred>,
    clients: Vec<Arc<dyn Client>>,
    introspection: bool,
    version: Option<String>,
    config: Option<serde_json::Value>,
    /// Values a transport stores on the node for its listener to find ([`Node::extension`]).
    extensions: Vec<Arc<dyn Any + Send + Sync>>,
    /// Configuration errors found before `build`, reported by it.
    failures: Vec<Error>,
    policies: Vec<PolicyConfig>,
    jitter_seed: Option<u64>,
}

/// An entry waiting for `build` (kept apart from [`Entry`] so the builder stays `Debug`).
struct EntryDesc(Entry);

impl std::fmt::Debug for EntryDesc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.0.pattern, self.0.location)
    }
}

/// Makes a client for the node instance named by its argument (which names its connections).
pub(crate) type MakeClient = Box<dyn FnOnce(&str) -> Result<Arc<dyn Client>> + Send>;

/// A client made by `build`, once the instance id is known (a configured `[[client]]`).
pub(crate) struct Deferred {
    /// The pattern acts and events are routed to it by.
    pub(crate) pin: String,
    /// Further event patterns it receives.
    pub(crate) events: Vec<String>,
    /// What to name it by in errors.
    pub(crate) location: String,
    pub(crate) make: MakeClient,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.pin, self.location)
    }
}

/// A client routed under `pattern`: events matching it, and acts too when `acts`.
fn client_entry(pattern: &str, client: Arc<dyn Client>, acts: bool, location: String) -> Entry {
    Entry {
        pattern: pattern.to_owned(),
        kind: EntryKind::Client { client, acts },
        location,
        registered: false,
        builtin: false,
        limits: Default::default(),
    }
}

impl NodeBuilder {
    pub(super) fn new() -> Self {
        NodeBuilder {
            registered: true,
            name: "porticus".to_owned(),
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            entries: Vec::new(),
            deferred: Vec::new(),
            clients: Vec::new(),
            introspection: true,
            version: None,
            config: None,
            extensions: Vec::new(),
            failures: Vec::new(),
            policies: Vec::new(),
            jitter_seed: None,
        }
    }

    /// Stores `value` on the node, for a listener started later to find with
    /// [`Node::extension`] (the Socket.IO listener finds the sockets the node feeds events to).
    #[cfg_attr(not(feature = "socketio"), allow(dead_code))]
    pub(crate) fn extension(mut self, value: Arc<dyn Any + Send + Sync>) -> Self {
        self.extensions.push(value);
        self
    }

    /// Makes [`build`](Self::build) fail with `error` (a configuration read before it).
    #[cfg_attr(not(feature = "socketio"), allow(dead_code))]
    pub(crate) fn fail(mut self, error: Error) -> Self {
        self.failures.push(error);
        self
    }

    /// Leaves out the built-in introspection actions (`role:porticus,service:<name>,cmd:ping|
    /// info|stats`, see `docs/operations.md`): nobody can then ask the service what it serves,
    /// and its listeners bind nothing for them. They are on by default; the counters behind
    /// `stats` are kept either way (they cost a few atomics per act).
    ///
    /// ```
    /// use porticus::{Code, Node};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder().without_registered().name("quiet").without_introspection().build()?;
    /// let err = node
    ///     .act(json!({"role": "porticus", "service": "quiet", "cmd": "ping"}))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(*err.code(), Code::ACT_NOT_FOUND);
    /// # Ok(()) }
    /// ```
    pub fn without_introspection(mut self) -> Self {
        self.introspection = false;
        self
    }

    /// The application's version, which introspection's `ping` and `info` report beside the
    /// porticus version: pass your crate's, `env!("CARGO_PKG_VERSION")`.
    ///
    /// ```
    /// use porticus::Node;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder().without_registered().name("math").version("1.4.2").build()?;
    /// let pong = node.act(json!({"role": "porticus", "service": "math", "cmd": "ping"})).await?;
    /// assert_eq!(pong["version"]["app"], "1.4.2");
    /// assert!(pong["version"]["porticus"].is_string());
    /// # Ok(()) }
    /// ```
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The configuration summary introspection's `info` reports (secrets already masked).
    pub(crate) fn config_summary(mut self, summary: serde_json::Value) -> Self {
        self.config = Some(summary);
        self
    }

    /// Leaves out the `#[action]`s and `#[event]`s linked into the binary: the node has only
    /// what is added explicitly (tests, pure clients).
    ///
    /// ```
    /// use porticus::{ActError, Node};
    /// use serde_json::Value;
    ///
    /// #[porticus::action("role:linked")]
    /// async fn linked(msg: Value) -> Result<Value, ActError> { Ok(msg) }
    ///
    /// # fn main() -> porticus::Result<()> {
    /// assert_eq!(Node::builder().build()?.patterns(), ["role:linked"]);
    /// assert!(Node::builder().without_registered().build()?.patterns().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn without_registered(mut self) -> Self {
        self.registered = false;
        self
    }

    /// Names the service (used for instance ids, logs and, later, queue names).
    ///
    /// ```
    /// use porticus::Node;
    ///
    /// let node = Node::builder().without_registered().name("billing").build()?;
    /// assert_eq!(node.name(), "billing");
    /// assert!(node.instance().starts_with("billing-"));
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The deadline of an act that carries no `timeout$` (default 22,222 ms, as Seneca).
    ///
    /// ```
    /// use porticus::{ActError, Code, Node};
    /// use serde_json::{json, Value};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .timeout(Duration::from_millis(20))
    ///     .add("role:stuck", |_: Value| std::future::pending::<Result<Value, ActError>>())
    ///     .build()?;
    /// let err = node.act(json!({"role": "stuck"})).await.unwrap_err();
    /// assert_eq!(*err.code(), Code::ACTION_TIMEOUT);
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds a resilience policy — retries, a circuit breaker, a bulkhead — for the acts
    /// matching its pattern (the most specific policy wins; `docs/resilience.md`). Configured
    /// `[[policy]]` entries come in this way ([`config`](Self::config)); a wrong one is
    /// reported by [`build`](Self::build).
    ///
    /// ```
    /// use porticus::config::PolicyConfig;
    /// use porticus::transport::local::{Faults, LocalClient};
    /// use porticus::{ActError, Code, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let stock = Node::builder()
    ///     .without_registered()
    ///     .add("role:stock", |_: Value| async { Ok::<_, ActError>(json!({"left": 3})) })
    ///     .build()?;
    /// let faults = Faults::default();
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .client("role:stock", LocalClient::with_faults(stock, faults.clone()))
    ///     .policy(PolicyConfig::new("role:stock").with_retries(2).with_backoff(1, 10))
    ///     .build()?;
    /// // Two refused connections, then through: the caller sees only the answer.
    /// faults.fail_next(2, ActError::new(Code::TRANSPORT_UNAVAILABLE, "connection refused"));
    /// assert_eq!(node.act(json!({"role": "stock"})).await?, json!({"left": 3}));
    /// # Ok(()) }
    /// ```
    pub fn policy(mut self, policy: PolicyConfig) -> Self {
        self.policies.push(policy);
        self
    }

    /// Draws the jitter of every policy's retry backoffs from `seed`, so that a test replays
    /// the same waits; by default they are random.
    ///
    /// ```
    /// use porticus::config::PolicyConfig;
    /// use porticus::Node;
    ///
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .policy(PolicyConfig::new("role:stock").with_retries(3))
    ///     .jitter_seed(42)
    ///     .build()?;
    /// # let _ = node;
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    #[track_caller]
    fn push<H: Handler<A>, A: 'static>(
        mut self,
        pattern: &str,
        kind: impl FnOnce(Make) -> EntryKind,
        handler: H,
    ) -> Self {
        let at = Location::caller();
        self.entries.push(EntryDesc(Entry {
            pattern: pattern.to_owned(),
            kind: kind(Make::Ready(erase(handler))),
            location: format!("{}:{}", at.file(), at.line()),
            registered: false,
            builtin: false,
            limits: Default::default(),
        }));
        self
    }

    /// Adds an action for `pattern`. A second action with the same canonical pattern is an
    /// error at [`build`](Self::build); use [`add_override`](Self::add_override) to replace one.
    ///
    /// ```
    /// use porticus::{ActError, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
    ///     .build()?;
    /// assert_eq!(node.act(json!({"role": "echo", "x": 1})).await?, json!({"role": "echo", "x": 1}));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn add<H: Handler<A>, A: 'static>(self, pattern: &str, handler: H) -> Self {
        self.push(
            pattern,
            |make| EntryKind::Action {
                make,
                overrides: false,
            },
            handler,
        )
    }

    /// Adds an action that replaces the one already registered for `pattern`; the replaced
    /// action becomes its prior ([`Context::prior`](crate::Context::prior)).
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:greet", |_: Value| async { Ok::<_, ActError>("hello") })
    ///     .add_override("role:greet", |msg: Value, ctx: Context| async move {
    ///         let greeting = ctx.prior(msg).await?;
    ///         Ok::<_, ActError>(format!("{}!", greeting.as_str().unwrap_or_default()))
    ///     })
    ///     .build()?;
    /// assert_eq!(node.act(json!({"role": "greet"})).await?, json!("hello!"));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn add_override<H: Handler<A>, A: 'static>(self, pattern: &str, handler: H) -> Self {
        self.push(
            pattern,
            |make| EntryKind::Action {
                make,
                overrides: true,
            },
            handler,
        )
    }

    /// Subscribes `handler` to events matching `pattern`.
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
    ///     .subscribe("event:shipped", move |ev: Value| {
    ///         let seen = seen.clone();
    ///         async move { seen.send(ev["order"].clone()).ok(); Ok::<_, ActError>(()) }
    ///     })
    ///     .build()?;
    /// node.emit(json!({"event": "shipped", "order": 7})).await?;
    /// assert_eq!(events.recv().await, Some(json!(7)));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn subscribe<H: Handler<A, Output = ()>, A: 'static>(
        self,
        pattern: &str,
        handler: H,
    ) -> Self {
        self.push(pattern, |make| EntryKind::Event { make }, handler)
    }

    /// Makes a client when the node is built, for its instance id, and routes acts and events
    /// matching `pin` (and events matching `events`) to it. How configured `[[client]]`s
    /// come in ([`config`](Self::config)).
    pub(crate) fn defer_client(mut self, deferred: Deferred) -> Self {
        self.deferred.push(deferred);
        self
    }

    /// Routes acts and events matching `pin` to a transport `client`. An empty pin makes it the
    /// catch-all; a more specific local action still wins.
    ///
    /// ```
    /// use porticus::transport::local::LocalClient;
    /// use porticus::{ActError, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let remote = Node::builder()
    ///     .without_registered()
    ///     .add("role:stock", |_: Value| async { Ok::<_, ActError>("remote") })
    ///     .build()?;
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .client("role:stock", LocalClient::new(remote))
    ///     .add("role:stock,cmd:local", |_: Value| async { Ok::<_, ActError>("local") })
    ///     .build()?;
    /// assert_eq!(node.act(json!({"role": "stock", "cmd": "count"})).await?, json!("remote"));
    /// assert_eq!(node.act(json!({"role": "stock", "cmd": "local"})).await?, json!("local"));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn client(mut self, pin: &str, client: impl Client) -> Self {
        let at = Location::caller();
        let location = format!("{}:{}", at.file(), at.line());
        let client: Arc<dyn Client> = Arc::new(client);
        self.clients.push(client.clone());
        self.entries
            .push(EntryDesc(client_entry(pin, client, true, location)));
        self
    }

    /// Hands every emitted event matching `pattern` to `client` as well, without routing any act
    /// to it. Several clients may take the same events (each service that subscribes).
    ///
    /// ```
    /// use porticus::transport::local::LocalClient;
    /// use porticus::{ActError, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (seen, mut events) = tokio::sync::mpsc::unbounded_channel();
    /// let mailer = Node::builder()
    ///     .without_registered()
    ///     .subscribe("event:shipped", move |ev: Value| {
    ///         let seen = seen.clone();
    ///         async move { seen.send(ev["order"].clone()).ok(); Ok::<_, ActError>(()) }
    ///     })
    ///     .build()?;
    /// let shop = Node::builder()
    ///     .without_registered()
    ///     .forward_events("event:shipped", LocalClient::new(mailer))
    ///     .build()?;
    /// shop.emit(json!({"event": "shipped", "order": 7})).await?;
    /// assert_eq!(events.recv().await, Some(json!(7)));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn forward_events(mut self, pattern: &str, client: impl Client) -> Self {
        let at = Location::caller();
        let location = format!("{}:{}", at.file(), at.line());
        let client: Arc<dyn Client> = Arc::new(client);
        self.clients.push(client.clone());
        self.entries
            .push(EntryDesc(client_entry(pattern, client, false, location)));
        self
    }

    /// Adds one linked handler's registration (the test kit's `TestNodeBuilder::handler`).
    #[cfg(feature = "testing")]
    pub(crate) fn registration(mut self, registration: &'static Registration) -> Self {
        self.entries
            .push(EntryDesc(Entry::from_registration(registration)));
        self
    }

    /// Builds the router and returns the node.
    ///
    /// ```
    /// use porticus::{ActError, ErrorKind, Node};
    /// use serde_json::Value;
    ///
    /// let echo = |msg: Value| async move { Ok::<_, ActError>(msg) };
    /// let node = Node::builder().without_registered().add("role:echo", echo).build()?;
    /// assert_eq!(node.patterns(), ["role:echo"]);
    ///
    /// let twice = Node::builder().without_registered().add("role:echo", echo).add("role:echo", echo);
    /// assert_eq!(twice.build().unwrap_err().kind(), ErrorKind::Registration);
    /// # Ok::<_, porticus::Error>(())
    /// ```
    ///
    /// # Errors
    /// An [`ErrorKind::Registration`](crate::ErrorKind::Registration) error listing every
    /// malformed pattern and every duplicate at once.
    pub fn build(self) -> Result<Node> {
        if let Some(failure) = self.failures.into_iter().next() {
            return Err(failure);
        }
        let mut entries = Vec::new();
        if self.registered {
            entries.extend(Registration::all().map(Entry::from_registration));
        }
        entries.extend(self.entries.into_iter().map(|e| e.0));
        let instance: Arc<str> = Arc::from(format!("{}-{}", self.name, ids::next()));
        let mut clients = self.clients;
        for deferred in self.deferred {
            let client = (deferred.make)(&instance)?;
            clients.push(client.clone());
            for pattern in &deferred.events {
                let location = deferred.location.clone();
                entries.push(client_entry(pattern, client.clone(), false, location));
            }
            entries.push(client_entry(&deferred.pin, client, true, deferred.location));
        }
        if self.introspection {
            entries.push(introspect::entry(&self.name));
        }
        let policies = crate::resilience::Policies::build(&self.policies, self.jitter_seed)?;
        let router = registry::build(entries)?;
        let introspection = self.introspection.then(|| introspect::pin(&self.name));
        Ok(Node {
            inner: Arc::new(Inner {
                name: self.name,
                instance,
                router,
                timeout: self.timeout,
                closed: AtomicBool::new(false),
                closing: Notify::new(),
                clients,
                started: Instant::now(),
                version: self.version,
                config: self.config,
                listeners: Mutex::new(Vec::new()),
                stats: Default::default(),
                introspection,
                extensions: self.extensions,
                policies,
            }),
        })
    }
}
