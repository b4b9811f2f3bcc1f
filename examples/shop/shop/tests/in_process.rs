//! The shop end to end, all services in this one process on the in-process transport.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use porticus::Node;

mod common;

porticus::link!(payments, orders, notifications, analytics);

/// The services' log lines, kept for the assertions.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_in_process() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .init();

    let node = Node::builder()
        .name("shop")
        .build()
        .expect("the shop's handlers register");
    let (addr, gateway) = gateway::start(node.clone(), "127.0.0.1:0")
        .await
        .expect("bind the gateway");
    let outcome = shop::run(&format!("http://{addr}"), &node)
        .await
        .expect("the scenario runs");
    common::assert_outcome(&outcome);
    let log =
        String::from_utf8_lossy(&log.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
    common::assert_handled_once_in_log(&log, &outcome);
    node.close();
    gateway.await.expect("the gateway stops");
}
