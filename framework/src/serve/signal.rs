//! How a served node is told to stop: [`Shutdown`], the process signals that say it
//! ([`shutdown_signal`]), and [`run`], the whole `main` of a service.

use crate::config::Config;
use crate::error::Result;
use crate::node::Node;
use std::future::Future;

/// How [`Server::serve_until`](crate::Server::serve_until) stops once its signal fires.
///
/// A signal future that resolves to `()` means [`Shutdown::Now`]; [`shutdown_signal`]
/// resolves to `Now` on ctrl-c (SIGINT) and to `Drain` on SIGTERM.
///
/// ```
/// use porticus::{config::Config, Node, Shutdown};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> porticus::Result<()> {
/// let node = Node::builder().without_registered().build()?;
/// let server = node.start(&Config::default()).await?;
/// // No admin endpoint configured: nothing probes readiness, so `Drain` stops at once.
/// server.serve_until(async { Shutdown::Drain }).await?;
/// assert!(node.is_closed());
/// assert_eq!(Shutdown::from(()), Shutdown::Now);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shutdown {
    /// Stop taking work at once, finish what is in flight within the listeners' drain
    /// timeouts, close: ctrl-c, or a signal future resolving to `()`.
    Now,
    /// The orchestrator's stop (SIGTERM). With the admin endpoint on, `/readyz` turns 503
    /// first and the service keeps serving for `[admin] drain_delay_ms`, so that load
    /// balancers and Kubernetes endpoints stop sending to it; then as [`Now`](Self::Now).
    /// With the admin endpoint off (nothing probes readiness), the same as `Now`.
    Drain,
}

impl From<()> for Shutdown {
    fn from((): ()) -> Shutdown {
        Shutdown::Now
    }
}

/// Resolves on ctrl-c (SIGINT) with [`Shutdown::Now`], or on SIGTERM (Unix) with
/// [`Shutdown::Drain`].
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
///
/// # Cancel safety
/// Cancel safe: dropping it before a signal arrives loses nothing (a signal that arrives
/// later is not seen by it, but by the next call).
///
/// The signal handlers are installed when this is called, not when it is first polled: call it
/// before the service starts (as [`run`] does), so that a signal that arrives while it starts
/// is not lost to the default action. Call it inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = Shutdown> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let received = |sig: Option<tokio::signal::unix::Signal>| async move {
                match sig {
                    Some(mut sig) => {
                        sig.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = received(interrupt) => Shutdown::Now,
                () = received(terminate) => Shutdown::Drain,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            Shutdown::Now
        }
    }
}

/// The whole `main` of a service: loads the [configuration](crate::config), installs the log
/// subscriber ([`telemetry::init`](crate::telemetry::init)) unless the application has one, builds the node
/// from every registered handler plus the configured clients, serves it on the configured
/// listeners (and the admin endpoint, when `[admin] bind` is set) until ctrl-c or SIGTERM,
/// then shuts down gracefully — on SIGTERM with the admin endpoint on, after reporting not
/// ready for `[admin] drain_delay_ms`.
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
    crate::telemetry::init(&config)?;
    let node = Node::builder().config(&config).build()?;
    let signal = shutdown_signal();
    node.start(&config).await?.serve_until(signal).await
}
