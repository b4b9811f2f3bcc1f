//! [`Gateway`]: the checked routes, served on axum through the HTTP listener's connection loop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, on, MethodFilter, MethodRouter};
use axum::Router;
use serde_json::Value;
use tokio::task::JoinHandle;
use tower_http::cors::CorsLayer;

use super::auth::Auth;
use super::reply::{self, Statuses};
use super::route::{self, Route};
use super::{cors, openapi, request};
use crate::config::{Config, GatewayConfig};
use crate::error::{Error, ErrorKind};
use crate::transport::http::{server_tls, Limits, Respond, ServerTls};
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
pub(super) struct Shared {
    pub(super) routes: Vec<Route>,
    pub(super) statuses: Statuses,
    pub(super) max_body_bytes: usize,
    pub(super) body_timeout: Duration,
    pub(super) timeout_cap: Duration,
    pub(super) auth: Option<Auth>,
    /// The OpenAPI document and where it is served, unless switched off.
    pub(super) openapi: Value,
    pub(super) openapi_path: Option<String>,
    pub(super) cors: Option<CorsLayer>,
    pub(super) limits: Limits,
    pub(super) max_connections: usize,
    /// The certificate, when the gateway serves `https`.
    pub(super) tls: Option<Arc<ServerTls>>,
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
    /// duplicates), each `[gateway] errors` status out of 400–599, and a `tls_cert_file` or
    /// `tls_key_file` that cannot be used (naming the file; `https` needs its feature).
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
        let tls = server_tls(&gateway.tls_cert_file, &gateway.tls_key_file, "[gateway]")
            .map_err(|e| faults.push(e.to_string()))
            .ok()
            .flatten();
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
                tls,
            }),
            bind: gateway.bind.clone(),
        })
    }

    /// The OpenAPI 3.1 document of the routes: their paths, path parameters, methods,
    /// summaries, success statuses and error responses (the [`ActError`](crate::ActError) schema), and the
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
                    async move {
                        request::handle(&shared, &shared.routes[index], &node, params, request)
                            .await
                    }
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
            tls: self.shared.tls.clone(),
        };
        tracing::info!(
            address = %addr,
            routes = self.shared.routes.len(),
            https = self.shared.tls.is_some(),
            "gateway listening"
        );
        let task = tokio::spawn(crate::transport::http::serve_connections(serving, node));
        Ok((addr, task))
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
