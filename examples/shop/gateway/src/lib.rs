//! The gateway: the shop's public HTTP API, Socket.IO and live page, acting into the system
//! through a Porticus node. Its routes are configuration — `[[route]]`s in
//! `config/default.toml`, served by [`porticus::gateway`]:
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
//!
//! On the same port, [`app`] adds Socket.IO (`[socketio]` in the same file, served by
//! [`porticus::socketio`]) and the live page at `GET /`, where a customer places orders and
//! sees their events arrive. What a socket may do comes from the authorizer,
//! [`auth::socket`] (`role:auth,cmd:socket`).

use std::net::SocketAddr;

use axum::Router;
use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::socketio::Sockets;
use porticus::Node;

pub mod auth;
mod page;

/// The gateway's configuration file, built in so that the routes need no config folder.
const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// The built-in `config/default.toml`.
fn config() -> Config {
    Config::from_toml_str(DEFAULT_TOML).expect("config/default.toml parses")
}

/// The gateway of `config/default.toml`: its routes and error statuses.
///
/// # Panics
/// If the built-in file is not a valid gateway configuration (a bug, caught by the tests).
pub fn gateway() -> Gateway {
    Gateway::from_config(&config()).expect("config/default.toml's routes are valid")
}

/// The Socket.IO server of `config/default.toml`'s `[socketio]`: build the node with
/// `NodeBuilder::sockets(&sockets)` so that it takes in the order events, then serve
/// [`app`].
///
/// # Panics
/// If the built-in file's `[socketio]` is not valid (a bug, caught by the tests).
pub fn sockets() -> Sockets {
    Sockets::from_config(&config()).expect("config/default.toml's [socketio] is valid")
}

/// Everything the gateway serves on one port: the live page (`GET /`), the REST routes and
/// Socket.IO, acting through `node` (built with `.sockets(sockets)`).
pub fn app(node: Node, sockets: &Sockets) -> Router {
    let rest = page::router().merge(gateway().router(node.clone()));
    sockets.mount(rest, node)
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

/// Binds `bind` and serves [`app`] — the live page, the REST routes and Socket.IO — until
/// `node` closes; returns the bound address and the serving task. Served by
/// [`Sockets::serve`], which drops connections whose client stops reading.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(
    node: Node,
    sockets: &Sockets,
    bind: &str,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let app = app(node.clone(), sockets);
    let sockets = sockets.clone();
    let task = tokio::spawn(async move {
        if let Err(err) = sockets.serve(listener, app, node).await {
            tracing::error!(error = %err, "the gateway stopped");
        }
    });
    Ok((addr, task))
}
