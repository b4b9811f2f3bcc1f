//! Serving one accepted connection with hyper: read deadlines, a maximum age, and a graceful
//! close on shutdown that lets the request in flight finish, bounded by the drain timeout.
//! What answers the requests is a [`Respond`]: the transport's endpoint, or the gateway's
//! router.
//!
//! A TLS connection (feature `https`) shakes hands in the connection's own task, over the
//! socket wrapped in its read deadlines: the handshake and the first request's headers share
//! `header_read_timeout`, so a client that connects and stays silent, or trickles its
//! handshake, is closed like one that trickles its headers, and never holds up the accept loop.
//! A plain connection is served exactly as before: no TLS type, no boxing on its path.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};

use super::deadlines::{Busy, Deadlines};
use super::tls::ServerTls;

/// What answers a connection's requests (generic, not boxed: the transport's hot path).
pub(crate) trait Respond: Send + Sync + 'static {
    /// The response to `request`.
    fn respond(
        &self,
        request: Request<Body>,
    ) -> impl std::future::Future<Output = axum::response::Response> + Send + use<Self>;
}

/// The per-connection limits, from the listener's config.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) header_read: Duration,
    pub(crate) keep_alive_idle: Duration,
    pub(crate) max_age: Duration,
    pub(crate) drain: Duration,
    /// Whether the connection counts in `porticus_http_connections_open` (the transport's
    /// listener's do; the gateway's do not).
    pub(crate) metered: bool,
}

/// One accepted connection and what it is served with.
pub(crate) struct Connection<R> {
    pub(crate) stream: TcpStream,
    pub(crate) respond: Arc<R>,
    pub(crate) limits: Arc<Limits>,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Held until the connection closes (`max_connections`).
    pub(crate) permit: OwnedSemaphorePermit,
    /// The listener's certificate, when it serves `https`.
    pub(crate) tls: Option<Arc<ServerTls>>,
}

impl<R: Respond> Connection<R> {
    /// Serves the connection until the client closes it, a deadline passes, it reaches its
    /// maximum age or the listener shuts down.
    pub(crate) async fn serve(self) {
        let Connection {
            stream,
            respond,
            limits,
            shutdown,
            permit,
            tls,
        } = self;
        let _open = limits.metered.then(crate::metrics::http::Open::new);
        let busy = Arc::new(Busy::default());
        let io = Deadlines::new(
            stream,
            busy.clone(),
            limits.header_read,
            limits.keep_alive_idle,
        );
        let Some(tls) = tls else {
            return serve_http(io, busy, respond, &limits, shutdown, permit).await;
        };
        #[cfg(feature = "https")]
        {
            let mut shutdown = shutdown;
            let handshake = tokio::select! {
                handshake = tls.accept(io) => handshake,
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            match handshake {
                Ok(io) => serve_http(io, busy, respond, &limits, shutdown, permit).await,
                // A silent client, a plain HTTP one, a port scanner: nothing to answer.
                Err(err) => {
                    tracing::debug!(error = %err, "tls handshake failed; connection closed")
                }
            }
        }
        #[cfg(not(feature = "https"))]
        match *tls {}
    }
}

/// Serves HTTP/1 on `io` (the socket with its deadlines, or a TLS stream over it).
async fn serve_http<IO, R>(
    io: IO,
    busy: Arc<Busy>,
    respond: Arc<R>,
    limits: &Limits,
    mut shutdown: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    R: Respond,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let guard = busy.enter();
        let answer = respond.respond(request.map(Body::new));
        async move {
            let response = answer.await;
            drop(guard);
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = http1::Builder::new();
    // Our own deadlines (see `deadlines`) replace hyper's header timer.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let why = tokio::select! {
        result = conn.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(error = %err, "http connection ended with an error");
            }
            drop(permit);
            return;
        }
        () = tokio::time::sleep(limits.max_age) => "maximum age reached",
        _ = shutdown.wait_for(|stop| *stop) => "listener shutting down",
    };
    tracing::debug!(
        reason = why,
        "closing http connection after its current request"
    );
    conn.as_mut().graceful_shutdown();
    match tokio::time::timeout(limits.drain, conn).await {
        Ok(Err(err)) => tracing::debug!(error = %err, "http connection ended with an error"),
        Ok(Ok(())) => {}
        Err(_) => tracing::warn!(
            drain_ms = limits.drain.as_millis() as u64,
            "http connection still busy after the drain timeout; closed"
        ),
    }
    drop(permit);
}
