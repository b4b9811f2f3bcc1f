//! One request to a route: the auth hook, the allow-list, the body (within its limit and
//! read timeout), the merged message, and the act with the caller's identity in its meta.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};

use super::allow::Allow;
use super::auth::{FORBIDDEN, UNAUTHORIZED};
use super::merge::{self, Deadline};
use super::reply::{self, Failure};
use super::route::Route;
use super::serve::Shared;
use crate::error::{ActError, Code};
use crate::transport::Inbound;
use crate::Meta;
use crate::Node;

pub(super) async fn handle(
    shared: &Shared,
    route: &Route,
    node: &Node,
    params: Result<Path<Vec<(String, String)>>, PathRejection>,
    request: Request,
) -> Response {
    match act(shared, route, node, params, request).await {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

async fn act(
    shared: &Shared,
    route: &Route,
    node: &Node,
    params: Result<Path<Vec<(String, String)>>, PathRejection>,
    request: Request,
) -> Result<Response, Failure> {
    let Path(params) =
        params.map_err(|e| Failure::invalid(format!("the path's parameters: {e}")))?;
    let (parts, body) = request.into_parts();
    let identity = match &shared.auth {
        Some(auth) => auth.identify(node, &parts, &route.name()).await?,
        None => None,
    };
    if let Some(allow) = &route.allow {
        admit(allow, identity.as_ref(), route)?;
    }
    let body = tokio::time::timeout(shared.body_timeout, read(body, shared.max_body_bytes))
        .await
        .map_err(|_| {
            Failure::new(
                StatusCode::REQUEST_TIMEOUT,
                ActError::new(
                    crate::transport::http::REQUEST_TIMEOUT,
                    format!(
                        "the body did not arrive within {} ms (body_read_timeout_ms)",
                        shared.body_timeout.as_millis()
                    ),
                ),
            )
        })??;
    let body = merge::body_fields(parts.headers.get(CONTENT_TYPE), &body)?;
    let query = merge::query_fields(parts.uri.query().unwrap_or_default());
    let deadline = Deadline {
        default: node.default_timeout(),
        cap: shared.timeout_cap,
    };
    let msg = merge::message(query, body, params, &route.fields, &deadline)?;
    let mut meta = meta(node, &parts);
    if let Some(identity) = identity {
        meta.set_caller(identity);
    }
    match node.act_from(msg, meta).await {
        Ok(reply) => Ok(reply::json(route.status, &reply)),
        Err(err) => Err(Failure::new(shared.statuses.of(err.code()), err)),
    }
}

/// The body, at most `limit` bytes (413 above).
async fn read(body: Body, limit: usize) -> Result<bytes::Bytes, Failure> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ActError::new(
                Code::PAYLOAD_TOO_LARGE,
                format!("the body is over the gateway's limit of {limit} bytes"),
            ),
        )),
        Err(e) => Err(Failure::invalid(format!("the body could not be read: {e}"))),
    }
}

/// 401 without an identity, 403 with one the route's `allow` does not admit.
fn admit(
    allow: &Allow,
    identity: Option<&Map<String, Value>>,
    route: &Route,
) -> Result<(), Failure> {
    match identity {
        None => Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            ActError::new(
                UNAUTHORIZED,
                format!("`{}` needs an authenticated caller", route.name()),
            ),
        )),
        Some(identity) if !allow.admits(identity) => Err(Failure::new(
            StatusCode::FORBIDDEN,
            ActError::new(
                FORBIDDEN,
                format!("the caller may not call `{}`", route.name()),
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// The meta of an act made for a request: the gateway's transport, in the trace of the
/// request's `traceparent` if it has one.
pub(super) fn meta(node: &Node, parts: &Parts) -> Meta {
    Inbound {
        traceparent: parts
            .headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
        transport: Some(super::TRANSPORT),
        ..Inbound::default()
    }
    .meta(node.default_timeout())
}
