//! A [`Route`]: what the router stores for one pattern — a local handler or a transport client.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::action::{BoxHandler, Kind};
use crate::contract::Client;
use crate::pattern::Pattern;
use crate::resilience::Bulkhead;

use super::stats::RouteStats;

/// Where a route leads; [`Node::run`](super::Node) dispatches on it, in one place.
#[derive(Clone)]
pub(crate) enum Target {
    /// A handler in this process, defined at `location`.
    Handler {
        handler: BoxHandler,
        location: String,
    },
    /// A transport client: the message is handed to it as it is, with its meta.
    Client(Arc<dyn Client>),
}

/// One entry of the router: the pattern, where it leads and the route it replaced (its prior).
pub(crate) struct Route {
    pub(crate) pattern: Pattern,
    /// The canonical pattern, interned once at registration.
    pub(crate) canonical: Arc<str>,
    pub(crate) target: Target,
    /// Acts or a subscriber's event deliveries: how its runs are counted and traced.
    pub(crate) kind: Kind,
    pub(crate) prior: Option<Arc<Route>>,
    /// What it has run: counts, errors by code, latency, in flight.
    pub(crate) stats: RouteStats,
    /// One of the node's own introspection actions (`role:porticus,service:<name>`).
    pub(crate) builtin: bool,
    /// Safe to run twice (`#[action(…, idempotent)]`): a policy may retry its timeouts.
    pub(crate) idempotent: bool,
    /// Its own concurrency limit (`#[action(…, concurrency = N, queue = M)]`).
    pub(crate) bulkhead: Option<Bulkhead>,
}

impl Route {
    /// A route to `target`: an action's or client pin's (`Kind::Action`), or an `#[event]`
    /// subscriber's (`Kind::Event`).
    pub(crate) fn new(pattern: Pattern, target: Target, kind: Kind) -> Self {
        Route {
            canonical: Arc::from(pattern.to_string()),
            pattern,
            target,
            kind,
            prior: None,
            stats: RouteStats::new(),
            builtin: false,
            idempotent: false,
            bulkhead: None,
        }
    }

    /// The transport label for spans and metrics.
    pub(crate) fn transport(&self) -> &'static str {
        match &self.target {
            Target::Handler { .. } => "in-process",
            Target::Client(client) => client.transport(),
        }
    }

    /// A description for error messages: where it is defined or which transport it goes to.
    pub(crate) fn describe(&self) -> Cow<'_, str> {
        match &self.target {
            Target::Handler { location, .. } => Cow::Borrowed(location),
            Target::Client(client) => Cow::Owned(format!(
                "{} client pinned to `{}`",
                client.transport(),
                self.canonical
            )),
        }
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("pattern", &self.canonical)
            .field("target", &self.describe())
            .field("prior", &self.prior.as_ref().map(|p| p.canonical.clone()))
            .finish()
    }
}
