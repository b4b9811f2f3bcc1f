//! The gateway: the shop's public HTTP API, acting into the system through a Porticus node.
//! Its routes are configuration — `[[route]]`s in `config/default.toml`, served by
//! [`porticus::gateway`]:
//!
//! | route | acts |
//! |---|---|
//! | `POST /orders` (JSON `{customer, card, items:[{sku, qty, price_cents}]}`) → 201 | `role:order,cmd:place` |
//! | `GET /orders/{id}` | `role:order,cmd:get` |
//! | `POST /orders/{id}/ship` | `role:order,cmd:ship` |
//!
//! Errors come back as the Porticus error JSON (`{code, message, details}`) with a status that
//! fits the code: `card_declined` → 402, `order_not_found` → 404, `act_invalid_msg` → 400, …
//! (`[gateway] errors` in the same file).

use std::net::SocketAddr;

use axum::Router;
use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::Node;

/// The gateway's configuration file, built in so that the routes need no config folder.
const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// The gateway of `config/default.toml`: its routes and error statuses.
///
/// # Panics
/// If the built-in file is not a valid gateway configuration (a bug, caught by the tests).
pub fn gateway() -> Gateway {
    let config = Config::from_toml_str(DEFAULT_TOML).expect("config/default.toml parses");
    Gateway::from_config(&config).expect("config/default.toml's routes are valid")
}

/// The gateway's routes, acting through `node`.
pub fn router(node: Node) -> Router {
    gateway().router(node)
}

/// Binds `bind` and serves the gateway until `node` closes; returns the bound address.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start(
    node: Node,
    bind: &str,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    gateway()
        .bind(bind)
        .start(node)
        .await
        .map_err(|e| std::io::Error::other(format!("{e:?}")))
}
