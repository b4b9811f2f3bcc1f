//! `[socketio]` and `[[listen]] type = "socketio"`: the Socket.IO listener's protocol settings,
//! authorization and limits (feature `socketio`). Checked when the sockets are built
//! (`porticus::socketio::Sockets::from_config`); `docs/realtime.md` has the rules.

use serde::{Deserialize, Serialize};

/// `[socketio]`: what sockets may do, the events the node takes in for them, and the limits
/// that keep one client from hurting the others. Shared by `[[listen]] type = "socketio"` and
/// by sockets mounted on an application's own router.
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str(r#"
///     [socketio]
///     events = ["role:order"]
///     authorizer = "role:auth,cmd:socket"
///     max_connections = 500
/// "#)?;
/// assert_eq!(config.socketio.events, ["role:order"]);
/// assert_eq!(config.socketio.authorizer.as_deref(), Some("role:auth,cmd:socket"));
/// assert_eq!(config.socketio.max_connections, 500);
/// assert_eq!(config.socketio.path, "/socket.io");
/// assert!(config.socketio.act.is_empty()); // nothing allowed unless configured
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SocketIoConfig {
    /// The HTTP path Socket.IO is served under (the client's `path` option). Default
    /// `/socket.io`, the client's default.
    pub path: String,
    /// The event patterns the node subscribes to and pushes to the sockets that asked for them
    /// (`["role:order"]`). Give the node's broker listener `event_mode = "broadcast"`, so that
    /// every gateway instance gets every event. An event matching several is pushed once.
    /// Default none.
    pub events: Vec<String>,
    /// The action that authorizes a connection (`role:auth,cmd:socket`): it receives the
    /// handshake's `auth` payload and answers `{"act": [patterns], "subscribe": [patterns]}`,
    /// or an error that refuses the connection. Default none: only [`act`](Self::act) and
    /// [`subscribe`](Self::subscribe) apply.
    pub authorizer: Option<String>,
    /// Without an authorizer, the patterns every socket may act: a message is allowed when it
    /// matches one. Default none.
    pub act: Vec<String>,
    /// Without an authorizer, the patterns every socket may subscribe to: a subscription is
    /// allowed when it is at least as specific as one. Default none.
    pub subscribe: Vec<String>,
    /// The longest deadline of a socket's act, in ms: a `timeout$` and the node's default
    /// timeout are cut to this. Default 30,000.
    pub timeout_ms: u64,
    /// Sockets connected at once; more are refused (`connect_error`). Default 10,000.
    pub max_connections: usize,
    /// Largest message a client may send, in bytes; a larger one closes its connection.
    /// Default 64 KiB.
    pub max_message_bytes: usize,
    /// Acts a socket may start per second (a bucket of this many, refilled continuously);
    /// more are answered `overloaded`. Default 50.
    pub max_acts_per_second: u32,
    /// Acts of one socket running at once; more are answered `overloaded`. Default 16.
    pub max_acts_in_flight: usize,
    /// Subscriptions a socket may hold; more are refused. Default 32.
    pub max_subscriptions: usize,
    /// Packets waiting to be written to one socket; a client that lets this many pile up
    /// (it does not read) gets no more events and is disconnected (reason `slow_client`).
    /// Default 128.
    pub max_buffered: usize,
    /// How often the server pings each client, in ms. Default 25,000 (Socket.IO's).
    pub ping_interval_ms: u64,
    /// How long a client has to answer a ping before it is disconnected, in ms. Default
    /// 20,000 (Socket.IO's).
    pub ping_timeout_ms: u64,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        SocketIoConfig {
            path: "/socket.io".to_owned(),
            events: Vec::new(),
            authorizer: None,
            act: Vec::new(),
            subscribe: Vec::new(),
            timeout_ms: 30_000,
            max_connections: 10_000,
            max_message_bytes: 64 * 1024,
            max_acts_per_second: 50,
            max_acts_in_flight: 16,
            max_subscriptions: 32,
            max_buffered: 128,
            ping_interval_ms: 25_000,
            ping_timeout_ms: 20_000,
        }
    }
}

/// `[[listen]] type = "socketio"`: serve Socket.IO on an address of its own (the rest of the
/// settings are `[socketio]`'s).
///
/// ```
/// use porticus::config::{Config, ListenConfig};
///
/// let config = Config::from_toml_str("[[listen]]\ntype = \"socketio\"\nbind = \"127.0.0.1:0\"")?;
/// let ListenConfig::SocketIo(listen) = &config.listen[0] else { panic!("a socketio listener") };
/// assert_eq!(listen.bind, "127.0.0.1:0");
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SocketIoListenConfig {
    /// Address to bind. Default `127.0.0.1:3000`; port 0 picks one.
    pub bind: String,
}

impl Default for SocketIoListenConfig {
    fn default() -> Self {
        SocketIoListenConfig {
            bind: "127.0.0.1:3000".to_owned(),
        }
    }
}
