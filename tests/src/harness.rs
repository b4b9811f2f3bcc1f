//! Harnesses: each sets up a caller node whose acts reach the suite's handlers in one way.

use porticus::config::{HttpClientConfig, HttpListenConfig};
use porticus::transport::http::{HttpClient, HttpListener};
use porticus::transport::local::{Faults, LocalClient};
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
