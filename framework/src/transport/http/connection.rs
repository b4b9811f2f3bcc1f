//! Serving one accepted connection with hyper: read deadlines, a maximum age, and a graceful
//! close on shutdown that lets the request in flight finish, bounded by the drain timeout.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};

use super::deadlines::{Busy, Deadlines};
use super::endpoint::{self, Echo, Endpoint};

/// The per-connection limits, from the listener's config.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) header_read: Duration,
    pub(crate) keep_alive_idle: Duration,
    pub(crate) max_age: Duration,
    pub(crate) drain: Duration,
}

/// One accepted connection and what it is served with.
pub(crate) struct Connection {
    pub(crate) stream: TcpStream,
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) accept: HeaderValue,
    pub(crate) limits: Arc<Limits>,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Held until the connection closes (`max_connections`).
    pub(crate) permit: OwnedSemaphorePermit,
}

impl Connection {
    /// Serves the connection until the client closes it, a deadline passes, it reaches its
    /// maximum age or the listener shuts down.
    pub(crate) async fn serve(self) {
        let Connection {
            stream,
            endpoint,
            accept,
            limits,
            mut shutdown,
            permit,
        } = self;
        let _open = crate::metrics::http::Open::new();
        let busy = Arc::new(Busy::default());
        let io = Deadlines::new(
            stream,
            busy.clone(),
            limits.header_read,
            limits.keep_alive_idle,
        );
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let guard = busy.enter();
            let echo = Echo::of(request.headers());
            let accept = accept.clone();
            let endpoint = endpoint.clone();
            async move {
                let mut response = endpoint::respond(&endpoint, request.map(Body::new)).await;
                echo.apply(&mut response, &accept);
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
}
