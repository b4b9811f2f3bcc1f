//! A [`Route`]: what the router stores for one pattern — a local handler or a transport client.

use std::fmt;
use std::sync::Arc;

use crate::action::BoxHandler;
use crate::pattern::Pattern;

/// Where a route leads.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A handler in this process, defined at `location`.
    Local { location: String },
    /// A transport client (name of the transport, e.g. `"local"`, `"http"`).
    Client { transport: &'static str },
}

/// One entry of the router: the pattern, its handler and the handler it replaced (its prior).
pub(crate) struct Route {
    pub(crate) pattern: Pattern,
    /// The canonical pattern, interned once at registration.
    pub(crate) canonical: Arc<str>,
    pub(crate) handler: BoxHandler,
    pub(crate) prior: Option<Arc<Route>>,
    pub(crate) target: Target,
}

impl Route {
    pub(crate) fn new(pattern: Pattern, handler: BoxHandler, target: Target) -> Self {
        Route {
            canonical: Arc::from(pattern.to_string()),
            pattern,
            handler,
            prior: None,
            target,
        }
    }

    /// The transport label for spans and metrics.
    pub(crate) fn transport(&self) -> &'static str {
        match self.target {
            Target::Local { .. } => "in-process",
            Target::Client { transport } => transport,
        }
    }

    /// A description for error messages: where it is defined or which transport it goes to.
    pub(crate) fn describe(&self) -> String {
        match &self.target {
            Target::Local { location } => location.clone(),
            Target::Client { transport } => {
                format!("{transport} client pinned to `{}`", self.canonical)
            }
        }
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("pattern", &self.canonical)
            .field("target", &self.target)
            .field("prior", &self.prior.as_ref().map(|p| p.canonical.clone()))
            .finish()
    }
}
