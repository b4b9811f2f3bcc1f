//! [`Gateway`]: the checked routes, served on axum through the HTTP listener's connection loop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, on, MethodFilter, MethodRouter};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use tokio::task::JoinHandle;
use tower_http::cors::CorsLayer;

use super::allow::Allow;
use super::auth::{Auth, FORBIDDEN, UNAUTHORIZED};
use super::merge::{self, Deadline};
use super::reply::{self, Failure, Statuses};
use super::route::{self, Route};
use super::{cors, openapi};
use crate::config::{Config, GatewayConfig};
use crate::error::{ActError, Code, Error, ErrorKind};
use crate::transport::http::{Limits, Respond};
use crate::transport::Inbound;
use crate::Node;

/// REST routes mapped to patterns: built from `[[route]]` and `[gateway]`, served as an axum
/// router on a node. Cheap to clone.
///
/// ```
/// use porticus::config::Config;
/// use porticus::gateway::Gateway;
///
/// let config = Config::from_toml_str(r#"
///     [[route]]
///     method = "GET"
///     path = "/orders/{id}"
///     pattern = "role:order,cmd:get"
/// "#)?;
/// let gateway = Gateway::from_config(&config)?;
/// assert_eq!(gateway.routes(), ["GET /orders/{id}"]);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Gateway {
    shared: Arc<Shared>,
    bind: String,
}

/// What every request reads.
#[derive(Debug)]
struct Shared {
    routes: Vec<Route>,
    statuses: Statuses,
    max_body_bytes: usize,
    body_timeout: Duration,
    timeout_cap: Duration,
    auth: Option<Auth>,
    /// The OpenAPI document and where it is served, unless switched off.
    openapi: Value,
    openapi_path: Option<String>,
    cors: Option<CorsLayer>,
    limits: Limits,
    max_connections: usize,
}

impl Gateway {
    /// The gateway of `config`: its `[[route]]`s and `[gateway]` table, checked.
    ///
    /// ```
    /// use porticus::config::Config;
    /// use porticus::gateway::Gateway;
    ///
    /// let config = Config::from_toml_str(r#"
    ///     [[route]]
    ///     method = "FETCH"
    ///     path = "/orders"
    ///     pattern = "role:order,cmd:list"
    /// "#)?;
    /// let err = Gateway::from_config(&config).unwrap_err();
    /// assert!(err.to_string().starts_with("[[route]] 1 (FETCH /orders): `method` must be"), "{err}");
    /// # Ok::<_, porticus::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Config`] naming each faulty route (method, path, pattern, status,
    /// duplicates) and each `[gateway] errors` status out of 400–599.
    pub fn from_config(config: &Config) -> Result<Gateway, Error> {
        let gateway = &config.gateway;
        let mut faults = Vec::new();
        let routes = route::parse_all(&config.route)
            .map_err(|e| faults.push(e.to_string()))
            .unwrap_or_default();
        let statuses = Statuses::new(&gateway.errors)
            .map_err(|e| faults.push(e))
            .unwrap_or_default();
        let auth = gateway
            .auth
            .as_deref()
            .and_then(|text| Auth::new(text).map_err(|e| faults.push(e)).ok());
        if gateway.auth.is_none() {
            for (i, route) in config.route.iter().enumerate() {
                if route.allow.is_some() {
                    faults.push(format!(
                        "[[route]] {} ({} {}): `allow` needs `[gateway] auth`, the action that tells who the caller is",
                        i + 1,
                        route.method,
                        route.path
                    ));
                }
            }
        }
        let methods: Vec<_> = routes.iter().map(|r| r.method.clone()).collect();
        let cors = gateway
            .cors
            .as_ref()
            .and_then(|c| cors::layer(c, &methods).map_err(|e| faults.push(e)).ok());
        let openapi_path = openapi_path(gateway, &routes)
            .map_err(|e| faults.push(e))
            .ok()
            .flatten();
        limits_checked(gateway, &mut faults);
        if !faults.is_empty() {
            return Err(Error::new(ErrorKind::Config, faults.join("; ")));
        }
        let openapi = openapi::document(&openapi::Source {
            title: &config.service.name,
            version: &gateway.api_version,
            routes: &routes,
            statuses: &statuses,
            auth: auth.as_ref(),
        });
        let ms = Duration::from_millis;
        Ok(Gateway {
            shared: Arc::new(Shared {
                routes,
                statuses,
                max_body_bytes: gateway.max_body_bytes,
                body_timeout: ms(gateway.body_read_timeout_ms),
                timeout_cap: ms(gateway.timeout_ms),
                auth,
                openapi,
                openapi_path,
                cors,
                limits: Limits {
                    header_read: ms(gateway.header_read_timeout_ms),
                    keep_alive_idle: ms(gateway.keep_alive_idle_ms),
                    max_age: ms(gateway.connection_max_age_ms),
                    drain: ms(gateway.drain_timeout_ms),
                    metered: false,
                },
                max_connections: gateway.max_connections,
            }),
            bind: gateway.bind.clone(),
        })
    }

    /// The OpenAPI 3.1 document of the routes: their paths, path parameters, methods,
    /// summaries, success statuses and error responses (the [`ActError`] schema), and the
    /// security scheme of `[gateway] auth` when it is set. Served at `[gateway] openapi`.
    ///
    /// ```
    /// use porticus::{config::Config, gateway::Gateway};
    ///
    /// let config = Config::from_toml_str(r#"
    ///     [[route]]
    ///     method = "GET"
    ///     path = "/orders/{id}"
    ///     pattern = "role:order,cmd:get"
    ///     summary = "one order"
    /// "#)?;
    /// let doc = Gateway::from_config(&config)?.openapi();
    /// assert_eq!(doc["openapi"], "3.1.0");
    /// let get = &doc["paths"]["/orders/{id}"]["get"];
    /// assert_eq!(get["summary"], "one order");
    /// assert_eq!(get["parameters"][0]["name"], "id");
    /// assert!(get["responses"]["200"].is_object());
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn openapi(&self) -> Value {
        self.shared.openapi.clone()
    }

    /// The same gateway, binding `addr` instead of `[gateway] bind` in [`start`](Self::start).
    ///
    /// ```
    /// use porticus::{config::Config, gateway::Gateway};
    ///
    /// let gateway = Gateway::from_config(&Config::default())?.bind("127.0.0.1:0");
    /// assert!(gateway.routes().is_empty());
    /// # Ok::<_, porticus::Error>(())
    /// ```
    #[must_use]
    pub fn bind(mut self, addr: impl Into<String>) -> Self {
        self.bind = addr.into();
        self
    }

    /// The routes, `METHOD /path`, in the order configured.
    ///
    /// ```
    /// use porticus::{config::Config, gateway::Gateway};
    ///
    /// let config = Config::from_toml_str(
    ///     "[[route]]\nmethod = \"post\"\npath = \"/orders\"\npattern = \"role:order,cmd:place\"",
    /// )?;
    /// assert_eq!(Gateway::from_config(&config)?.routes(), ["POST /orders"]);
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn routes(&self) -> Vec<String> {
        self.shared.routes.iter().map(Route::name).collect()
    }

    /// The routes as an axum router acting through `node`, for an application to mount in
    /// its own (`Router::nest`, or `merge` into a router without a fallback of its own: this
    /// one answers unknown paths 404 `no_route`). It serves the OpenAPI document too, and
    /// answers CORS requests when `[gateway.cors]` is set.
    ///
    /// ```
    /// use porticus::{config::Config, gateway::Gateway, Node};
    ///
    /// let config = Config::from_toml_str(
    ///     "[[route]]\nmethod = \"GET\"\npath = \"/orders/{id}\"\npattern = \"role:order,cmd:get\"",
    /// )?;
    /// let node = Node::builder().without_registered().build()?;
    /// let app = axum::Router::new().nest("/api", Gateway::from_config(&config)?.router(node));
    /// # let _ = app;
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn router(&self, node: Node) -> Router {
        let mut router = Router::new();
        let mut paths: Vec<&str> = Vec::new();
        for route in &self.shared.routes {
            if !paths.contains(&route.path.as_str()) {
                paths.push(&route.path);
            }
        }
        for path in paths {
            let mut methods: Option<MethodRouter> = None;
            let mut allow = Vec::new();
            for (index, route) in self.shared.routes.iter().enumerate() {
                if route.path != path {
                    continue;
                }
                allow.push(route.method.to_string());
                let filter = MethodFilter::try_from(route.method.clone())
                    .expect("a route's method is one of the five checked");
                let (shared, node) = (self.shared.clone(), node.clone());
                let handler = move |params: Result<Path<Vec<(String, String)>>, PathRejection>,
                                    request: Request| {
                    let (shared, node) = (shared.clone(), node.clone());
                    async move { handle(&shared, &shared.routes[index], &node, params, request).await }
                };
                methods = Some(match methods {
                    None => on(filter, handler),
                    Some(m) => m.on(filter, handler),
                });
            }
            let allow = allow.join(", ");
            let methods = methods.expect("a path comes from a route").fallback(
                move |request: Request| async move {
                    reply::method_not_allowed(
                        request.method().as_str(),
                        request.uri().path(),
                        &allow,
                    )
                },
            );
            router = router.route(path, methods);
        }
        if let Some(path) = &self.shared.openapi_path {
            let shared = self.shared.clone();
            router = router.route(
                path,
                get(move || async move { reply::json(StatusCode::OK, &shared.openapi) }),
            );
        }
        let router = router.fallback(|request: Request| async move {
            reply::no_route(request.method().as_str(), request.uri().path())
        });
        match &self.shared.cors {
            Some(cors) => router.layer(cors.clone()),
            None => router,
        }
    }

    /// Binds [`bind`](Self::bind) (`[gateway] bind`) and serves the routes on `node` until
    /// the node closes; returns the bound address and the serving task, which ends once the
    /// requests in flight are answered (within `[gateway] drain_timeout_ms`). Connections are
    /// served as the HTTP transport's listener serves them: at most `max_connections` at
    /// once, with its header-read, idle and age deadlines (`[gateway]` keys of those names).
    ///
    /// ```
    /// use porticus::{config::Config, gateway::Gateway, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let node = Node::builder().without_registered().build()?;
    /// let gateway = Gateway::from_config(&Config::default())?.bind("127.0.0.1:0");
    /// let (addr, task) = gateway.start(node.clone()).await?;
    /// assert!(addr.port() != 0);
    /// node.close();
    /// task.await.expect("the gateway stops when the node closes");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when the address cannot be bound.
    pub async fn start(&self, node: Node) -> Result<(SocketAddr, JoinHandle<()>), Error> {
        let bound = |e: std::io::Error| {
            Error::new(
                ErrorKind::Transport,
                format!("the gateway cannot bind `{}`", self.bind),
            )
            .with_source(e)
        };
        let listener = tokio::net::TcpListener::bind(&self.bind)
            .await
            .map_err(bound)?;
        let addr = listener.local_addr().map_err(bound)?;
        let serving = crate::transport::http::Serving {
            listener,
            address: addr,
            limits: Arc::new(self.shared.limits.clone()),
            max_connections: self.shared.max_connections,
            respond: Arc::new(Routes(self.router(node.clone()))),
            name: "gateway",
        };
        tracing::info!(address = %addr, routes = self.shared.routes.len(), "gateway listening");
        let task = tokio::spawn(crate::transport::http::serve_connections(serving, node));
        Ok((addr, task))
    }
}

async fn handle(
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
    let mut meta = Inbound {
        traceparent: parts
            .headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
        transport: Some(super::TRANSPORT),
        ..Inbound::default()
    }
    .meta(node.default_timeout());
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
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
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
    identity: Option<&serde_json::Map<String, Value>>,
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

/// The routes as what answers the HTTP listener's connections.
struct Routes(Router);

impl Respond for Routes {
    fn respond(
        &self,
        request: Request,
    ) -> impl std::future::Future<Output = Response> + Send + use<> {
        let mut router = self.0.clone();
        async move {
            match tower_service::Service::call(&mut router, request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    }
}

/// `[gateway] openapi`: `""` for none, else a plain path no route has.
fn openapi_path(gateway: &GatewayConfig, routes: &[Route]) -> Result<Option<String>, String> {
    let path = gateway.openapi.trim();
    if path.is_empty() {
        return Ok(None);
    }
    if !path.starts_with('/') || path.contains(['{', '}', '?', '#', ' ', '*']) {
        return Err(format!(
            "[gateway] openapi must be a plain path starting with `/` (or \"\" for none), got `{path}`"
        ));
    }
    if let Some(route) = routes.iter().find(|r| r.path == path) {
        return Err(format!(
            "[gateway] openapi `{path}` is also the path of the route `{}`; choose another (or \"\" for none)",
            route.name()
        ));
    }
    Ok(Some(path.to_owned()))
}

/// Every limit of `[gateway]` must be greater than 0.
fn limits_checked(gateway: &GatewayConfig, faults: &mut Vec<String>) {
    for (key, value) in [
        ("max_body_bytes", gateway.max_body_bytes as u64),
        ("timeout_ms", gateway.timeout_ms),
        ("max_connections", gateway.max_connections as u64),
        ("header_read_timeout_ms", gateway.header_read_timeout_ms),
        ("body_read_timeout_ms", gateway.body_read_timeout_ms),
        ("keep_alive_idle_ms", gateway.keep_alive_idle_ms),
        ("connection_max_age_ms", gateway.connection_max_age_ms),
        ("drain_timeout_ms", gateway.drain_timeout_ms),
    ] {
        if value == 0 {
            faults.push(format!("[gateway] {key} must be greater than 0"));
        }
    }
}
