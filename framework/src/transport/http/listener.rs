//! [`HttpListener`]: serves a node's actions at `POST http://{bind}{path}`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::accept::{self, Serving};
use super::connection::Limits;
use super::endpoint::{Acts, Endpoint};
use super::tls::ServerTls;
use crate::action::BoxFuture;
use crate::config::HttpListenConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
use crate::transport::Listener;

/// The listener side of the HTTP transport: `POST {path}` with a JSON message acts it on the
/// node, and the reply is the bare JSON result (or a non-2xx status and the
/// [`ActError`](crate::ActError) as JSON). See the [module docs](super) for the wire format.
///
/// Bound when created, so a taken port is an error at start-up; served by
/// [`Listener::serve`] (or by [`Node::start`] from configuration). With `tls_cert_file` and
/// `tls_key_file` (feature `https`) it serves `https`: the files are read when it is bound, and
/// each connection's TLS handshake runs within its `header_read_timeout_ms`.
///
/// ```
/// use porticus::config::HttpListenConfig;
/// use porticus::transport::http::HttpListener;
/// use porticus::transport::Listener;
/// use porticus::{ActError, Node};
/// use serde_json::{json, Value};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> porticus::Result<()> {
/// let mut config = HttpListenConfig::default();
/// config.bind = "127.0.0.1:0".into(); // any free port
/// let listener = HttpListener::bind(&config).await?;
/// let url = listener.url(); // http://127.0.0.1:<port>/act
/// let node = Node::builder()
///     .without_registered()
///     .add("role:echo", |m: Value| async move { Ok::<_, ActError>(m) })
///     .build()?;
/// let serving = tokio::spawn(Box::new(listener).serve(node.clone()));
/// // … clients post to `url` …
/// node.close(); // stop taking requests, finish the ones in flight
/// serving.await.expect("the listener task")?;
/// # assert!(url.starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct HttpListener {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: HttpListenConfig,
    tls: Option<Arc<ServerTls>>,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

fn check(config: &HttpListenConfig) -> Result<()> {
    let path = &config.path;
    if !path.starts_with('/') || path.contains(['{', '}', '?', '#']) {
        return Err(invalid(format!(
            "http listener `path` must start with `/` and hold no `{{`, `}}`, `?` or `#`, got `{path}`"
        )));
    }
    for (key, value) in [
        ("max_body_bytes", config.max_body_bytes as u64),
        ("max_connections", config.max_connections as u64),
        (
            "max_concurrent_requests",
            config.max_concurrent_requests as u64,
        ),
        ("header_read_timeout_ms", config.header_read_timeout_ms),
        ("body_read_timeout_ms", config.body_read_timeout_ms),
        ("connection_max_age_ms", config.connection_max_age_ms),
        ("keep_alive_idle_ms", config.keep_alive_idle_ms),
        ("max_request_timeout_ms", config.max_request_timeout_ms),
        ("drain_timeout_ms", config.drain_timeout_ms),
    ] {
        if value == 0 {
            return Err(invalid(format!(
                "http listener `{key}` must be greater than 0"
            )));
        }
    }
    Ok(())
}

impl HttpListener {
    /// Checks `config` and binds its address (port 0 picks a free one).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for an invalid path or a zero limit, and naming the file for a
    /// TLS certificate or key that cannot be read or used (or `https` without its feature);
    /// [`ErrorKind::Transport`] naming the address when it cannot be bound (taken, not local,
    /// malformed).
    pub async fn bind(config: &HttpListenConfig) -> Result<HttpListener> {
        check(config)?;
        let tls = super::tls::server(&config.tls_cert_file, &config.tls_key_file, "http listener")?;
        let listener = TcpListener::bind(config.bind.as_str()).await.map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!("cannot bind the http listener to `{}`: {e}", config.bind),
            )
            .with_source(e)
        })?;
        let local_addr = listener.local_addr().map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!(
                    "the http listener bound to `{}` has no local address: {e}",
                    config.bind
                ),
            )
            .with_source(e)
        })?;
        Ok(HttpListener {
            listener,
            local_addr,
            config: config.clone(),
            tls,
        })
    }

    /// The address it is bound to (with the real port when the config said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL clients post acts to: `http://{local_addr}{path}`, or `https://…` when it
    /// serves TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{}", self.local_addr, self.config.path)
    }

    async fn run(self, node: Node) -> Result<()> {
        let config = self.config;
        let ms = Duration::from_millis;
        let endpoint = Arc::new(Endpoint {
            node: node.clone(),
            path: config.path.clone(),
            max_body: config.max_body_bytes,
            body_timeout: ms(config.body_read_timeout_ms),
            requests: Arc::new(Semaphore::new(config.max_concurrent_requests)),
            max_requests: config.max_concurrent_requests,
            max_timeout: ms(config.max_request_timeout_ms),
        });
        let accept = HeaderValue::from_str(node.instance())
            .unwrap_or_else(|_| HeaderValue::from_static("porticus"));
        let limits = Arc::new(Limits {
            header_read: ms(config.header_read_timeout_ms),
            keep_alive_idle: ms(config.keep_alive_idle_ms),
            max_age: ms(config.connection_max_age_ms),
            drain: ms(config.drain_timeout_ms),
            metered: true,
        });
        crate::metrics::http::listening();
        accept::serve(
            Serving {
                listener: self.listener,
                address: self.local_addr,
                limits,
                max_connections: config.max_connections,
                respond: Arc::new(Acts { endpoint, accept }),
                name: "http listener",
                tls: self.tls,
            },
            node,
        )
        .await;
        Ok(())
    }
}

impl Listener for HttpListener {
    fn transport(&self) -> &'static str {
        super::TRANSPORT
    }

    fn address(&self) -> String {
        self.url()
    }

    fn serve(self: Box<Self>, node: Node) -> BoxFuture<Result<(), Error>> {
        Box::pin(self.run(node))
    }
}
