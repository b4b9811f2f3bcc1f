//! [`Sockets`]: the Socket.IO server of `[socketio]`, fed the node's events and mounted on an
//! axum router.

use std::sync::Arc;

use axum::Router;
use serde_json::Value;
use socketioxide::SocketIo;

use super::connection;
use super::hub::Hub;
use super::settings::Settings;
use crate::config::Config;
use crate::error::{ActError, Error};
use crate::node::NodeBuilder;
use crate::Node;

/// A Socket.IO server built from `[socketio]`: clients act through the node and receive the
/// events they subscribed to. Cheap to clone; clones share their sockets.
///
/// Give the node the events with [`NodeBuilder::sockets`], then serve the sockets on an
/// application's router with [`mount`](Self::mount) (beside the REST gateway, one port), or
/// let [`Node::start`] serve them for a `[[listen]] type = "socketio"`.
///
/// ```
/// use porticus::config::Config;
/// use porticus::socketio::Sockets;
/// use porticus::Node;
///
/// let config = Config::from_toml_str(r#"
///     [socketio]
///     events = ["role:order"]
///     subscribe = ["role:order"]
/// "#)?;
/// let sockets = Sockets::from_config(&config)?;
/// let node = Node::builder().without_registered().config(&config).sockets(&sockets).build()?;
/// assert_eq!(node.subscriptions()[0].to_string(), "role:order");
/// assert_eq!(sockets.connections(), 0);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sockets {
    pub(super) shared: Arc<Shared>,
}

/// What every socket's handlers read.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) hub: Hub,
}

impl Sockets {
    /// The sockets of `config`'s `[socketio]` table, checked.
    ///
    /// ```
    /// use porticus::config::Config;
    /// use porticus::socketio::Sockets;
    ///
    /// let config = Config::from_toml_str("[socketio]\nact = [\"role:\"]\nmax_buffered = 0")?;
    /// let err = Sockets::from_config(&config).unwrap_err().to_string();
    /// assert!(err.contains("`act` holds a malformed pattern `role:`"), "{err}");
    /// assert!(err.contains("`max_buffered` must be greater than 0"), "{err}");
    /// # Ok::<_, porticus::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) naming every malformed pattern
    /// (`events`, `act`, `subscribe`, `authorizer`), overlapping `events`, a bad `path` and
    /// every limit set to 0.
    pub fn from_config(config: &Config) -> Result<Sockets, Error> {
        Ok(Sockets {
            shared: Arc::new(Shared {
                settings: Settings::from_config(&config.socketio)?,
                hub: Hub::default(),
            }),
        })
    }

    /// Sockets connected now (across every router they are mounted on).
    ///
    /// ```
    /// use porticus::{config::Config, socketio::Sockets};
    ///
    /// assert_eq!(Sockets::from_config(&Config::default())?.connections(), 0);
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn connections(&self) -> usize {
        self.shared.hub.len()
    }

    /// Pushes `event` to every connected socket subscribed to a pattern it matches, as the
    /// node does for each event of `[socketio] events` it receives; returns how many sockets
    /// it reached. For events that do not pass through the node.
    ///
    /// ```
    /// use porticus::{config::Config, socketio::Sockets};
    /// use serde_json::json;
    ///
    /// let sockets = Sockets::from_config(&Config::default())?;
    /// assert_eq!(sockets.push(&json!({"role": "order", "event": "shipped"})), 0); // nobody connected
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn push(&self, event: &Value) -> usize {
        self.shared.hub.publish(event)
    }

    /// Serves the sockets on `router` (at `[socketio] path`, `/socket.io` by default), acting
    /// through `node`; other paths reach `router` unchanged — mount the REST gateway's router
    /// and the sockets share its port. Once `node` closes, every socket is disconnected.
    ///
    /// Call it inside a tokio runtime (it starts the task that closes the sockets).
    ///
    /// ```
    /// use porticus::config::Config;
    /// use porticus::gateway::Gateway;
    /// use porticus::socketio::Sockets;
    /// use porticus::Node;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let config = Config::from_toml_str(r#"
    ///     [[route]]
    ///     method = "GET"
    ///     path = "/orders/{id}"
    ///     pattern = "role:order,cmd:get"
    ///
    ///     [socketio]
    ///     events = ["role:order"]
    ///     act = ["role:order,cmd:get"]
    ///     subscribe = ["role:order"]
    /// "#)?;
    /// let sockets = Sockets::from_config(&config)?;
    /// let node = Node::builder().config(&config).sockets(&sockets).build()?;
    /// let app = sockets.mount(Gateway::from_config(&config)?.router(node.clone()), node.clone());
    /// // axum::serve(listener, app): REST at /orders/{id}, Socket.IO at /socket.io
    /// # let _ = app;
    /// # Ok(()) }
    /// ```
    pub fn mount(&self, router: Router, node: Node) -> Router {
        let settings = &self.shared.settings;
        let message = settings.max_message_bytes;
        let (service, io) = SocketIo::builder()
            .req_path(settings.path.clone())
            .ping_interval(settings.ping_interval)
            .ping_timeout(settings.ping_timeout)
            .max_buffer_size(settings.max_buffered)
            .max_payload(message as u64)
            .ws_max_message_size(message)
            .ws_max_frame_size(message)
            .build_with_inner_svc(router);
        connection::install(&io, self.shared.clone(), node.clone());
        crate::metrics::sockets::serving();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                node.closed().await;
                io.close().await;
            });
        }
        // One service around the whole router, not `Router::layer`: socketioxide keeps a
        // session table per layered service, and `Router::layer` layers each route apart, so a
        // polling client's requests would meet a table that never saw its handshake.
        Router::new().fallback_service(service)
    }

    /// A router serving only the sockets (any other path answers 404), acting through
    /// `node`: [`mount`](Self::mount) on an empty router.
    ///
    /// ```
    /// use porticus::{config::Config, socketio::Sockets, Node};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let config = Config::default();
    /// let sockets = Sockets::from_config(&config)?;
    /// let node = Node::builder().without_registered().sockets(&sockets).build()?;
    /// let app = sockets.router(node);
    /// # let _ = app;
    /// # Ok(()) }
    /// ```
    pub fn router(&self, node: Node) -> Router {
        self.mount(Router::new(), node)
    }
}

impl NodeBuilder {
    /// Subscribes the node to `[socketio] events` and pushes each event it receives to the
    /// `sockets` subscribed to it. Where the node's broker listener has `event_mode =
    /// "broadcast"`, every gateway instance gets every event for its own sockets.
    ///
    /// [`config`](Self::config) does this by itself for a `[[listen]] type = "socketio"`.
    ///
    /// ```
    /// use porticus::{config::Config, socketio::Sockets, Node};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = Config::from_toml_str("[socketio]\nevents = [\"role:order\"]")?;
    /// let sockets = Sockets::from_config(&config)?;
    /// let node = Node::builder().without_registered().sockets(&sockets).build()?;
    /// node.emit(json!({"role": "order", "event": "placed"})).await?; // to every subscribed socket
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn sockets(self, sockets: &Sockets) -> Self {
        let mut builder = self;
        for pattern in &sockets.shared.settings.events {
            let shared = sockets.shared.clone();
            builder = builder.subscribe(&pattern.to_string(), move |event: Value| {
                shared.hub.publish(&event);
                std::future::ready(Ok::<(), ActError>(()))
            });
        }
        builder
    }

    /// For a `[[listen]] type = "socketio"`: the sockets of `config`, fed the node's events and
    /// kept for the listener (or the configuration's error, reported by `build`).
    pub(crate) fn configured_sockets(self, config: &Config) -> Self {
        match Sockets::from_config(config) {
            Ok(sockets) => self.sockets(&sockets).extension(Arc::new(sockets)),
            Err(err) => self.fail(err),
        }
    }
}
