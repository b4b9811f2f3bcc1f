//! The configuration schema: plain data with serde defaults. Unknown keys are errors.

use serde::{Deserialize, Serialize};

use super::amqp::{AmqpClientConfig, AmqpListenConfig};
use super::gateway::{GatewayConfig, RouteConfig};
use super::nats::{NatsClientConfig, NatsCredentials, NatsListenConfig};
use super::ops::{AdminConfig, LogConfig, TelemetryConfig};
use super::policy::PolicyConfig;
use super::socketio::{SocketIoConfig, SocketIoListenConfig};
use crate::node::DEFAULT_TIMEOUT_MS;

/// A service's whole configuration. Its `Debug` form is its [`summary`](Self::summary), secrets
/// masked.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// The service itself: name and default timeout.
    #[serde(default)]
    pub service: ServiceConfig,
    /// Listeners: how other nodes reach this one (`[[listen]]`). None = in-process only.
    #[serde(default)]
    pub listen: Vec<ListenConfig>,
    /// Clients: where acts this node does not handle go (`[[client]]`), routed by pin.
    #[serde(default)]
    pub client: Vec<ClientConfig>,
    /// Retries, circuit breakers and bulkheads for the acts matching each pattern
    /// (`[[policy]]`, see `docs/resilience.md`).
    #[serde(default)]
    pub policy: Vec<PolicyConfig>,
    /// REST routes of the gateway (`[[route]]`, feature `gateway`): `METHOD /path` → pattern.
    #[serde(default)]
    pub route: Vec<RouteConfig>,
    /// The gateway's address, limits and error statuses (`[gateway]`, feature `gateway`).
    #[serde(default)]
    pub gateway: GatewayConfig,
    /// The Socket.IO listener's authorization, events and limits (`[socketio]`, feature
    /// `socketio`).
    #[serde(default)]
    pub socketio: SocketIoConfig,
    /// Credentials for NATS entries whose URL carries none (`[nats]`, settable from the
    /// environment: `PORTICUS__NATS__PASSWORD`).
    #[serde(default)]
    pub nats: NatsCredentials,
    /// How the service logs (`[log]`).
    #[serde(default)]
    pub log: LogConfig,
    /// The admin endpoint: probes, metrics, drain (`[admin]`), off unless `bind` is set.
    #[serde(default)]
    pub admin: AdminConfig,
    /// Traces exported over OTLP (`[telemetry]`, the `otlp` feature), off unless an endpoint
    /// is set.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// The application's own settings (`[app]`), free-form: Porticus does not check them.
    #[serde(default)]
    pub app: serde_json::Map<String, serde_json::Value>,
    /// Where it was loaded from ([`files`](Self::files), [`environment`](Self::environment)).
    #[serde(skip)]
    pub(crate) sources: super::sources::Sources,
}

/// `[service]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ServiceConfig {
    /// The service name (instance ids, connection names, queue names). Default `"porticus"`.
    pub name: String,
    /// The deadline of an act without `timeout$`, in milliseconds. Default 22,222 (Seneca's).
    pub timeout_ms: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            name: "porticus".to_owned(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }
}

/// One `[[listen]]` entry; `type` says which transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum ListenConfig {
    /// `type = "http"`: serve `POST /act` (needs the `http` feature).
    Http(HttpListenConfig),
    /// `type = "amqp"`: serve from a RabbitMQ queue (needs the `amqp` feature).
    Amqp(Box<AmqpListenConfig>),
    /// `type = "nats"`: serve NATS requests and JetStream events (needs the `nats` feature).
    Nats(Box<NatsListenConfig>),
    /// `type = "socketio"`: serve Socket.IO clients, with `[socketio]`'s settings (needs the
    /// `socketio` feature).
    SocketIo(SocketIoListenConfig),
}

impl ListenConfig {
    /// The transport's name, as written in `type`.
    pub fn transport(&self) -> &'static str {
        match self {
            ListenConfig::Http(_) => "http",
            ListenConfig::Amqp(_) => "amqp",
            ListenConfig::Nats(_) => "nats",
            ListenConfig::SocketIo(_) => "socketio",
        }
    }

    /// The pins it serves (`pin` and `pins`, the empty ones left out); `None` for a listener
    /// that takes every act reaching it (HTTP).
    ///
    /// ```
    /// use porticus::config::Config;
    ///
    /// let config = Config::from_toml_str(
    ///     "[[listen]]\ntype = \"amqp\"\npin = \"role:math\"\npins = [\"role:stats\"]\n[[listen]]\ntype = \"http\"",
    /// )?;
    /// assert_eq!(config.listen[0].pins(), Some(vec!["role:math".to_owned(), "role:stats".to_owned()]));
    /// assert_eq!(config.listen[1].pins(), None);
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn pins(&self) -> Option<Vec<String>> {
        let (pin, pins) = match self {
            ListenConfig::Amqp(c) => (&c.pin, &c.pins),
            ListenConfig::Nats(c) => (&c.pin, &c.pins),
            ListenConfig::Http(_) | ListenConfig::SocketIo(_) => return None,
        };
        Some(
            std::iter::once(pin)
                .chain(pins)
                .filter(|p| !p.trim().is_empty())
                .cloned()
                .collect(),
        )
    }
}

/// One `[[client]]` entry; `type` says which transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum ClientConfig {
    /// `type = "http"`: act over HTTP (needs the `http` feature).
    Http(HttpClientConfig),
    /// `type = "amqp"`: act and emit through RabbitMQ (needs the `amqp` feature).
    Amqp(AmqpClientConfig),
    /// `type = "nats"`: act by NATS request/reply, emit to JetStream (needs the `nats` feature).
    Nats(NatsClientConfig),
}

impl ClientConfig {
    /// The transport's name, as written in `type`.
    pub fn transport(&self) -> &'static str {
        match self {
            ClientConfig::Http(_) => "http",
            ClientConfig::Amqp(_) => "amqp",
            ClientConfig::Nats(_) => "nats",
        }
    }

    /// The pin the client is routed under (`""` = catch-all).
    pub fn pin(&self) -> &str {
        match self {
            ClientConfig::Http(c) => &c.pin,
            ClientConfig::Amqp(c) => &c.pin,
            ClientConfig::Nats(c) => &c.pin,
        }
    }

    /// The further event patterns the client receives emits for.
    pub fn events(&self) -> &[String] {
        match self {
            ClientConfig::Http(c) => &c.events,
            // The broker fans events out to every subscribing service.
            ClientConfig::Amqp(_) | ClientConfig::Nats(_) => &[],
        }
    }
}

/// `[[listen]] type = "http"`: the HTTP listener and its limits.
///
/// Every limit protects the other callers from one slow or malformed client: see
/// `docs/transports.md` for what a client sees when it runs into each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct HttpListenConfig {
    /// Address to bind. Default `127.0.0.1:10101` (Seneca's default port); port 0 picks one.
    pub bind: String,
    /// Path acts are posted to. Default `/act`.
    pub path: String,
    /// Largest request body accepted, in bytes (413 `payload_too_large` above). Default 1 MiB.
    pub max_body_bytes: usize,
    /// Time a client has to send a request's headers, counted from the connection's accept or
    /// from the first byte of the request, in ms; the connection is then closed. Default 5,000.
    pub header_read_timeout_ms: u64,
    /// Time a client has to send a request's body once its headers arrived, in ms (408
    /// `request_timeout`, then the connection is closed). Default 10,000.
    pub body_read_timeout_ms: u64,
    /// Longest a connection may stay open, in ms; it then closes after its current request.
    /// Default 300,000.
    pub connection_max_age_ms: u64,
    /// An idle keep-alive connection (no request in progress) is closed after this long, in ms.
    /// Keep it above the clients' pool idle timeout. Default 75,000.
    pub keep_alive_idle_ms: u64,
    /// Connections served at once; more wait in the accept queue. Default 1,024.
    pub max_connections: usize,
    /// Requests handled at once (counted once their body is in); more are refused with 503
    /// `overloaded`. Default 512.
    pub max_concurrent_requests: usize,
    /// The longest deadline a caller may ask for with `porticus-timeout-ms`, in ms; a longer
    /// one is cut to this, so no caller holds a handler longer. Default 30,000 (Seneca's
    /// default act timeout is 22,222).
    pub max_request_timeout_ms: u64,
    /// On shutdown (or at a connection's maximum age), how long requests in flight may take to
    /// finish before their connections are closed, in ms. Default 30,000 (above the default act
    /// timeout).
    pub drain_timeout_ms: u64,
    /// PEM file of the listener's certificate chain, its own certificate first: with
    /// `tls_key_file`, the listener serves `https` (feature `https`). Default `""` (plain
    /// `http`).
    pub tls_cert_file: String,
    /// PEM file of the private key of `tls_cert_file` (PKCS#8, PKCS#1 or SEC1). Default `""`.
    pub tls_key_file: String,
}

impl Default for HttpListenConfig {
    fn default() -> Self {
        HttpListenConfig {
            bind: "127.0.0.1:10101".to_owned(),
            path: "/act".to_owned(),
            max_body_bytes: 1024 * 1024,
            header_read_timeout_ms: 5_000,
            body_read_timeout_ms: 10_000,
            connection_max_age_ms: 300_000,
            keep_alive_idle_ms: 75_000,
            max_connections: 1_024,
            max_concurrent_requests: 512,
            max_request_timeout_ms: 30_000,
            drain_timeout_ms: 30_000,
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
        }
    }
}

/// `[[client]] type = "http"`: where to send acts, and the connection pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct HttpClientConfig {
    /// The listener's URL, path included: `http://…`, or `https://…` with the feature `https`.
    /// Default `http://127.0.0.1:10101/act`.
    pub url: String,
    /// The pattern this client is routed under — acts and events that match it go to this
    /// client; `""` makes it the catch-all. Default `""`.
    pub pin: String,
    /// Further event patterns this client receives emits for (`["event:order_shipped"]`),
    /// beside those matching `pin`. Several clients may list the same event: each gets it.
    /// Default none.
    pub events: Vec<String>,
    /// Pooled connections idle longer than this are closed, in ms — keep it below the
    /// listener's keep-alive: 75 s for a Porticus listener, 5 s for a Seneca.js one (Node's
    /// `http.Server` default). Default 4,000, so both work.
    pub pool_idle_timeout_ms: u64,
    /// Idle connections kept per host. Default 256.
    pub pool_max_idle: usize,
    /// Time allowed to connect, in ms, the TLS handshake included. Default 2,000.
    pub connect_timeout_ms: u64,
    /// PEM file of the CA certificates an `https://` listener's certificate must chain to,
    /// trusted instead of the platform's roots. Default `""`: the platform's roots.
    pub tls_ca_file: String,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            url: "http://127.0.0.1:10101/act".to_owned(),
            pin: String::new(),
            events: Vec::new(),
            pool_idle_timeout_ms: 4_000,
            pool_max_idle: 256,
            connect_timeout_ms: 2_000,
            tls_ca_file: String::new(),
        }
    }
}
