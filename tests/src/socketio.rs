//! Real Socket.IO clients for the `socketio_*` tests: installs the pinned `socket.io-client`
//! once (under `target/socketio`), starts `tests/socketio/clients.js` with Node.js and talks
//! to it in JSON lines (commands on its stdin, reports on its stdout).

use std::collections::VecDeque;
use std::process::Stdio;
use std::time::Duration;

use porticus::config::{
    AdminConfig, Config, EventMode, ListenConfig, SocketIoConfig, SocketIoListenConfig,
};
use porticus::transport::amqp::AmqpClient;
use porticus::{Node, Server};
use serde_json::{json, Value};

use crate::harness::{amqp_configs, broker_down, listening};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// A Node.js process holding Socket.IO clients, killed when dropped.
#[derive(Debug)]
pub struct Clients {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<Value>,
    /// Reports read while waiting for another one.
    held: VecDeque<Value>,
    tags: u64,
}

/// How long one step may take before a test fails (a bound, not a measurement).
pub const STEP: Duration = Duration::from_secs(20);

impl Clients {
    /// Starts the client process and waits for it to be ready.
    ///
    /// # Panics
    /// When node cannot start or does not become ready.
    pub async fn start() -> Clients {
        let dir = crate::npm::prepare("socketio");
        let mut child = Command::new("node")
            .arg("clients.js")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start node clients.js");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("clients.js printed non-JSON {line:?}: {e}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let mut clients = Clients {
            child,
            stdin,
            lines,
            held: VecDeque::new(),
            tags: 0,
        };
        clients.wait(|v| v["type"] == "ready", STEP).await;
        clients
    }

    /// Sends one command.
    pub async fn send(&mut self, command: Value) {
        let mut line = serde_json::to_vec(&command).expect("a command serializes");
        line.push(b'\n');
        self.stdin
            .write_all(&line)
            .await
            .expect("write to clients.js");
        self.stdin.flush().await.expect("flush clients.js");
    }

    /// The first report (held or new) that `wanted` accepts, within `bound`.
    ///
    /// # Panics
    /// When none arrives in time, listing what did.
    pub async fn wait(&mut self, wanted: impl Fn(&Value) -> bool, bound: Duration) -> Value {
        if let Some(i) = self.held.iter().position(&wanted) {
            return self.held.remove(i).expect("a held report");
        }
        let found = tokio::time::timeout(bound, async {
            while let Some(value) = self.lines.recv().await {
                if wanted(&value) {
                    return Some(value);
                }
                self.held.push_back(value);
            }
            None
        })
        .await;
        match found {
            Ok(Some(value)) => value,
            Ok(None) => panic!("clients.js exited; reports: {:?}", self.held),
            Err(_) => panic!(
                "no awaited report within {bound:?}; reports: {:?}",
                self.held
            ),
        }
    }

    /// Whether a report `wanted` accepts arrived (without waiting).
    pub fn saw(&mut self, wanted: impl Fn(&Value) -> bool) -> bool {
        while let Ok(value) = self.lines.try_recv() {
            self.held.push_back(value);
        }
        self.held.iter().any(wanted)
    }

    /// Connects client `id` to `url` with `auth`; `Ok` once connected, else the
    /// `connect_error` message.
    pub async fn connect(&mut self, id: &str, url: &str, auth: Value) -> Result<(), String> {
        self.send(json!({"op": "connect", "id": id, "url": url, "auth": auth}))
            .await;
        let report = self
            .wait(
                |v| v["id"] == id && (v["type"] == "connect" || v["type"] == "connect_error"),
                STEP,
            )
            .await;
        match report["type"].as_str() {
            Some("connect") => Ok(()),
            _ => Err(report["message"].as_str().unwrap_or_default().to_owned()),
        }
    }

    /// Client `id` emits `event` with `args` and waits for its ack's reply.
    pub async fn ask(&mut self, id: &str, event: &str, args: Value) -> Value {
        self.tags += 1;
        let tag = self.tags.to_string();
        self.send(json!({"op": "emit", "id": id, "event": event, "args": args, "tag": tag}))
            .await;
        let report = self
            .wait(|v| v["type"] == "ack" && v["tag"] == tag.as_str(), STEP)
            .await;
        assert!(
            report["timeout"].is_null(),
            "{id}'s `{event}` was never acked"
        );
        report["reply"].clone()
    }

    /// Client `id` acts `msg`: the ack's reply.
    pub async fn act(&mut self, id: &str, msg: Value) -> Value {
        self.ask(id, "act", json!([msg])).await
    }

    /// Client `id` subscribes to `pattern`: the ack's reply.
    pub async fn subscribe(&mut self, id: &str, pattern: Value) -> Value {
        self.ask(id, "subscribe", json!([pattern])).await
    }

    /// The next event client `id` receives.
    pub async fn event(&mut self, id: &str) -> Value {
        self.wait(|v| v["id"] == id && v["type"] == "event", STEP)
            .await["data"]
            .clone()
    }

    /// The reason client `id` was disconnected, once it is.
    pub async fn disconnected(&mut self, id: &str, bound: Duration) -> String {
        self.wait(|v| v["id"] == id && v["type"] == "disconnect", bound)
            .await["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A gateway instance of service `gateway` for the test names `prefix`: an AMQP listener
/// (broadcast events) and a Socket.IO listener on a free port, `[socketio] events =
/// ["role:order"]`, any socket may follow orders, an admin endpoint when `admin`; the server
/// and the clients' URL.
///
/// # Panics
/// When the broker is unreachable.
pub async fn amqp_gateway(prefix: &str, admin: bool) -> (Server, String) {
    let (mut listen, _) = amqp_configs(prefix);
    listen.pin = "role:gateway-ping".into();
    listen.event_mode = EventMode::Broadcast;
    let mut config: Config = listening("gateway", listen);
    if admin {
        let mut ops = AdminConfig::default();
        ops.bind = Some("127.0.0.1:0".into());
        config.admin = ops;
    }
    order_gateway(config, broker_down).await
}

/// Starts a gateway of `config` (its broker listener already in it) with a Socket.IO listener
/// on a free port, `[socketio] events = ["role:order"]` and any socket allowed to follow
/// orders; the server and the clients' URL.
///
/// # Panics
/// When the node cannot start: `down` says why (the broker it needs is unreachable).
pub async fn order_gateway(
    mut config: Config,
    down: fn(&dyn std::fmt::Display) -> String,
) -> (Server, String) {
    let mut socketio = SocketIoListenConfig::default();
    socketio.bind = "127.0.0.1:0".into();
    config.listen.push(ListenConfig::SocketIo(socketio));
    let mut settings = SocketIoConfig::default();
    settings.events = vec!["role:order".into()];
    settings.subscribe = vec!["role:order".into()];
    config.socketio = settings;
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .build()
        .expect("builds");
    let server = node
        .start(&config)
        .await
        .unwrap_or_else(|e| panic!("{}", down(&e)));
    let url = server
        .addresses()
        .into_iter()
        .find_map(|a| a.strip_suffix("/socket.io").map(str::to_owned))
        .expect("a socket.io listener");
    (server, url)
}

/// A service `shop` with no handlers that emits through a catch-all AMQP client.
///
/// # Panics
/// When the broker is unreachable.
pub async fn amqp_emitter(prefix: &str) -> Node {
    let (_, client) = amqp_configs(prefix);
    let amqp = AmqpClient::new(&client, "shop").expect("valid config");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    Node::builder()
        .name("shop")
        .without_registered()
        .client("", amqp)
        .build()
        .expect("builds")
}

/// This process's resident memory in KiB (Linux `/proc/self/status`), for the figures tests
/// print.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
