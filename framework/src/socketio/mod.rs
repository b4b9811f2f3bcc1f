//! Socket.IO (feature `socketio`): browsers and other clients act through the node and receive
//! live events, on [socketioxide](https://docs.rs/socketioxide) over axum.
//!
//! ```toml
//! [socketio]
//! events = ["role:order"]                  # the node subscribes to these, for its sockets
//! authorizer = "role:auth,cmd:socket"      # or, without one, `act` and `subscribe` below
//! # act = ["role:catalog"]
//! # subscribe = ["role:order"]
//!
//! [[listen]]                               # a port of its own; or mount it: Sockets::mount
//! type = "socketio"
//! bind = "127.0.0.1:3000"
//! ```
//!
//! The protocol, on the default namespace:
//!
//! * `emit("act", msg, ack)` acts `msg` (a JSON object) through the node, locally or over a
//!   transport; `ack` gets the reply, or `{"error": {"code", "message", "details"?}}`. The
//!   deadline is the message's `timeout$` (else the node's default), cut to
//!   `[socketio] timeout_ms`; other directives are dropped.
//! * `emit("subscribe", pattern, ack)` / `emit("unsubscribe", pattern, ack)`: the pattern as
//!   text (`role:order,customer:alice`) or an object; `ack` gets `{"subscriptions": [...]}` or
//!   an error. From then on the socket receives `"event"` messages — the event's JSON — for
//!   every event the node receives that matches one of its subscriptions (Seneca matching).
//! * Any other event name is answered `{"error": {"code": "unknown_event", …}}`.
//!
//! What a socket may act and subscribe to comes from the authorizer's answer to the handshake's
//! `auth` payload, or from `[socketio] act` / `subscribe` (default: nothing). A refused act or
//! subscription is answered `forbidden` and goes nowhere; a refused connection gets
//! `connect_error` with the reason. `docs/realtime.md` has the details, the limits and how
//! instances scale.
//!
//! ```no_run
//! use porticus::config::Config;
//! use porticus::gateway::Gateway;
//! use porticus::socketio::Sockets;
//! use porticus::Node;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::load()?;
//! let sockets = Sockets::from_config(&config)?;
//! let node = Node::builder().config(&config).sockets(&sockets).build()?;
//! let server = node.start(&config).await?; // the broker listeners bring the events in
//! let app = sockets.mount(Gateway::from_config(&config)?.router(node.clone()), node.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! sockets.serve(listener, app, node).await?; // REST and Socket.IO on one port, until the node closes
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

mod access;
mod connection;
mod hub;
mod listener;
mod session;
mod settings;
mod sockets;
mod tcp;

pub use listener::SocketIoListener;
pub(crate) use sockets::Shared;
pub use sockets::Sockets;
