//! The gateway: the shop's public HTTP API, acting into the system through a Porticus node.
//!
//! | route | acts |
//! |---|---|
//! | `POST /orders` (JSON `{customer, card, items:[{sku, qty, price_cents}]}`) | `role:order,cmd:place` |
//! | `GET /orders/{id}` | `role:order,cmd:get` |
//! | `POST /orders/{id}/ship` | `role:order,cmd:ship` |
//!
//! Errors come back as the Porticus error JSON (`{code, message, details}`) with a status that
//! fits the code: `card_declined` → 402, `order_not_found` → 404, `act_invalid_msg` → 400, …

use std::net::SocketAddr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use porticus::{ActError, Node};
use serde_json::{json, Value};

/// The gateway's routes, acting through `node`.
pub fn router(node: Node) -> Router {
    Router::new()
        .route("/orders", post(place))
        .route("/orders/{id}", get(fetch))
        .route("/orders/{id}/ship", post(ship))
        .with_state(node)
}

/// Binds `bind` and serves the gateway until `node` closes; returns the bound address.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start(
    node: Node,
    bind: &str,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let closed = node.clone();
    let app = router(node);
    let task = tokio::spawn(async move {
        let serve =
            axum::serve(listener, app).with_graceful_shutdown(async move { closed.closed().await });
        if let Err(err) = serve.await {
            tracing::error!(error = %err, "gateway stopped");
        }
    });
    Ok((addr, task))
}

struct Failure(ActError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = match self.0.code().as_str() {
            "card_declined" => StatusCode::PAYMENT_REQUIRED,
            "order_not_found" | "act_not_found" => StatusCode::NOT_FOUND,
            "act_invalid_msg" => StatusCode::BAD_REQUEST,
            "action_timeout" => StatusCode::GATEWAY_TIMEOUT,
            "transport_unavailable" | "no_route" | "overloaded" | "closed" => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!(self.0))).into_response()
    }
}

type Reply = Result<(StatusCode, Json<Value>), Failure>;

async fn place(State(node): State<Node>, Json(order): Json<Value>) -> Reply {
    let placed: Value = node
        .act_as("role:order,cmd:place", order)
        .await
        .map_err(Failure)?;
    Ok((StatusCode::CREATED, Json(placed)))
}

async fn fetch(State(node): State<Node>, Path(id): Path<String>) -> Reply {
    let order: Value = node
        .act_as("role:order,cmd:get", json!({ "id": id }))
        .await
        .map_err(Failure)?;
    Ok((StatusCode::OK, Json(order)))
}

async fn ship(State(node): State<Node>, Path(id): Path<String>) -> Reply {
    let order: Value = node
        .act_as("role:order,cmd:ship", json!({ "id": id }))
        .await
        .map_err(Failure)?;
    Ok((StatusCode::OK, Json(order)))
}
