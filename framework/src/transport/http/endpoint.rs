//! The listener's one route: `POST {path}` dispatches an act (or, with `porticus-kind: event`,
//! an event) into the node; every other path or method is a JSON error too.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::connection::Respond;
use super::wire::{
    status_of, Kind, CALLER, KIND, METHOD_NOT_ALLOWED, REQUEST_TIMEOUT, SENECA_ACCEPT, SENECA_ID,
    SENECA_KIND, SENECA_ORIGIN, TIMEOUT_MS, TRACEPARENT,
};
use crate::error::{ActError, Code};
use crate::message::Meta;
use crate::metrics::http::{self, Limit};
use crate::node::Node;
use crate::transport::Inbound;

/// What the routes need: the node, the path and the request limits.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) node: Node,
    pub(crate) path: String,
    pub(crate) max_body: usize,
    pub(crate) body_timeout: Duration,
    /// One permit per request being handled; none left → 503 `overloaded`.
    pub(crate) requests: Arc<Semaphore>,
    /// The number of permits `requests` started with.
    pub(crate) max_requests: usize,
    /// The longest deadline a caller may ask for.
    pub(crate) max_timeout: Duration,
}

/// Answers one request: `POST {path}` carries an act or an event; another method on the path,
/// or another path, is an error naming what is served. (One path and one method need no
/// router.)
pub(crate) async fn respond(endpoint: &Endpoint, request: Request) -> Response {
    if request.uri().path() != endpoint.path {
        return wrong_path(endpoint, &request);
    }
    if request.method() != Method::POST {
        return wrong_method(endpoint, &request);
    }
    match handle(endpoint, request).await {
        Ok(response) => response,
        Err(err) => error_response(&err),
    }
}

/// The request headers every response echoes: `seneca-id` and `seneca-origin`, without which a
/// Seneca client drops the reply.
#[derive(Debug, Default)]
pub(crate) struct Echo([Option<HeaderValue>; 2]);

const ECHOED: [axum::http::HeaderName; 2] = [SENECA_ID, SENECA_ORIGIN];

impl Echo {
    /// Takes the echoed headers of a request.
    pub(crate) fn of(request: &HeaderMap) -> Self {
        Echo(ECHOED.map(|name| request.get(name).cloned()))
    }

    /// Adds the `seneca-*` response headers: the request's echoed ones, `seneca-kind: res`, and
    /// `seneca-accept` (the instance that answered).
    pub(crate) fn apply(self, response: &mut Response, accept: &HeaderValue) {
        let headers = response.headers_mut();
        for (name, value) in ECHOED.into_iter().zip(self.0) {
            if let Some(value) = value {
                headers.insert(name, value);
            }
        }
        headers.insert(SENECA_KIND, HeaderValue::from_static("res"));
        headers.insert(SENECA_ACCEPT, accept.clone());
    }
}

/// The transport's endpoint as what answers a connection: [`respond`], with the `seneca-*`
/// response headers.
pub(crate) struct Acts {
    pub(crate) endpoint: Arc<Endpoint>,
    /// `seneca-accept`: this node's instance.
    pub(crate) accept: HeaderValue,
}

impl Respond for Acts {
    fn respond(
        &self,
        request: Request,
    ) -> impl std::future::Future<Output = Response> + Send + use<> {
        let echo = Echo::of(request.headers());
        let accept = self.accept.clone();
        let endpoint = self.endpoint.clone();
        async move {
            let mut response = respond(&endpoint, request).await;
            echo.apply(&mut response, &accept);
            response
        }
    }
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    // Room for every response header at once (`Echo::apply` adds four): no regrowth.
    let headers = response.headers_mut();
    headers.reserve(8);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The response for an error: its status, and the [`ActError`] as the JSON body.
pub(crate) fn error_response(err: &ActError) -> Response {
    let body = serde_json::to_vec(err).unwrap_or_else(|_| b"{}".to_vec());
    json(status_of(err.code()), body)
}

fn reply(value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    json(StatusCode::OK, body)
}

async fn handle(endpoint: &Endpoint, request: Request) -> Result<Response, ActError> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let kind = Kind::of(header_str(headers, &KIND)?)?;
    // The deadline counts from the arrival of the headers: reading the body uses it up too.
    let meta = inbound_meta(endpoint, headers)?;
    let bytes = read_body(endpoint, headers, body).await?;
    let mut msg: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ActError::invalid_msg(format!("the request body is not valid JSON: {e}"))
            .with_details(serde_json::json!({ "line": e.line(), "column": e.column() }))
    })?;
    if headers.contains_key(SENECA_ID) {
        // As in Seneca, the header's id wins over an `id$` in the body.
        if let Value::Object(map) = &mut msg {
            map.remove("id$");
        }
    }
    // A request slot is taken only once the body is in: a client trickling its body holds a
    // connection (bounded by max_connections and body_read_timeout_ms), never a slot.
    let Ok(_permit) = endpoint.requests.clone().try_acquire_owned() else {
        http::refused(Limit::MaxConcurrentRequests);
        return Err(ActError::new(
            Code::OVERLOADED,
            format!(
                "the listener is handling its maximum of {} requests at once (max_concurrent_requests); retry later",
                endpoint.max_requests
            ),
        ));
    };
    match kind {
        Kind::Act => match endpoint.node.act_from(msg, meta).await {
            Ok(value) => Ok(reply(&value)),
            Err(err) => Err(err),
        },
        Kind::Event => {
            endpoint.node.emit_from(msg, meta)?;
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::ACCEPTED;
            Ok(response)
        }
    }
}

fn header_str<'a>(
    headers: &'a HeaderMap,
    name: &axum::http::HeaderName,
) -> Result<Option<&'a str>, ActError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| ActError::invalid_msg(format!("header `{name}` is not visible ASCII")))
        })
        .transpose()
}

/// The meta of the request: `seneca-id`, the deadline from `porticus-timeout-ms` (else the
/// node's default; at most `max_request_timeout_ms`), `traceparent` (a new one when it has
/// none), `seneca-origin` and `porticus-caller`.
fn inbound_meta(endpoint: &Endpoint, headers: &HeaderMap) -> Result<Meta, ActError> {
    let timeout = match header_str(headers, &TIMEOUT_MS)? {
        None => endpoint.node.default_timeout(),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                ActError::invalid_msg(format!(
                "header `porticus-timeout-ms` must be a whole number of milliseconds, got `{text}`"
            ))
            })?,
    };
    Ok(Inbound {
        id: header_str(headers, &SENECA_ID)?,
        timeout: Some(timeout.min(endpoint.max_timeout)),
        origin: header_str(headers, &SENECA_ORIGIN)?,
        traceparent: header_str(headers, &TRACEPARENT)?,
        caller: header_str(headers, &CALLER)?,
        transport: Some(super::TRANSPORT),
        ..Inbound::default()
    }
    .meta(endpoint.node.default_timeout()))
}

fn too_large(limit: usize) -> ActError {
    http::refused(Limit::MaxBodyBytes);
    ActError::new(
        Code::PAYLOAD_TOO_LARGE,
        format!("the request body exceeds the limit of {limit} bytes (max_body_bytes)"),
    )
    .with_details(serde_json::json!({ "limit": limit }))
}

/// Reads the whole body, at most `max_body` bytes, within `body_timeout`. Any content type
/// is taken as JSON (`curl -d` sends a form type).
async fn read_body(
    endpoint: &Endpoint,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, ActError> {
    let limit = endpoint.max_body;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    let collect = async {
        let mut out = Vec::with_capacity(declared.map_or(0, |len| len as usize));
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                tracing::debug!(error = %e, "request body could not be read");
                ActError::invalid_msg(format!("the request body could not be read: {e}"))
            })?;
            if out.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    };
    // A small body usually came with the headers: no timer for it.
    let mut collect = std::pin::pin!(collect);
    let first = std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::future::Future::poll(collect.as_mut(), cx))
    })
    .await;
    if let std::task::Poll::Ready(result) = first {
        return result;
    }
    match tokio::time::timeout(endpoint.body_timeout, collect).await {
        Ok(result) => result,
        Err(_) => Err({
            http::refused(Limit::BodyReadTimeout);
            ActError::new(
                REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} ms (body_read_timeout_ms)",
                    endpoint.body_timeout.as_millis()
                ),
            )
        }),
    }
}

fn wrong_method(endpoint: &Endpoint, request: &Request) -> Response {
    let err = ActError::new(
        METHOD_NOT_ALLOWED,
        format!(
            "{} is not allowed on {}; acts are sent with POST",
            request.method(),
            endpoint.path
        ),
    );
    let mut response = error_response(&err);
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST"));
    response
}

fn wrong_path(endpoint: &Endpoint, request: &Request) -> Response {
    let path = request.uri().path();
    let shown: String = path.chars().take(200).collect();
    error_response(
        &ActError::new(
            Code::NO_ROUTE,
            format!(
                "nothing is served at {shown}; acts are posted to {}",
                endpoint.path
            ),
        )
        .with_details(serde_json::json!({ "path": shown })),
    )
}
