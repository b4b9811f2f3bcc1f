//! The REST gateway (feature `gateway`): `[[route]]`s of configuration map `METHOD /path` to
//! the pattern a request acts, served on axum.
//!
//! ```toml
//! [gateway]
//! bind = "127.0.0.1:8080"
//! errors = { card_declined = 402, order_not_found = 404 }
//! auth = "role:auth,cmd:http"
//!
//! [gateway.cors]
//! origins = ["http://localhost:3000"]
//!
//! [[route]]
//! method = "POST"
//! path = "/orders"
//! pattern = "role:order,cmd:place"
//! status = 201
//!
//! [[route]]
//! method = "GET"
//! path = "/orders/{id}"
//! pattern = "role:order,cmd:get"
//! allow = ["roles:customer", "roles:admin"]
//! ```
//!
//! A request's message is its query parameters (strings), then its JSON body's fields over
//! them, then its path parameters over those, then the route's pattern over everything — so a
//! client cannot send the act to another pattern. Directives (`…$` keys) from the client are
//! dropped, except `timeout$`, cut to `[gateway] timeout_ms`.
//!
//! The reply is the act's result as JSON with the route's `status` (default 200). An error is
//! the [`ActError`](crate::ActError) JSON, `{"code", "message", "details"?}`, with the status
//! `[gateway] errors` gives its code, else the HTTP transport's
//! ([`transport::http`](crate::transport::http)): 400 `act_invalid_msg`, 404 `act_not_found`,
//! 504 `action_timeout`, … any other code 500. The gateway's own refusals: 404 `no_route`
//! (unknown path), 405 `method_not_allowed`, 413 `payload_too_large`, 415
//! `unsupported_media_type` (a body not sent as `application/json`), 400 `act_invalid_msg` (a
//! body that is not a JSON object), 408 `request_timeout` (a body too slow).
//!
//! - **Authentication**: with `[gateway] auth = "role:auth,cmd:http"`, each request first acts
//!   that pattern with its `method`, `path`, `route` and `headers`; the reply is the caller's
//!   identity (an object, or `null` for none), which handlers read as
//!   [`Meta::caller`](crate::Meta::caller) and which crosses every transport; an error
//!   refuses the request, 401 `unauthorized` (403 for `forbidden`).
//! - **Allow-lists**: `allow = ["roles:admin", "id:alice"]` on a `[[route]]`: the identity must
//!   match one entry (401 without one, 403 when none matches).
//! - **CORS**: `[gateway.cors] origins = ["http://localhost:3000"]`, the methods of the routes.
//! - **OpenAPI 3.1**: [`Gateway::openapi`], served at `GET /openapi.json`.
//! - **Limits**: served by the HTTP listener's connection loop: `max_connections`, header and
//!   body read timeouts, idle and age limits, a drain on shutdown.
//!
//! `docs/gateway.md` has the details.
//!
//! The router is axum's — the one place axum shows in Porticus's API, so that an application
//! can mount the gateway in its own router.
//!
//! ```no_run
//! use porticus::{config::Config, gateway::Gateway, Node};
//!
//! # #[tokio::main]
//! # async fn main() -> porticus::Result<()> {
//! let config = Config::load()?;
//! let node = Node::builder().config(&config).build()?;
//! let (addr, task) = Gateway::from_config(&config)?.start(node).await?;
//! println!("gateway on http://{addr}");
//! task.await.ok();
//! # Ok(()) }
//! ```

mod allow;
mod auth;
mod cors;
mod merge;
mod openapi;
mod reply;
mod request;
mod route;
mod serve;

/// The transport label of the gateway's acts (metrics, spans).
const TRANSPORT: &str = "gateway";

pub use serve::Gateway;
