//! The OpenAPI 3.1 document of the routes: paths, path parameters, methods, summaries,
//! success statuses, error responses with the `ActError` schema, and the security scheme of
//! the authentication hook.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::auth::Auth;
use super::reply::Statuses;
use super::route::Route;

/// What the document is built from.
pub(crate) struct Source<'a> {
    pub(crate) title: &'a str,
    pub(crate) version: &'a str,
    pub(crate) routes: &'a [Route],
    pub(crate) statuses: &'a Statuses,
    pub(crate) auth: Option<&'a Auth>,
}

/// The name of the security scheme of `[gateway] auth`.
const SCHEME: &str = "caller";

/// Builds the document.
pub(crate) fn document(source: &Source<'_>) -> Value {
    let mut paths = Map::new();
    let mut ids = BTreeSet::new();
    for route in source.routes {
        let item = paths
            .entry(route.path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(
                route.method.as_str().to_ascii_lowercase(),
                operation(source, route, &mut ids),
            );
        }
    }
    let mut components = json!({
        "schemas": {
            "ActError": {
                "type": "object",
                "description": "An act's error, as every Porticus transport carries it.",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "a machine-readable code: `act_not_found`, `act_invalid_msg`, `action_timeout`, or the handler's own"},
                    "message": {"type": "string", "description": "what went wrong, for people"},
                    "details": {"description": "structured details, when the error has any"}
                }
            }
        },
        "responses": {
            "Error": {
                "description": "the act, or the gateway, failed",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActError"}}}
            }
        }
    });
    if let Some(auth) = source.auth {
        components["securitySchemes"] = json!({
            SCHEME: {
                "type": "apiKey",
                "in": "header",
                "name": "authorization",
                "description": format!(
                    "The gateway acts `{}` with the request's headers; its reply is the caller's identity.",
                    auth.pattern
                )
            }
        });
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": source.title, "version": source.version},
        "paths": paths,
        "components": components,
    })
}

fn operation(source: &Source<'_>, route: &Route, ids: &mut BTreeSet<String>) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), Value::from(operation_id(route, ids)));
    if let Some(summary) = &route.summary {
        op.insert("summary".into(), Value::from(summary.as_str()));
    }
    let pattern = crate::pattern::Pattern::from_map(&route.fields)
        .map(|p| p.to_string())
        .unwrap_or_default();
    op.insert(
        "description".into(),
        Value::from(format!("Acts `{pattern}`.")),
    );
    let params: Vec<Value> = route
        .params()
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    let takes_body = [Method::POST, Method::PUT, Method::PATCH].contains(&route.method);
    if takes_body {
        op.insert(
            "requestBody".into(),
            json!({
                "required": false,
                "description": "its fields join the message (path parameters and the pattern win over them)",
                "content": {"application/json": {"schema": {"type": "object"}}}
            }),
        );
    }
    let mut responses = Map::new();
    let success = if route.status == StatusCode::NO_CONTENT {
        json!({"description": "done"})
    } else {
        json!({"description": "the act's reply", "content": {"application/json": {"schema": {}}}})
    };
    responses.insert(route.status.as_u16().to_string(), success);
    let error = || json!({"$ref": "#/components/responses/Error"});
    let mut codes: BTreeSet<u16> = BTreeSet::from([400, 500, 504]);
    if takes_body {
        codes.extend([413, 415]);
    }
    if source.auth.is_some() {
        codes.extend([401, 403]);
    }
    codes.extend(source.statuses.configured().map(|s| s.as_u16()));
    for code in codes {
        responses.insert(code.to_string(), error());
    }
    responses.insert("default".into(), error());
    op.insert("responses".into(), Value::Object(responses));
    if source.auth.is_some() {
        let needed = json!({ SCHEME: [] });
        let security = if route.allow.is_some() {
            json!([needed])
        } else {
            json!([{}, needed])
        };
        op.insert("security".into(), security);
    }
    Value::Object(op)
}

/// `get_orders_id` for `GET /orders/{id}`, made unique with a number when two routes spell
/// alike.
fn operation_id(route: &Route, ids: &mut BTreeSet<String>) -> String {
    let mut base = route.method.as_str().to_ascii_lowercase();
    for part in route.path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !part.is_empty() {
            base.push('_');
            base.push_str(part);
        }
    }
    let mut id = base.clone();
    let mut n = 2;
    while !ids.insert(id.clone()) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}
