//! Serving a node on the listeners its configuration names, until a shutdown signal.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::config::{Config, ListenConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
use crate::transport::{listener_from, Readiness};

/// A node serving on its listeners. Made by [`Node::start`].
///
/// ```
/// use porticus::{config::Config, ActError, Node};
/// use serde_json::{json, Value};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = Config::default(); // no `[[listen]]`: in-process only
/// let node = Node::builder()
///     .without_registered()
///     .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
///     .build()?;
/// let server = node.start(&config).await?;
/// assert_eq!(server.node().act(json!({"role": "echo"})).await?, json!({"role": "echo"}));
/// server.shutdown().await?;
/// assert!(node.is_closed());
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "dropping a Server leaves its listeners running until the node closes"]
pub struct Server {
    node: Node,
    listeners: Vec<Running>,
    /// Notified when a listener's serve returns (on its own, or after the node closed).
    stopped: Arc<Notify>,
}

#[derive(Debug)]
struct Running {
    transport: &'static str,
    address: String,
    ready: Readiness,
    task: JoinHandle<Result<()>>,
}

impl Node {
    /// Binds every `[[listen]]` of `config` (all of them, before serving any: a taken port is an
    /// error here) and serves this node on them in the background.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let config = Config::default(); // no listeners: in-process only
    /// let node = Node::builder().config(&config).build()?;
    /// let server = node.start(&config).await?;
    /// assert!(server.addresses().is_empty());
    /// server.shutdown().await
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when a listener cannot bind; [`ErrorKind::Config`] when it
    /// names a transport whose feature is off.
    pub async fn start(&self, config: &Config) -> Result<Server> {
        let mut bound = Vec::with_capacity(config.listen.len());
        for (i, listen) in config.listen.iter().enumerate() {
            let at = format!("[[listen]] {} (type = \"{}\")", i + 1, listen.transport());
            bound.push((
                listener_from(listen, self, &config.nats)
                    .await
                    .map_err(|e| e.context(&at))?,
                pins(listen),
            ));
        }
        let stopped = Arc::new(Notify::new());
        let listeners = bound
            .into_iter()
            .map(|(listener, pins)| {
                let transport = listener.transport();
                let address = listener.address();
                self.add_listener(transport, &address, pins.as_deref());
                let ready = listener.readiness();
                tracing::info!(service = self.name(), transport, %address, "listening");
                let serve = listener.serve(self.clone());
                let stopped = stopped.clone();
                Running {
                    transport,
                    address,
                    ready,
                    task: tokio::spawn(async move {
                        let outcome = serve.await;
                        // A listener that stops on its own (a lost broker) stops the server.
                        stopped.notify_one();
                        outcome
                    }),
                }
            })
            .collect();
        Ok(Server {
            node: self.clone(),
            listeners,
            stopped,
        })
    }
}

/// The pins a configured listener serves (`None`: every act that reaches it, as HTTP's).
fn pins(listen: &ListenConfig) -> Option<Vec<String>> {
    let (pin, pins) = match listen {
        ListenConfig::Amqp(c) => (&c.pin, &c.pins),
        ListenConfig::Nats(c) => (&c.pin, &c.pins),
        _ => return None,
    };
    Some(
        std::iter::once(pin)
            .chain(pins)
            .filter(|p| !p.trim().is_empty())
            .cloned()
            .collect(),
    )
}

impl Server {
    /// The node being served.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let node = Node::builder().without_registered().name("billing").build()?;
    /// let server = node.start(&Config::default()).await?;
    /// assert_eq!(server.node().name(), "billing");
    /// server.shutdown().await
    /// # }
    /// ```
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Where each listener listens (`http://127.0.0.1:10101/act`), in config order.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// // Port 0: the system picks a free port.
    /// let config = Config::from_toml_str("[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"")?;
    /// let node = Node::builder().without_registered().config(&config).build()?;
    /// let server = node.start(&config).await?;
    /// let addresses = server.addresses();
    /// assert_eq!(addresses.len(), 1);
    /// assert!(addresses[0].starts_with("http://127.0.0.1:"), "{addresses:?}");
    /// server.shutdown().await
    /// # }
    /// ```
    pub fn addresses(&self) -> Vec<String> {
        self.listeners.iter().map(|l| l.address.clone()).collect()
    }

    /// Whether the service can take messages: the node is open and every listener is serving
    /// and ready (an AMQP listener: connected to its broker). A readiness probe reports this;
    /// it turns false during a broker outage and back to true once the connection recovers.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let config = Config::default();
    /// let node = Node::builder().config(&config).build()?;
    /// let server = node.start(&config).await?;
    /// assert!(server.is_ready());
    /// node.close();
    /// assert!(!server.is_ready());
    /// server.shutdown().await
    /// # }
    /// ```
    pub fn is_ready(&self) -> bool {
        !self.node.is_closed()
            && self
                .listeners
                .iter()
                .all(|l| l.ready.get() && !l.task.is_finished())
    }

    /// Serves until `signal` resolves, the node is closed or a listener stops on its own (a
    /// broker connection that cannot be recovered), then shuts down.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let node = Node::builder().without_registered().build()?;
    /// let server = node.start(&Config::default()).await?;
    /// // A signal that has already fired; a service passes `porticus::shutdown_signal()`.
    /// server.serve_until(async {}).await?;
    /// assert!(node.is_closed());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`shutdown`](Self::shutdown): a listener that stopped on its own returns its error
    /// here, so that the service exits non-zero.
    pub async fn serve_until(self, signal: impl Future<Output = ()>) -> Result<()> {
        tokio::select! {
            () = signal => {}
            () = self.node.closed() => {}
            () = self.stopped.notified() => {}
        }
        self.shutdown().await
    }

    /// Closes the node — listeners stop taking messages and finish the ones in flight — waits
    /// for every listener to stop, then closes the node's transport clients.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let node = Node::builder().without_registered().build()?;
    /// let server = node.start(&Config::default()).await?;
    /// server.shutdown().await?;
    /// assert!(node.is_closed());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The first error a listener stopped with.
    pub async fn shutdown(self) -> Result<()> {
        self.node.close();
        let mut first = None;
        for running in self.listeners {
            let outcome = running.task.await.unwrap_or_else(|e| {
                Err(Error::new(
                    ErrorKind::Transport,
                    format!(
                        "{} listener at {} crashed: {e}",
                        running.transport, running.address
                    ),
                ))
            });
            if let Err(err) = outcome {
                tracing::error!(transport = running.transport, address = %running.address, error = %err, "listener failed");
                first.get_or_insert(err);
            }
        }
        self.node.close_clients().await;
        first.map_or(Ok(()), Err)
    }
}

/// Resolves on ctrl-c, or SIGTERM on Unix.
///
/// Not run here: it waits for a signal.
///
/// ```no_run
/// use porticus::{config::Config, shutdown_signal, Node};
///
/// #[tokio::main]
/// async fn main() -> porticus::Result<()> {
///     let config = Config::load()?;
///     let node = Node::builder().config(&config).build()?;
///     node.start(&config).await?.serve_until(shutdown_signal()).await
/// }
/// ```
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// The whole `main` of a service: loads the [configuration](crate::config), builds the node
/// from every registered handler plus the configured clients, serves it on the configured
/// listeners until ctrl-c or SIGTERM, then shuts down gracefully.
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> porticus::Result<()> {
///     porticus::run().await
/// }
/// ```
///
/// # Errors
/// A configuration, registration or listener error, before serving starts; a listener failure
/// while serving.
pub async fn run() -> Result<()> {
    let config = Config::load()?;
    let node = Node::builder().config(&config).build()?;
    node.start(&config)
        .await?
        .serve_until(shutdown_signal())
        .await
}
