//! `[[route]]` and `[gateway]`: the REST routes the gateway (feature `gateway`) maps to
//! patterns, and its address, limits and error statuses. Checked when the gateway is built
//! (`porticus::gateway::Gateway::from_config`); `docs/gateway.md` has the rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One `[[route]]` entry: an HTTP method and path, and the pattern a request to it acts.
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str(r#"
///     [[route]]
///     method = "POST"
///     path = "/orders"
///     pattern = "role:order,cmd:place"
///     status = 201
///     summary = "place an order"
///
///     [[route]]
///     method = "GET"
///     path = "/orders/{id}"
///     pattern = "role:order,cmd:get"
/// "#)?;
/// assert_eq!(config.route.len(), 2);
/// assert_eq!(config.route[0].status, 201);
/// assert_eq!(config.route[1].status, 200);
/// assert_eq!(config.route[1].summary, None);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RouteConfig {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (any case).
    pub method: String,
    /// The path, axum-style: `/orders/{id}/ship`; a `{name}` segment is a path parameter.
    pub path: String,
    /// The Seneca pattern the request acts (`role:order,cmd:get`): its fields are set over the
    /// message, so a client cannot send the act elsewhere. No globs, no directives.
    pub pattern: String,
    /// The status of a successful reply, 200–299. Default 200.
    #[serde(default = "ok")]
    pub status: u16,
    /// What the route does, for the documentation. Default none.
    #[serde(default)]
    pub summary: Option<String>,
    /// Who may call the route: each entry a pattern over the caller's identity
    /// (`"roles:admin"`, `"id:alice"`, `"roles:staff,team:ops"`); the caller must match one
    /// entry, every pair of it (an array field matches when it holds the value). Needs
    /// `[gateway] auth`. Default none: anyone, with or without an identity.
    #[serde(default)]
    pub allow: Option<Vec<String>>,
}

fn ok() -> u16 {
    200
}

/// `[gateway]`: where the gateway listens, its limits, the status of each error code, the
/// authentication hook, CORS and the OpenAPI document.
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str(r#"
///     [gateway]
///     bind = "127.0.0.1:0"
///     errors = { card_declined = 402, order_not_found = 404 }
/// "#)?;
/// assert_eq!(config.gateway.bind, "127.0.0.1:0");
/// assert_eq!(config.gateway.errors["card_declined"], 402);
/// assert_eq!(config.gateway.max_body_bytes, 1024 * 1024);
/// assert_eq!(config.gateway.timeout_ms, 30_000);
/// assert_eq!(config.gateway.auth, None);
/// assert_eq!(config.gateway.openapi, "/openapi.json");
/// assert_eq!(config.gateway.max_connections, 1_024);
/// assert!(config.gateway.cors.is_none());
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// Address the gateway binds. Default `127.0.0.1:8080`; port 0 picks one.
    pub bind: String,
    /// Largest request body accepted, in bytes (413 `payload_too_large` above). Default 1 MiB.
    pub max_body_bytes: usize,
    /// The longest deadline of an act, in ms: a client's `timeout$` and the node's default
    /// timeout are cut to this. Default 30,000.
    pub timeout_ms: u64,
    /// The HTTP status of each error code (`card_declined = 402`), 400–599, over the HTTP
    /// transport's own (`act_invalid_msg` 400, `act_not_found` 404, `action_timeout` 504, …;
    /// any other code 500). Default none.
    pub errors: BTreeMap<String, u16>,
    /// The authentication hook: the pattern (`"role:auth,cmd:http"`) every request acts first,
    /// with its method, path, route and headers; the reply is the caller's identity (a JSON
    /// object, or `null` for none) that handlers see as
    /// [`Meta::caller`](crate::Meta::caller). Default none: no identity.
    pub auth: Option<String>,
    /// Where the OpenAPI 3.1 document of the routes is served (`GET`); `""` serves none.
    /// Default `/openapi.json`.
    pub openapi: String,
    /// The `info.version` of the OpenAPI document (the API's version). Default `1.0.0`.
    pub api_version: String,
    /// Cross-origin requests (`[gateway.cors]`). Default none: no CORS headers.
    pub cors: Option<CorsConfig>,
    /// Connections open at once; the next waits to be accepted. Default 1,024.
    pub max_connections: usize,
    /// Time for a request's headers to arrive, in ms. Default 5,000.
    pub header_read_timeout_ms: u64,
    /// Time for a request's body to arrive, in ms (408 `request_timeout` after). Default 10,000.
    pub body_read_timeout_ms: u64,
    /// Time an idle keep-alive connection stays open, in ms. Default 75,000.
    pub keep_alive_idle_ms: u64,
    /// Age after which a connection is closed after its current request, in ms. Default 300,000.
    pub connection_max_age_ms: u64,
    /// On shutdown, time given to requests in flight, in ms. Default 30,000.
    pub drain_timeout_ms: u64,
    /// PEM file of the gateway's certificate chain, its own first: with `tls_key_file`, the
    /// gateway serves `https` (feature `https`). Default `""` (plain `http`).
    pub tls_cert_file: String,
    /// PEM file of the private key of `tls_cert_file`. Default `""`.
    pub tls_key_file: String,
}

/// `[gateway.cors]`: which web origins may call the gateway from a browser. The methods
/// allowed are those of the routes (and `OPTIONS`).
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str(r#"
///     [gateway.cors]
///     origins = ["http://localhost:3000"]
///     credentials = true
/// "#)?;
/// let cors = config.gateway.cors.expect("configured");
/// assert_eq!(cors.origins, ["http://localhost:3000"]);
/// assert_eq!(cors.headers, ["authorization", "content-type"]);
/// assert_eq!(cors.max_age_s, 600);
/// assert!(cors.credentials);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct CorsConfig {
    /// The origins allowed (`"https://shop.example"`: scheme, host and port if any), or
    /// `["*"]` for any (not with `credentials`). Required: none allows no origin.
    pub origins: Vec<String>,
    /// The request headers a browser may send. Default `authorization`, `content-type`.
    pub headers: Vec<String>,
    /// The response headers a browser's script may read. Default none.
    pub expose_headers: Vec<String>,
    /// How long a browser may cache a preflight answer, in seconds. Default 600.
    pub max_age_s: u64,
    /// Whether browsers send cookies and `authorization` (`Access-Control-Allow-Credentials`).
    /// Default false.
    pub credentials: bool,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            origins: Vec::new(),
            headers: vec!["authorization".to_owned(), "content-type".to_owned()],
            expose_headers: Vec::new(),
            max_age_s: 600,
            credentials: false,
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            bind: "127.0.0.1:8080".to_owned(),
            max_body_bytes: 1024 * 1024,
            timeout_ms: 30_000,
            errors: BTreeMap::new(),
            auth: None,
            openapi: "/openapi.json".to_owned(),
            api_version: "1.0.0".to_owned(),
            cors: None,
            max_connections: 1_024,
            header_read_timeout_ms: 5_000,
            body_read_timeout_ms: 10_000,
            keep_alive_idle_ms: 75_000,
            connection_max_age_ms: 300_000,
            drain_timeout_ms: 30_000,
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
        }
    }
}
