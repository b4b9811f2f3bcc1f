//! Harnesses: each sets up a caller node whose acts reach the suite's handlers in one way.

use porticus::config::{HttpClientConfig, HttpListenConfig};
use porticus::transport::http::{HttpClient, HttpListener};
use std::sync::atomic::{AtomicU64, Ordering};

use porticus::config::NatsCredentials;
use porticus::config::{AmqpClientConfig, AmqpListenConfig, Config, ListenConfig};
use porticus::transport::amqp::AmqpClient;
use porticus::transport::local::{Faults, LocalClient};
use porticus::transport::nats::NatsClient;
use porticus::transport::Listener;
use porticus::Node;

/// A caller node, the node that runs the handlers, and what keeps a transport alive.
#[derive(Debug)]
pub struct Harness {
    /// The node the suite acts through.
    pub caller: Node,
    /// The node whose registered handlers answer.
    pub server: Node,
    /// Fault injection for transports that support it (the local transport).
    pub faults: Option<Faults>,
}

/// The server node: every handler registered in this test binary.
pub fn server() -> Node {
    Node::builder()
        .name("suite")
        .build()
        .expect("the suite's handlers register")
}

/// Acts in-process on the node that has the handlers.
pub async fn in_process() -> Harness {
    let server = server();
    Harness {
        caller: server.clone(),
        server,
        faults: None,
    }
}

/// Acts from a caller with no handlers, through a catch-all local-transport client.
pub async fn local_transport() -> Harness {
    let server = server();
    let client = LocalClient::new(server.clone());
    let faults = client.faults();
    let caller = Node::builder()
        .name("caller")
        .without_registered()
        .client("", client)
        .build()
        .expect("a client-only node builds");
    Harness {
        caller,
        server,
        faults: Some(faults),
    }
}

/// Serves `node` over HTTP on a free port of 127.0.0.1 with `config`'s limits; returns the URL.
pub async fn serve_http(node: &Node, mut config: HttpListenConfig) -> String {
    config.bind = "127.0.0.1:0".to_owned();
    let listener = HttpListener::bind(&config)
        .await
        .expect("binds a free port");
    let url = listener.url();
    tokio::spawn(Box::new(listener).serve(node.clone()));
    url
}

/// A client-only node whose every act and event goes to `url` over HTTP.
pub fn http_caller(url: &str) -> Node {
    let mut config = HttpClientConfig::default();
    config.url = url.to_owned();
    Node::builder()
        .name("caller")
        .without_registered()
        .client("", HttpClient::new(&config).expect("a valid url"))
        .build()
        .expect("a client-only node builds")
}

/// Acts from a caller with no handlers, through a catch-all HTTP client, on the server node
/// served by an HTTP listener on 127.0.0.1.
pub async fn http() -> Harness {
    let server = server();
    let url = serve_http(&server, HttpListenConfig::default()).await;
    Harness {
        caller: http_caller(&url),
        server,
        faults: None,
    }
}

/// The broker the AMQP tests use: `$PORTICUS_TEST_AMQP_URL`, else the local RabbitMQ
/// (`amqp://guest:guest@127.0.0.1:5672/%2f`). Tests never skip when it is down: they fail,
/// saying so.
pub fn amqp_url() -> String {
    std::env::var("PORTICUS_TEST_AMQP_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| porticus::config::DEFAULT_AMQP_URL.to_owned())
}

/// The panic message of a test that cannot reach the broker.
pub fn broker_down(err: &dyn std::fmt::Display) -> String {
    format!(
        "RabbitMQ is not reachable at {} (set PORTICUS_TEST_AMQP_URL, or start it: `rabbitmq-server -detached`): {err}",
        amqp_url()
    )
}

/// A name prefix no other test (in this or another run) uses: `pt.<tag>.<pid>.<n>.<random>`.
pub fn unique_prefix(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let random = std::collections::hash_map::RandomState::new();
    let salt = std::hash::BuildHasher::hash_one(&random, NEXT.load(Ordering::Relaxed)) % 1_000_000;
    format!(
        "pt.{tag}.{}.{}.{salt}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Listener and client settings whose every exchange and queue name starts with `prefix`,
/// so that parallel tests never share one. The queues expire a minute after their last
/// consumer leaves and the exchanges go with their last binding, so repeated runs leave
/// nothing behind.
pub fn amqp_configs(prefix: &str) -> (AmqpListenConfig, AmqpClientConfig) {
    let url = amqp_url();
    let mut listen = AmqpListenConfig::default();
    listen.url.clone_from(&url);
    listen.exchange = format!("{prefix}.topic");
    listen.queue_prefix = format!("{prefix}.add");
    listen.dead_letter_exchange = format!("{prefix}.dlx");
    listen.dead_letter_queue = format!("{prefix}.dlq");
    listen.events_exchange = format!("{prefix}.events");
    listen.event_queue_prefix = format!("{prefix}.ev");
    listen.event_dead_letter_exchange = format!("{prefix}.ev.dlx");
    listen.queue_expires_ms = 60_000;
    listen.exchange_auto_delete = true;
    listen.event_retry_backoff_ms = 20;
    listen.event_retry_backoff_max_ms = 200;
    listen.drain_timeout_ms = 2_000;
    let mut client = AmqpClientConfig::default();
    client.url = url;
    client.exchange = listen.exchange.clone();
    client.events_exchange = listen.events_exchange.clone();
    client.reply_queue_prefix = format!("{prefix}.act");
    client.exchange_auto_delete = true;
    (listen, client)
}

/// A node with no handlers that sends whatever matches `pin` (`""` for everything) through
/// an AMQP client named `name`, connected already; the client is returned too, to close it.
///
/// # Panics
/// When the broker is unreachable (tests never skip).
pub async fn amqp_caller(client: &AmqpClientConfig, name: &str, pin: &str) -> (Node, AmqpClient) {
    let amqp = AmqpClient::new(client, name).expect("valid client config");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let node = Node::builder()
        .name(name)
        .without_registered()
        .client(pin, amqp.clone())
        .build()
        .expect("a client-only node builds");
    (node, amqp)
}

/// A config with one `[[listen]]`: the AMQP listener `listen`.
pub fn listening(name: &str, listen: AmqpListenConfig) -> Config {
    let mut config = Config::default();
    config.service.name = name.to_owned();
    config.listen.push(ListenConfig::Amqp(Box::new(listen)));
    config
}

/// Acts from a caller with no handlers through a catch-all AMQP client; the suite's node
/// serves `role:suite` and its event subscriptions from an AMQP listener (names unique to
/// the test).
pub async fn amqp() -> Harness {
    let prefix = unique_prefix("suite");
    let (mut listen, client) = amqp_configs(&prefix);
    listen.pin = "role:suite".into();
    let server = server();
    let config = listening("suite", listen);
    let started = server
        .start(&config)
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    // The listener runs until the server node closes; nothing needs the handle.
    drop(started);
    let client =
        AmqpClient::new(&client, &format!("caller-{prefix}")).expect("valid client config");
    client
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let caller = Node::builder()
        .name("caller")
        .without_registered()
        .client("", client)
        .build()
        .expect("a client-only node builds");
    Harness {
        caller,
        server,
        faults: None,
    }
}

/// A TOML config file for service `name` with one AMQP `[[listen]]` (every key of `listen`
/// written out), for services started as separate processes.
pub fn config_toml(name: &str, listen: &AmqpListenConfig) -> String {
    listen_toml(name, "amqp", listen)
}

/// A TOML config file for service `name` with one `[[listen]]` of type `transport`, every
/// key of `listen` written out.
pub fn listen_toml(name: &str, transport: &str, listen: &impl serde::Serialize) -> String {
    fn value(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Array(items) => {
                format!(
                    "[{}]",
                    items.iter().map(value).collect::<Vec<_>>().join(", ")
                )
            }
            other => other.to_string(),
        }
    }
    let mut out = format!("[service]\nname = \"{name}\"\n\n[[listen]]\ntype = \"{transport}\"\n");
    let fields = serde_json::to_value(listen).expect("the config serializes");
    for (key, v) in fields.as_object().into_iter().flatten() {
        out.push_str(&format!("{key} = {}\n", value(v)));
    }
    out
}

/// Acts from a caller with no handlers through a NATS client pinned `role:suite` (a NATS act
/// travels on its pin's subject), which also takes every event; the suite's node serves
/// `role:suite` and its event subscriptions from a NATS listener (subjects and streams unique
/// to the test).
pub async fn nats() -> Harness {
    use crate::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Jet, Names};
    let names = Names::new("suite");
    Jet::connect(&nats_url()).await.sweep().await;
    let (mut listen, mut client) = nats_configs(&names, &nats_url());
    listen.pin = "role:suite".into();
    let server = server();
    let started = server
        .start(&nats_listening("suite", listen))
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    drop(started);
    client.pin = "role:suite".into();
    let nats = NatsClient::new(&client, &NatsCredentials::default(), "caller-suite")
        .expect("valid client config");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    let caller = Node::builder()
        .name("caller")
        .without_registered()
        .client("role:suite", nats.clone())
        .forward_events("", nats)
        .build()
        .expect("a client-only node builds");
    Harness {
        caller,
        server,
        faults: None,
    }
}
