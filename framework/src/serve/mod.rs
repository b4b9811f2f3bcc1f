//! Serving a node on the listeners its configuration names (and its admin endpoint), until a
//! shutdown signal.

mod admin;
mod health;
mod signal;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
use crate::telemetry::Listening;
use crate::transport::listener_from;

pub(crate) use health::{Health, Watched};
pub use health::{ListenerReadiness, Phase, ReadinessReport};
pub use signal::{run, shutdown_signal, Shutdown};

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
#[must_use = "dropping a Server leaves its listeners and admin endpoint running until the node closes"]
pub struct Server {
    node: Node,
    listeners: Vec<Running>,
    /// Notified when a listener's serve returns (on its own, or after the node closed).
    stopped: Arc<Notify>,
    health: Health,
    admin: Option<admin::Admin>,
}

#[derive(Debug)]
struct Running {
    transport: &'static str,
    address: String,
    task: JoinHandle<Result<()>>,
}

impl Node {
    /// Binds the admin endpoint when `[admin] bind` is set, then every `[[listen]]` of
    /// `config` (all of them, before serving any: a taken port is an error here), and serves
    /// this node on them in the background.
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
    /// assert_eq!(server.admin_address(), None); // no [admin] bind
    /// server.shutdown().await
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when a listener or the admin endpoint cannot bind (the latter
    /// naming `[admin] bind` and the address); [`ErrorKind::Config`] when the config names a
    /// transport whose feature is off, sets `[admin] bind` without the `admin` feature, or has
    /// `[[route]]` entries without the `gateway` feature.
    pub async fn start(&self, config: &Config) -> Result<Server> {
        routes_need_the_gateway(config)?;
        let admin = admin::bind(&config.admin).await?;
        // Recording starts before the listeners bind, so that their series exist from the start.
        #[cfg(feature = "metrics")]
        if admin.is_some() {
            crate::metrics::install(self.name());
        }
        let mut bound = Vec::with_capacity(config.listen.len());
        for (i, listen) in config.listen.iter().enumerate() {
            let at = format!("[[listen]] {} (type = \"{}\")", i + 1, listen.transport());
            bound.push((
                listener_from(listen, self, config)
                    .await
                    .map_err(|e| e.context(&at))?,
                listen.pins(),
            ));
        }
        let stopped = Arc::new(Notify::new());
        let mut watched = Vec::with_capacity(bound.len());
        let listeners = bound
            .into_iter()
            .map(|(listener, pins)| {
                let transport = listener.transport();
                let address = listener.address();
                self.add_listener(transport, &address, pins.as_deref());
                let ready = listener.readiness();
                watched.push(Watched {
                    transport,
                    address: address.clone(),
                    ready: ready.clone(),
                });
                let serve = listener.serve(self.clone());
                let stopped = stopped.clone();
                Running {
                    transport,
                    address,
                    task: tokio::spawn(async move {
                        let mut stopped_as = MarkStopped {
                            ready,
                            reason: None,
                        };
                        let outcome = serve.await;
                        stopped_as.reason = Some(match &outcome {
                            Ok(()) => "stopped".to_owned(),
                            Err(err) => format!("stopped: {err}"),
                        });
                        drop(stopped_as);
                        // A listener that stops on its own (a lost broker) stops the server.
                        stopped.notify_one();
                        outcome
                    }),
                }
            })
            .collect::<Vec<Running>>();
        let listening: Vec<Listening<'_>> = config
            .listen
            .iter()
            .zip(&listeners)
            .map(|(config, running)| Listening {
                config,
                address: &running.address,
            })
            .collect();
        let health = Health::new(self.clone(), watched);
        let admin = admin.map(|bound| bound.serve(&health));
        crate::telemetry::startup(
            self,
            config,
            &listening,
            admin.as_ref().and_then(admin::Admin::local_addr),
        );
        Ok(Server {
            node: self.clone(),
            listeners,
            stopped,
            health,
            admin,
        })
    }
}

/// Marks a listener not ready once its task ends — by returning, or by a panic.
struct MarkStopped {
    ready: crate::transport::Readiness,
    reason: Option<String>,
}

impl Drop for MarkStopped {
    fn drop(&mut self) {
        let reason = self
            .reason
            .take()
            .unwrap_or_else(|| "stopped: the listener crashed".to_owned());
        self.ready.set_not_ready(reason);
    }
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

    /// Whether the service can take messages: the node is open and not draining, and every
    /// listener is serving and ready (an AMQP or NATS listener: connected to its broker). It
    /// turns false during a broker outage and back to true once the connection recovers;
    /// [`readiness`](Self::readiness) says why.
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
        self.readiness().is_ready()
    }

    /// Whether the service can take messages, and if not, why: its [`Phase`] (serving,
    /// draining, closed) and each listener's readiness with its reason and since when — what
    /// `GET /readyz` on the admin endpoint answers.
    ///
    /// ```
    /// use porticus::{config::Config, Node, Phase};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let config = Config::from_toml_str("[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"")?;
    /// let node = Node::builder().without_registered().config(&config).build()?;
    /// let server = node.start(&config).await?;
    /// let report = server.readiness();
    /// assert_eq!(report.phase(), Phase::Serving);
    /// assert_eq!(report.listeners().len(), 1);
    /// assert!(report.is_ready());
    /// server.shutdown().await
    /// # }
    /// ```
    pub fn readiness(&self) -> ReadinessReport {
        self.health.report()
    }

    /// Where the admin endpoint listens (`/livez`, `/readyz`), when `[admin] bind` is set —
    /// with the real port when the config said 0.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let config = Config::from_toml_str("[admin]\nbind = \"127.0.0.1:0\"")?;
    /// let node = Node::builder().without_registered().config(&config).build()?;
    /// let server = node.start(&config).await?;
    /// let admin = server.admin_address().expect("[admin] bind is set");
    /// assert!(admin.ip().is_loopback() && admin.port() != 0);
    /// // GET http://{admin}/readyz → 200 {"status":"ready",…}
    /// server.shutdown().await
    /// # }
    /// ```
    pub fn admin_address(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(admin::Admin::local_addr)
    }

    /// Serves until `signal` resolves, the node is closed or a listener stops on its own (a
    /// broker connection that cannot be recovered), then shuts down.
    ///
    /// `signal` resolves to a [`Shutdown`] (or to `()`, which means [`Shutdown::Now`]):
    /// [`shutdown_signal`] gives `Now` on ctrl-c and `Drain` on SIGTERM. On `Drain`, with the
    /// admin endpoint on and `[admin] drain_delay_ms` above 0, the server first turns not
    /// ready ([`Phase::Draining`], `/readyz` 503) and keeps serving for that long — cut short
    /// if the node closes or a listener stops — then shuts down as on `Now`.
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
    ///
    /// # Cancel safety
    /// Not cancel safe: dropped while waiting, the server is dropped too, and its listeners
    /// keep running until the node is closed.
    pub async fn serve_until<S>(self, signal: S) -> Result<()>
    where
        S: Future,
        S::Output: Into<Shutdown>,
    {
        let how = tokio::select! {
            how = signal => how.into(),
            () = self.node.closed() => Shutdown::Now,
            () = self.stopped.notified() => Shutdown::Now,
        };
        if how == Shutdown::Drain {
            self.drain_delay().await;
        }
        self.shutdown().await
    }

    /// With the admin endpoint on: not ready, still serving, for `[admin] drain_delay_ms`.
    async fn drain_delay(&self) {
        let Some(delay) = self
            .admin
            .as_ref()
            .map(|a| a.drain_delay)
            .filter(|d| !d.is_zero())
        else {
            return;
        };
        self.health.set_draining();
        tracing::info!(
            service = self.node.name(),
            drain_delay_ms = delay.as_millis() as u64,
            "draining: /readyz answers 503; still serving until the drain delay has passed"
        );
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = self.node.closed() => {}
            () = self.stopped.notified() => {}
        }
    }

    /// Closes the node — listeners stop taking messages and finish the ones in flight — waits
    /// for every listener to stop, closes the node's transport clients, exports the spans not
    /// exported yet (with the `otlp` feature), then stops the admin endpoint (which answers
    /// `/readyz` 503 meanwhile).
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
        // The spans of the last acts, before the process exits.
        crate::telemetry::flush_traces().await;
        if let Some(admin) = self.admin {
            admin.stop().await;
        }
        first.map_or(Ok(()), Err)
    }
}

/// Without the `gateway` feature, `[[route]]` entries would never be served: an error naming
/// the feature, as for a transport whose feature is off.
fn routes_need_the_gateway(config: &Config) -> Result<()> {
    #[cfg(not(feature = "gateway"))]
    if let Some(route) = config.route.first() {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "the configuration has {} [[route]] entries (the first: {} {}), but porticus was built without its cargo feature `gateway`; enable it: porticus = {{ features = [\"gateway\"] }}, or remove the routes",
                config.route.len(),
                route.method,
                route.path
            ),
        ));
    }
    let _ = config;
    Ok(())
}

#[cfg(all(test, not(feature = "gateway")))]
mod tests {
    use super::*;

    #[test]
    fn routes_without_the_gateway_feature_are_an_error_naming_it() {
        let config = Config::from_toml_str(
            "[[route]]\nmethod = \"GET\"\npath = \"/orders/{id}\"\npattern = \"role:order,cmd:get\"\n",
        )
        .unwrap();
        let err = routes_need_the_gateway(&config).unwrap_err().to_string();
        assert!(
            err.contains("1 [[route]] entries (the first: GET /orders/{id})")
                && err.contains("feature `gateway`"),
            "{err}"
        );
        assert!(routes_need_the_gateway(&Config::default()).is_ok());
    }
}
