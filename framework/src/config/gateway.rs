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
}

fn ok() -> u16 {
    200
}

/// `[gateway]`: where the gateway listens, its limits, and the status of each error code.
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
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            bind: "127.0.0.1:8080".to_owned(),
            max_body_bytes: 1024 * 1024,
            timeout_ms: 30_000,
            errors: BTreeMap::new(),
        }
    }
}
