//! [`HttpClient`]: acts and emits over HTTP through one pooled keep-alive connection pool.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;

use super::pool::{Failure, Pool};
use super::tls::ClientTls;
use super::wire::{
    error_from_response, Kind, CALLER, KIND, SENECA_ID, SENECA_ORIGIN, TIMEOUT_MS, TRACEPARENT,
};
use crate::action::BoxFuture;
use crate::config::HttpClientConfig;
use crate::error::{ActError, Code, Error, ErrorKind, Result};
use crate::message::{ids, Meta};
use crate::transport::Client;

/// The client side of the HTTP transport: posts each act to a listener's URL and waits for the
/// reply; events are posted with `porticus-kind: event` and answered once handed over.
///
/// One keep-alive connection pool per client (clones share it), `TCP_NODELAY` on. The caller's
/// remaining time is both the request's timeout and the `porticus-timeout-ms` header, so the
/// listener stops at the same deadline. A remote error comes back with its code, message and
/// details unchanged. See the [module docs](super) for the wire format.
///
/// An `https://` URL (feature `https`) connects over TLS, checking the listener's certificate
/// against `tls_ca_file` (or the platform's roots) and the URL's host; a certificate that is
/// not trusted fails the act with `transport_unavailable`, saying so.
///
/// ```no_run
/// use porticus::config::HttpClientConfig;
/// use porticus::transport::http::HttpClient;
/// use porticus::Node;
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut config = HttpClientConfig::default();
/// config.url = "http://127.0.0.1:10101/act".into();
/// let node = Node::builder()
///     .without_registered()
///     .client("role:math", HttpClient::new(&config)?)
///     .build()?;
/// let reply = node.act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2})).await?;
/// println!("{reply}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: Pool,
    /// The request target: the URL's path and query.
    target: Uri,
    /// The `host` header: the URL's authority.
    host: HeaderValue,
    /// `url` as text, for error messages.
    shown: String,
    /// The `seneca-origin` of this client, shaped like a Seneca instance id.
    origin: HeaderValue,
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

impl HttpClient {
    /// A client for the listener at `config.url`, with its own connection pool.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] naming the URL when it is malformed or neither `http://` nor
    /// `https://` (or `https://` without the feature `https`), and naming the file when
    /// `tls_ca_file` cannot be read or holds no certificate, or is set for a plain `http://`
    /// URL; [`ErrorKind::Transport`] when the connection pool cannot be set up.
    pub fn new(config: &HttpClientConfig) -> Result<HttpClient> {
        // What errors and logs show: the password of a URL's user info masked.
        let masked = crate::config::masked_url(&config.url);
        let url: Uri = config.url.parse().map_err(|e| {
            config_error(format!(
                "http client `url` `{masked}` is not a valid URL: {e}"
            ))
            .with_source(e)
        })?;
        let Some(authority) = url.authority() else {
            return Err(config_error(format!(
                "http client `url` `{masked}` must start with `http://` or `https://` and name a host"
            )));
        };
        if authority.as_str().contains('@') {
            return Err(config_error(format!(
                "http client `url` `{masked}` carries a user and password, which the http transport does not send: leave them out"
            )));
        }
        let (tls, default_port) = match url.scheme_str() {
            Some("http") if !config.tls_ca_file.is_empty() => {
                return Err(config_error(format!(
                    "http client `tls_ca_file` `{}` is set, but `url` `{masked}` is plain http://; use https:// or drop `tls_ca_file`",
                    config.tls_ca_file
                )))
            }
            Some("http") => (None, 80),
            Some("https") => (Some(client_tls(config, authority.host())?), 443),
            _ => {
                return Err(config_error(format!(
                    "http client `url` `{masked}` must start with `http://` or `https://` and name a host"
                )))
            }
        };
        let authority = authority.as_str();
        let address = match url.port_u16() {
            Some(_) => authority.to_owned(),
            None => format!("{authority}:{default_port}"),
        };
        let http = Pool::new(
            address,
            config.pool_max_idle,
            Duration::from_millis(config.pool_idle_timeout_ms),
            Duration::from_millis(config.connect_timeout_ms),
            tls,
        );
        let target: Uri = url
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|e| {
                config_error(format!("http client `url` `{masked}`: {e}")).with_source(e)
            })?;
        let host = HeaderValue::from_str(authority).map_err(|e| {
            config_error(format!("http client `url` `{masked}`: {e}")).with_source(e)
        })?;
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let origin = format!(
            "{}/{started}/{}/porticus-{}/client",
            ids::next(),
            std::process::id(),
            env!("CARGO_PKG_VERSION")
        );
        Ok(HttpClient {
            inner: Arc::new(Inner {
                http,
                shown: crate::config::masked_url(&url.to_string()),
                target,
                host,
                origin: HeaderValue::from_str(&origin)
                    .unwrap_or_else(|_| HeaderValue::from_static("porticus/client")),
            }),
        })
    }

    /// The URL this client posts to, its password (if it has one) masked.
    pub fn url(&self) -> &str {
        &self.inner.shown
    }
}

impl Inner {
    fn headers(&self, meta: &Meta, kind: Kind) -> Result<HeaderMap, ActError> {
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(HOST, self.host.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(SENECA_ORIGIN, self.origin.clone());
        if let Some(kind) = kind.header() {
            headers.insert(KIND, kind);
        }
        let id = meta.id();
        headers.insert(
            SENECA_ID,
            HeaderValue::from_str(&id).map_err(|_| {
                ActError::invalid_msg(format!(
                    "the message id `{id}` cannot travel in an HTTP header (visible ASCII only)"
                ))
            })?,
        );
        headers.insert(TIMEOUT_MS, HeaderValue::from(remaining_ms(meta)));
        // Well-formed (checked or made here), so always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&meta.outbound_traceparent()) {
            headers.insert(TRACEPARENT, value);
        }
        // ASCII JSON (escaped by `caller_header`), so always a valid header value.
        if let Some(value) = meta
            .caller_header()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(CALLER, value);
        }
        Ok(headers)
    }

    /// Posts `msg` and returns the status and body of the response.
    async fn post(
        &self,
        msg: &Value,
        meta: &Meta,
        kind: Kind,
    ) -> Result<(StatusCode, Bytes), ActError> {
        let remaining = meta.remaining();
        if remaining.is_zero() {
            return Err(self.timed_out(meta));
        }
        let headers = self.headers(meta, kind)?;
        let body = serde_json::to_vec(msg)
            .map_err(|e| ActError::invalid_msg(format!("the message cannot be serialized: {e}")))?;
        let mut request = Request::post(self.target.clone())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ActError::invalid_msg(format!("the request cannot be built: {e}")))?;
        *request.headers_mut() = headers;
        let deadline = meta.deadline();
        match tokio::time::timeout_at(deadline, self.http.exchange(request)).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(failure)) => Err(self.failed(&failure, meta)),
            Err(_) => Err(self.timed_out(meta)),
        }
    }

    fn timed_out(&self, meta: &Meta) -> ActError {
        let ms = meta.timeout().as_millis() as u64;
        ActError::new(
            Code::ACTION_TIMEOUT,
            format!(
                "no reply from the http listener at {} within {ms} ms",
                self.shown
            ),
        )
        .with_details(serde_json::json!({ "url": self.shown, "timeout": ms }))
    }

    /// A request that got no response: the listener unreachable, or the connection broken.
    fn failed(&self, failure: &Failure, meta: &Meta) -> ActError {
        if meta.remaining().is_zero() {
            return self.timed_out(meta);
        }
        let message = match failure {
            Failure::Connect(cause) => format!(
                "cannot connect to the http listener at {}: {cause}",
                self.shown
            ),
            // A TLS listener answers a plain request with an alert, which is no HTTP.
            Failure::Exchange(error) if error.is_parse() && !self.http.is_tls() => {
                format!(
                    "the http listener at {} did not answer in HTTP: {} (if it serves https, use an https:// url)",
                    self.shown,
                    root_cause(error)
                )
            }
            Failure::Exchange(error) => format!(
                "the http listener at {} did not answer: {}",
                self.shown,
                root_cause(error)
            ),
        };
        tracing::debug!(url = %self.shown, ?failure, "http request failed");
        ActError::new(Code::TRANSPORT_UNAVAILABLE, message)
            .with_details(serde_json::json!({ "url": self.shown }))
    }
}

#[cfg(feature = "https")]
fn client_tls(config: &HttpClientConfig, host: &str) -> Result<ClientTls> {
    ClientTls::new(&config.tls_ca_file, host)
}

#[cfg(not(feature = "https"))]
fn client_tls(config: &HttpClientConfig, _host: &str) -> Result<ClientTls> {
    Err(config_error(format!(
        "http client `url` `{}` is https://, but porticus was built without its cargo feature `https`; enable it: porticus = {{ features = [\"https\"] }}",
        crate::config::masked_url(&config.url)
    )))
}

fn remaining_ms(meta: &Meta) -> u64 {
    // Rounded up, so that a caller with 0.4 ms left does not send "0".
    let micros = meta.remaining().as_micros();
    micros.div_ceil(1000).min(u64::MAX as u128) as u64
}

/// The innermost error's text: `Connection refused (os error 111)` rather than the client's
/// `client error (Connect)`.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

impl Client for HttpClient {
    fn transport(&self) -> &'static str {
        super::TRANSPORT
    }

    /// Every exchange, connecting included, runs under `timeout_at(deadline)` in `post`.
    fn enforces_deadline(&self) -> bool {
        true
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let (status, body) = inner.post(&msg, &meta, Kind::Act).await?;
            if !status.is_success() {
                return Err(error_from_response(status, &body, &inner.shown));
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Null);
            }
            serde_json::from_slice(&body).map_err(|e| {
                ActError::new(
                    Code::REPLY_INVALID,
                    format!("the http listener at {} replied {status} with a body that is not JSON: {e}", inner.shown),
                )
                .with_details(serde_json::json!({ "url": inner.shown }))
            })
        })
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let (status, body) = inner.post(&event, &meta, Kind::Event).await?;
            if status.is_success() {
                Ok(())
            } else {
                Err(error_from_response(status, &body, &inner.shown))
            }
        })
    }
}
