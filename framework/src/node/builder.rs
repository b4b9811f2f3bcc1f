//! [`NodeBuilder`]: collects registered handlers, explicit ones and transport clients.

use std::panic::Location;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::registry::{self, Entry, EntryKind, Make};
use super::{Inner, Node};
use crate::action::{erase, Handler, Registration};
use crate::config::{ClientConfig, Config};
use crate::error::Result;
use crate::message::ids;
use crate::transport::{client_from, Client};

/// Seneca's default act timeout, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 22_222;

/// Builds a [`Node`]. Made by [`Node::builder`].
///
/// The router is built once, by [`build`](Self::build): every malformed pattern and every
/// duplicate is reported there, together.
#[derive(Debug)]
#[must_use]
pub struct NodeBuilder {
    registered: bool,
    name: String,
    timeout: Duration,
    entries: Vec<EntryDesc>,
    configured: Vec<ClientConfig>,
    clients: Vec<Arc<dyn Client>>,
}

/// An entry waiting for `build` (kept apart from [`Entry`] so the builder stays `Debug`).
struct EntryDesc(Entry);

impl std::fmt::Debug for EntryDesc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.0.pattern, self.0.location)
    }
}

/// A client routed under `pin`: its act handler forwards with the caller's meta.
fn client_entry(pin: &str, client: Arc<dyn Client>, location: String) -> EntryDesc {
    let forward = client.clone();
    let handler =
        move |msg: serde_json::Value, ctx: crate::Context| forward.act(msg, ctx.meta().clone());
    EntryDesc(Entry {
        pattern: pin.to_owned(),
        kind: EntryKind::Client(client),
        make: Make::Ready(erase(handler)),
        location,
        registered: false,
    })
}

/// A client that receives the events matching `pattern` (no acts).
fn event_client_entry(pattern: &str, client: Arc<dyn Client>, location: String) -> EntryDesc {
    EntryDesc(Entry {
        pattern: pattern.to_owned(),
        kind: EntryKind::EventClient(client),
        make: Make::Nothing,
        location,
        registered: false,
    })
}

impl NodeBuilder {
    pub(super) fn new() -> Self {
        NodeBuilder {
            registered: true,
            name: "porticus".to_owned(),
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            entries: Vec::new(),
            configured: Vec::new(),
            clients: Vec::new(),
        }
    }

    /// Leaves out the `#[action]`s and `#[event]`s linked into the binary: the node has only
    /// what is added explicitly (tests, pure clients).
    pub fn without_registered(mut self) -> Self {
        self.registered = false;
        self
    }

    /// Names the service (used for instance ids, logs and, later, queue names).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The deadline of an act that carries no `timeout$` (default 22,222 ms, as Seneca).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    #[track_caller]
    fn push<H: Handler<A>, A: 'static>(
        mut self,
        pattern: &str,
        kind: EntryKind,
        handler: H,
    ) -> Self {
        let at = Location::caller();
        self.entries.push(EntryDesc(Entry {
            pattern: pattern.to_owned(),
            kind,
            make: Make::Ready(erase(handler)),
            location: format!("{}:{}", at.file(), at.line()),
            registered: false,
        }));
        self
    }

    /// Adds an action for `pattern`. A second action with the same canonical pattern is an
    /// error at [`build`](Self::build); use [`add_override`](Self::add_override) to replace one.
    #[track_caller]
    pub fn add<H: Handler<A>, A: 'static>(self, pattern: &str, handler: H) -> Self {
        self.push(pattern, EntryKind::Action { overrides: false }, handler)
    }

    /// Adds an action that replaces the one already registered for `pattern`; the replaced
    /// action becomes its prior ([`Context::prior`](crate::Context::prior)).
    #[track_caller]
    pub fn add_override<H: Handler<A>, A: 'static>(self, pattern: &str, handler: H) -> Self {
        self.push(pattern, EntryKind::Action { overrides: true }, handler)
    }

    /// Subscribes `handler` to events matching `pattern`.
    #[track_caller]
    pub fn subscribe<H: Handler<A, Output = ()>, A: 'static>(
        self,
        pattern: &str,
        handler: H,
    ) -> Self {
        self.push(pattern, EntryKind::Event, handler)
    }

    /// Takes the service name, default timeout and `[[client]]`s from `config`; the clients are
    /// created by [`build`](Self::build).
    pub fn config(mut self, config: &Config) -> Self {
        self.name.clone_from(&config.service.name);
        self.timeout = Duration::from_millis(config.service.timeout_ms);
        self.configured.extend(config.client.iter().cloned());
        self
    }

    /// Routes acts and events matching `pin` to a transport `client`. An empty pin makes it the
    /// catch-all; a more specific local action still wins.
    #[track_caller]
    pub fn client(mut self, pin: &str, client: impl Client) -> Self {
        let at = Location::caller();
        let location = format!("{}:{}", at.file(), at.line());
        let client: Arc<dyn Client> = Arc::new(client);
        self.clients.push(client.clone());
        self.entries.push(client_entry(pin, client, location));
        self
    }

    /// Hands every emitted event matching `pattern` to `client` as well, without routing any act
    /// to it. Several clients may take the same events (each service that subscribes).
    #[track_caller]
    pub fn forward_events(mut self, pattern: &str, client: impl Client) -> Self {
        let at = Location::caller();
        let location = format!("{}:{}", at.file(), at.line());
        let client: Arc<dyn Client> = Arc::new(client);
        self.clients.push(client.clone());
        self.entries
            .push(event_client_entry(pattern, client, location));
        self
    }

    /// Builds the router and returns the node.
    ///
    /// # Errors
    /// An [`ErrorKind::Registration`](crate::ErrorKind::Registration) error listing every
    /// malformed pattern and every duplicate at once.
    pub fn build(self) -> Result<Node> {
        let mut entries = Vec::new();
        if self.registered {
            entries.extend(Registration::all().map(Entry::from_registration));
        }
        entries.extend(self.entries.into_iter().map(|e| e.0));
        let instance: Arc<str> = Arc::from(format!("{}-{}", self.name, ids::next()));
        let mut clients = self.clients;
        for config in &self.configured {
            let location = format!("[[client]] type = \"{}\"", config.transport());
            let client = client_from(config, &instance)?;
            clients.push(client.clone());
            for pattern in config.events() {
                entries.push(event_client_entry(pattern, client.clone(), location.clone()).0);
            }
            entries.push(client_entry(config.pin(), client, location).0);
        }
        let router = registry::build(entries)?;
        Ok(Node {
            inner: Arc::new(Inner {
                name: self.name,
                instance,
                router,
                timeout: self.timeout,
                closed: AtomicBool::new(false),
                closing: Notify::new(),
                clients,
            }),
        })
    }
}
