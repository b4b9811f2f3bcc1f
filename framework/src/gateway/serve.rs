//! [`Gateway`]: the checked routes, served on axum.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::task::JoinHandle;

use super::merge::{self, Deadline};
use super::reply::{self, Failure, Statuses};
use super::route::{self, Route};
use crate::config::Config;
use crate::error::{ActError, Code, Error, ErrorKind};
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
    timeout_cap: Duration,
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
        let routes = route::parse_all(&config.route);
        let statuses =
            Statuses::new(&config.gateway.errors).map_err(|e| Error::new(ErrorKind::Config, e));
        let (routes, statuses) = match (routes, statuses) {
            (Ok(r), Ok(s)) => (r, s),
            (Err(a), Err(b)) => return Err(Error::new(ErrorKind::Config, format!("{a}; {b}"))),
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        Ok(Gateway {
            shared: Arc::new(Shared {
                routes,
                statuses,
                max_body_bytes: config.gateway.max_body_bytes,
                timeout_cap: Duration::from_millis(config.gateway.timeout_ms),
            }),
            bind: config.gateway.bind.clone(),
        })
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
    /// one answers unknown paths 404 `no_route`).
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
        router.fallback(|request: Request| async move {
            reply::no_route(request.method().as_str(), request.uri().path())
        })
    }

    /// Binds [`bind`](Self::bind) (`[gateway] bind`) and serves the routes on `node` until
    /// the node closes; returns the bound address and the serving task, which ends once the
    /// requests in flight are answered.
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
        let app = self.router(node.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app)
                .with_graceful_shutdown(async move { node.closed().await });
            if let Err(err) = serve.await {
                tracing::error!(error = %err, "the gateway stopped");
            }
        });
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
    let body = read(body, shared.max_body_bytes).await?;
    let body = merge::body_fields(parts.headers.get(CONTENT_TYPE), &body)?;
    let query = merge::query_fields(parts.uri.query().unwrap_or_default());
    let deadline = Deadline {
        default: node.default_timeout(),
        cap: shared.timeout_cap,
    };
    let msg = merge::message(query, body, params, &route.fields, &deadline)?;
    match node.act(msg).await {
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
