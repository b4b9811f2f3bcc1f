//! Binding the admin address and serving its pages with hyper, until the server stops.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use super::pages::Pages;
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;

/// Connections served at once; more wait in the accept queue. Probes and scrapers need few.
const MAX_CONNECTIONS: usize = 64;
/// Time a client has to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// On stop, how long an open connection may take to finish its request.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// The admin address, bound (so that a taken port fails the start) but not served yet.
#[derive(Debug)]
pub(crate) struct Bound {
    listener: TcpListener,
    local_addr: SocketAddr,
}

/// The admin endpoint being served; [`stop`](Running::stop) ends it.
#[derive(Debug)]
pub(crate) struct Running {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Bound {
    /// Binds `bind` (`127.0.0.1:9464`; port 0 picks a free one).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for an address that does not parse or resolve,
    /// [`ErrorKind::Transport`] when it cannot be bound (taken, not local); both name
    /// `[admin] bind` and the address.
    pub(crate) async fn bind(bind: &str) -> Result<Bound> {
        let failed = |e: std::io::Error| {
            let kind = match e.kind() {
                std::io::ErrorKind::InvalidInput => ErrorKind::Config,
                _ => ErrorKind::Transport,
            };
            Error::new(
                kind,
                format!("[admin] bind = \"{bind}\": cannot bind the admin endpoint: {e}"),
            )
            .with_source(e)
        };
        let listener = TcpListener::bind(bind).await.map_err(failed)?;
        let local_addr = listener.local_addr().map_err(failed)?;
        Ok(Bound {
            listener,
            local_addr,
        })
    }

    /// Serves `pages` in the background until [`Running::stop`] — or, when the `Running` is
    /// dropped without a stop, until `node` is closed (as its listeners do).
    pub(crate) fn serve(self, pages: Pages, node: Node) -> Running {
        let (stop, stopped) = watch::channel(false);
        let local_addr = self.local_addr;
        let until = async move {
            if stopped.clone().wait_for(|stop| *stop).await.is_err() {
                node.closed().await;
            }
        };
        let task = tokio::spawn(accept(self.listener, Arc::new(pages), until));
        Running {
            local_addr,
            stop,
            task,
        }
    }
}

impl Running {
    /// The address it is bound to (with the real port when the config said 0).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets open connections finish their request (briefly), and waits for
    /// the serving task.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "the admin endpoint's task failed");
        }
    }
}

async fn accept(listener: TcpListener, pages: Arc<Pages>, until: impl Future<Output = ()>) {
    tokio::pin!(until);
    // Tells the open connections to finish their request and close.
    let (close, closing) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut until => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            biased;
            () = &mut until => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(err) => {
                tracing::debug!(error = %err, "the admin endpoint could not accept a connection");
                // Out of file descriptors, or similar: do not spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        connections.spawn(serve_connection(
            stream,
            pages.clone(),
            closing.clone(),
            permit,
        ));
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = close.send(true);
    let all_closed = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, all_closed).await.is_err() {
        connections.shutdown().await;
    }
}

/// Serves one connection until the client closes it or the endpoint stops (then after its
/// current request, within [`STOP_GRACE`]).
async fn serve_connection(
    stream: TcpStream,
    pages: Arc<Pages>,
    mut closing: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let response = pages.respond(&request);
        async move { Ok::<_, Infallible>(response) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(error = %err, "admin connection ended with an error");
            }
            drop(permit);
            return;
        }
        _ = closing.wait_for(|close| *close) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(STOP_GRACE, conn).await;
    drop(permit);
}
