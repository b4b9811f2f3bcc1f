//! Harnesses: each sets up a caller node whose acts reach the suite's handlers in one way.

use porticus::transport::local::{Faults, LocalClient};
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
