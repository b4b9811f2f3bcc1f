//! What the gateway answers: the act's reply with the route's status, or the [`ActError`] JSON
//! with the status its code maps to.

use std::collections::BTreeMap;
use std::fmt;

use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::{FORBIDDEN, UNAUTHORIZED};
use crate::error::{ActError, Code};
use crate::transport::http::status_of;

/// An error answered with a status.
#[derive(Debug)]
pub(crate) struct Failure {
    status: StatusCode,
    error: ActError,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, error: ActError) -> Self {
        Failure { status, error }
    }

    /// A 400 `act_invalid_msg`.
    pub(crate) fn invalid(message: String) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, ActError::invalid_msg(message))
    }

    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.error)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        json(
            self.status,
            &serde_json::to_value(&self.error).unwrap_or(Value::Null),
        )
    }
}

/// The status of each error code: the configured ones over the HTTP transport's.
#[derive(Debug, Default)]
pub(crate) struct Statuses {
    configured: BTreeMap<String, StatusCode>,
}

impl Statuses {
    /// Checks `[gateway] errors`: every status 400–599.
    pub(crate) fn new(errors: &BTreeMap<String, u16>) -> Result<Self, String> {
        let mut faults = Vec::new();
        let mut configured = BTreeMap::new();
        for (code, status) in errors {
            match StatusCode::from_u16(*status)
                .ok()
                .filter(|s| s.is_client_error() || s.is_server_error())
            {
                Some(s) if !code.trim().is_empty() => {
                    configured.insert(code.clone(), s);
                }
                Some(_) => faults.push("[gateway] errors: an empty code".to_owned()),
                None => faults.push(format!(
                    "[gateway] errors.{code}: the status must be 400–599, got {status}"
                )),
            }
        }
        if faults.is_empty() {
            Ok(Statuses { configured })
        } else {
            Err(faults.join("; "))
        }
    }

    /// The status of `code`: configured, else 401 `unauthorized`, 403 `forbidden`, else the
    /// HTTP transport's.
    pub(crate) fn of(&self, code: &Code) -> StatusCode {
        if let Some(status) = self.configured.get(code.as_str()) {
            return *status;
        }
        if *code == UNAUTHORIZED {
            StatusCode::UNAUTHORIZED
        } else if *code == FORBIDDEN {
            StatusCode::FORBIDDEN
        } else {
            status_of(code)
        }
    }

    /// The configured statuses.
    pub(crate) fn configured(&self) -> impl Iterator<Item = StatusCode> + '_ {
        self.configured.values().copied()
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"null".to_vec());
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        bytes,
    )
        .into_response()
}

/// 404 `no_route`: no route has this path.
pub(crate) fn no_route(method: &str, path: &str) -> Response {
    Failure::new(
        StatusCode::NOT_FOUND,
        ActError::new(Code::NO_ROUTE, format!("no route for `{method} {path}`")),
    )
    .into_response()
}

/// 405 `method_not_allowed`, with the methods the path takes in `Allow`.
pub(crate) fn method_not_allowed(method: &str, path: &str, allow: &str) -> Response {
    let mut response = Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ActError::new(
            Code::new("method_not_allowed"),
            format!("`{path}` takes {allow}, not {method}"),
        ),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}
