//! The HTTP client's keep-alive connections: hyper HTTP/1 connections to one listener, each
//! used by one request at a time and kept idle between them, up to a number and an age.
//!
//! An `https` pool (feature `https`) shakes hands on each new connection within the connect
//! timeout; the request path after that is the same.
//!
//! A request taken by a pooled connection that the listener closed meanwhile (its keep-alive
//! ran out) comes back unsent from hyper and is sent again on another connection; one that was
//! sent and then failed is not (the act may have run).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::{Request, Response, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::tls::ClientTls;

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No connection could be made.
    Connect(String),
    /// The request was sent (or may have been) and no whole response came back.
    Exchange(hyper::Error),
}

/// An idle connection and since when it is.
struct Idle {
    sender: SendRequest<Full<Bytes>>,
    since: Instant,
}

/// Keep-alive connections to `address`.
pub(crate) struct Pool {
    address: String,
    idle: Mutex<Vec<Idle>>,
    max_idle: usize,
    idle_timeout: Duration,
    connect_timeout: Duration,
    /// The trusted roots and the expected name, for `https`.
    tls: Option<ClientTls>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Connections to `address` (`host:port`): at most `max_idle` kept idle, each for at most
    /// `idle_timeout`; a new one may take `connect_timeout` (its TLS handshake included,
    /// with `tls`).
    pub(crate) fn new(
        address: String,
        max_idle: usize,
        idle_timeout: Duration,
        connect_timeout: Duration,
        tls: Option<ClientTls>,
    ) -> Pool {
        Pool {
            address,
            idle: Mutex::new(Vec::new()),
            max_idle,
            idle_timeout,
            connect_timeout,
            tls,
        }
    }

    /// Whether its connections are TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Sends `request` and reads the whole response, on an idle connection or a new one.
    pub(crate) async fn exchange(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), Failure> {
        loop {
            let (mut sender, reused) = match self.take() {
                Some(sender) => (sender, true),
                None => (self.connect().await?, false),
            };
            // Ready once its connection task is idle again; an error means it closed.
            if let Err(error) = sender.ready().await {
                if reused {
                    continue;
                }
                return Err(Failure::Exchange(error));
            }
            match sender.try_send_request(request).await {
                Ok(response) => return self.finish(sender, response).await,
                Err(mut failed) => match failed.take_message() {
                    // Not sent: the pooled connection was closed under us; try another.
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(Failure::Exchange(failed.into_error())),
                },
            }
        }
    }

    /// Reads the body, then gives the connection back (unless the listener is closing it).
    async fn finish(
        &self,
        sender: SendRequest<Full<Bytes>>,
        response: Response<hyper::body::Incoming>,
    ) -> Result<(StatusCode, Bytes), Failure> {
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map_err(Failure::Exchange)?.to_bytes();
        self.put(sender);
        Ok((parts.status, bytes))
    }

    /// The most recently used idle connection that is still open and young enough.
    fn take(&self) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(Idle { sender, since }) = idle.pop() {
            if since.elapsed() < self.idle_timeout && !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    fn put(&self, sender: SendRequest<Full<Bytes>>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    /// A new connection (`TCP_NODELAY`), served by a task of its own until it closes.
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Failure> {
        let connecting = async {
            let stream = TcpStream::connect(self.address.as_str())
                .await
                .map_err(|error| Failure::Connect(error.to_string()))?;
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY");
            }
            match &self.tls {
                None => handshake(stream).await,
                #[cfg(feature = "https")]
                Some(tls) => handshake(tls.connect(stream).await.map_err(Failure::Connect)?).await,
                #[cfg(not(feature = "https"))]
                Some(never) => match *never {},
            }
        };
        match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(connected) => connected,
            Err(_) => Err(Failure::Connect(format!(
                "no connection within {} ms (connect_timeout_ms)",
                self.connect_timeout.as_millis()
            ))),
        }
    }
}

/// HTTP/1 over `io`, its connection driven by a task of its own.
async fn handshake<IO>(io: IO) -> Result<SendRequest<Full<Bytes>>, Failure>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| Failure::Connect(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "http client connection ended with an error");
        }
    });
    Ok(sender)
}
