//! Whether a served node can take work: [`ReadinessReport`], what `/readyz` and
//! [`Server::readiness`](crate::Server::readiness) report.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use crate::node::Node;
use crate::transport::{Readiness, ReadinessState};

/// Where a server is in its life.
///
/// ```
/// use porticus::{config::Config, Node, Phase};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> porticus::Result<()> {
/// let node = Node::builder().without_registered().build()?;
/// let server = node.start(&Config::default()).await?;
/// assert_eq!(server.readiness().phase(), Phase::Serving);
/// node.close();
/// assert_eq!(server.readiness().phase(), Phase::Closed);
/// assert_eq!(Phase::Closed.as_str(), "closed");
/// server.shutdown().await
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Taking work.
    Serving,
    /// Told to stop (SIGTERM) with the admin endpoint on: still taking work for
    /// `[admin] drain_delay_ms`, but reporting not ready, so that load balancers and
    /// Kubernetes endpoints stop sending to it first.
    Draining,
    /// Closed: no longer taking work; finishing what is in flight, or done.
    Closed,
}

impl Phase {
    /// Its name in `/readyz`: `serving`, `draining`, `closed`.
    ///
    /// ```
    /// assert_eq!(porticus::Phase::Draining.as_str(), "draining");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Serving => "serving",
            Phase::Draining => "draining",
            Phase::Closed => "closed",
        }
    }
}

/// One listener's readiness, in a [`ReadinessReport`].
///
/// ```
/// use porticus::{config::Config, Node};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> porticus::Result<()> {
/// let config = Config::from_toml_str("[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"")?;
/// let node = Node::builder().without_registered().config(&config).build()?;
/// let server = node.start(&config).await?;
/// let report = server.readiness();
/// let http = &report.listeners()[0];
/// assert_eq!(http.transport(), "http");
/// assert!(http.address().starts_with("http://127.0.0.1:"));
/// assert!(http.is_ready());
/// assert_eq!(http.reason(), None);
/// server.shutdown().await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ListenerReadiness {
    transport: &'static str,
    address: String,
    state: ReadinessState,
}

impl ListenerReadiness {
    /// The transport's name (`"http"`, `"amqp"`, `"nats"`).
    pub fn transport(&self) -> &'static str {
        self.transport
    }

    /// Where it listens, as [`Server::addresses`](crate::Server::addresses) says.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether it can take messages now.
    pub fn is_ready(&self) -> bool {
        self.state.is_ready()
    }

    /// Why it cannot, when it said ("the connection to the broker … is down; reconnecting").
    pub fn reason(&self) -> Option<&str> {
        self.state.reason()
    }

    /// When it last turned ready or not ready.
    pub fn since(&self) -> SystemTime {
        self.state.since()
    }
}

/// A snapshot of whether a server can take work, and if not, why: its [`Phase`] and each
/// listener's readiness. Made by [`Server::readiness`](crate::Server::readiness); `/readyz`
/// on the admin endpoint answers it as JSON.
///
/// ```
/// use porticus::{config::Config, Node};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> porticus::Result<()> {
/// let node = Node::builder().without_registered().build()?;
/// let server = node.start(&Config::default()).await?;
/// let report = server.readiness();
/// assert!(report.is_ready());
/// assert!(report.not_ready().next().is_none());
/// server.shutdown().await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ReadinessReport {
    phase: Phase,
    listeners: Vec<ListenerReadiness>,
}

impl ReadinessReport {
    /// Ready: serving (not draining, not closed) with every listener ready.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Serving && self.listeners.iter().all(ListenerReadiness::is_ready)
    }

    /// Serving, draining or closed.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Every listener, in config order.
    pub fn listeners(&self) -> &[ListenerReadiness] {
        &self.listeners
    }

    /// The listeners that are not ready.
    pub fn not_ready(&self) -> impl Iterator<Item = &ListenerReadiness> {
        self.listeners.iter().filter(|l| !l.is_ready())
    }
}

/// The live view the reports are taken from, shared by the server and its admin endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Health(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    node: Node,
    draining: AtomicBool,
    listeners: Vec<Watched>,
}

/// A listener as the health view sees it.
#[derive(Debug)]
pub(crate) struct Watched {
    pub(crate) transport: &'static str,
    pub(crate) address: String,
    pub(crate) ready: Readiness,
}

impl Health {
    pub(crate) fn new(node: Node, listeners: Vec<Watched>) -> Health {
        Health(Arc::new(Inner {
            node,
            draining: AtomicBool::new(false),
            listeners,
        }))
    }

    /// The node served.
    #[cfg_attr(not(feature = "admin"), allow(dead_code))] // Read by the admin pages.
    pub(crate) fn node(&self) -> &Node {
        &self.0.node
    }

    /// Reports not ready from now on, while still serving.
    pub(crate) fn set_draining(&self) {
        self.0.draining.store(true, Ordering::Release);
    }

    /// The state right now.
    pub(crate) fn report(&self) -> ReadinessReport {
        let phase = if self.0.node.is_closed() {
            Phase::Closed
        } else if self.0.draining.load(Ordering::Acquire) {
            Phase::Draining
        } else {
            Phase::Serving
        };
        ReadinessReport {
            phase,
            listeners: self
                .0
                .listeners
                .iter()
                .map(|l| ListenerReadiness {
                    transport: l.transport,
                    address: l.address.clone(),
                    state: l.ready.state(),
                })
                .collect(),
        }
    }
}
