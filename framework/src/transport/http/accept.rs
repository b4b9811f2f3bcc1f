//! The accept loop shared by the transport's listener and the gateway: at most
//! `max_connections` open at once, each served with the read deadlines and maximum age of
//! [`Limits`]; on the node's close, intake stops and the open connections finish their
//! requests in flight within the drain timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::connection::{Connection, Limits, Respond};
use super::tls::ServerTls;
use crate::node::Node;

/// What is served and how.
pub(crate) struct Serving<R> {
    pub(crate) listener: TcpListener,
    pub(crate) address: SocketAddr,
    pub(crate) limits: Arc<Limits>,
    pub(crate) max_connections: usize,
    pub(crate) respond: Arc<R>,
    /// How logs name the server: `http listener`, `gateway`.
    pub(crate) name: &'static str,
    /// The certificate of an `https` server: each connection shakes hands in its own task,
    /// within its header deadline.
    pub(crate) tls: Option<Arc<ServerTls>>,
}

/// Accepts and serves connections until `node` closes, then drains them.
pub(crate) async fn serve<R: Respond>(serving: Serving<R>, node: Node) {
    let Serving {
        listener,
        address,
        limits,
        max_connections,
        respond,
        name,
        tls,
    } = serving;
    let (stop, stopped) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut connections = JoinSet::new();
    loop {
        // At most `max_connections` at once: the next accept waits for a free slot.
        let permit = tokio::select! {
            biased;
            () = node.closed() => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            biased;
            () = node.closed() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(err) => {
                accept_failed(&err, &node, name).await;
                continue;
            }
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
        connections.spawn(
            Connection {
                stream,
                respond: respond.clone(),
                limits: limits.clone(),
                shutdown: stopped.clone(),
                permit,
                tls: tls.clone(),
            }
            .serve(),
        );
        while connections.try_join_next().is_some() {}
    }
    // Stop intake, then let every connection finish its request in flight.
    drop(listener);
    let _ = stop.send(true);
    let all_closed = async { while connections.join_next().await.is_some() {} };
    let grace = limits.drain + Duration::from_secs(1);
    if tokio::time::timeout(grace, all_closed).await.is_err() {
        tracing::warn!(
            open = connections.len(),
            "{name} connections still open after the drain timeout; aborted"
        );
        connections.shutdown().await;
    }
    tracing::info!(%address, "{name} stopped");
}

/// A failed accept: a connection that died in the backlog is skipped; anything else (out of
/// file descriptors) is logged and retried shortly, without spinning.
async fn accept_failed(err: &std::io::Error, node: &Node, name: &str) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %err, "{name} could not accept a connection; retrying");
    tokio::select! {
        () = node.closed() => {}
        () = tokio::time::sleep(Duration::from_millis(100)) => {}
    }
}
