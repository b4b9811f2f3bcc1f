//! The shop end to end with every service in its own process, talking HTTP — chosen by
//! configuration only (`PORTICUS_ENV=http`), the same binaries as in-process.

use std::net::SocketAddr;
use std::time::Duration;

use porticus::config::HttpClientConfig;
use porticus::transport::http::HttpClient;
use porticus::Node;
use porticus_tests::process::{self, Service};

mod common;
mod processes;

const SOON: Duration = Duration::from_secs(30);
const SERVICES: [&str; 4] = ["payments", "orders", "notifications", "analytics"];
/// The ports in the services' config/http.toml, moved to free ones for the test.
const PORTS: [u16; 4] = [10111, 10112, 10113, 10114];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_over_http_in_separate_processes() {
    let bins = process::build(&processes::BINARIES);
    let free: Vec<u16> = PORTS.iter().map(|_| process::free_port()).collect();
    let moves: Vec<(String, String)> = PORTS
        .iter()
        .zip(&free)
        .map(|(old, new)| (format!("127.0.0.1:{old}"), format!("127.0.0.1:{new}")))
        .chain([("127.0.0.1:8080".into(), "127.0.0.1:0".into())])
        .collect();

    let mut running = Vec::new();
    for (name, port) in SERVICES.iter().zip(&free) {
        let dir = process::config_copy(&format!("examples/shop/{name}/config"), &moves);
        let mut service = Service::start(name, &bins[*name], "http", &dir);
        service
            .wait_for_port(SocketAddr::from(([127, 0, 0, 1], *port)), SOON)
            .await;
        running.push(service);
    }
    let dir = process::config_copy("examples/shop/gateway/config", &moves);
    let mut gateway = Service::start("gateway", &bins["gateway"], "http", &dir);
    let base = gateway.line_after("gateway listening on ", SOON).await;

    // The test reads back what the subscribers saw through clients of its own.
    let client = |port: u16| {
        let mut config = HttpClientConfig::default();
        config.url = format!("http://127.0.0.1:{port}/act");
        HttpClient::new(&config).expect("an HTTP client")
    };
    let reader = Node::builder()
        .without_registered()
        .client("role:notification", client(free[2]))
        .client("role:analytics", client(free[3]))
        .build()
        .expect("the reader node");

    let outcome = shop::run(&base, &reader).await.expect("the scenario runs");
    common::assert_outcome(&outcome);

    assert!(gateway.stop(SOON).await, "gateway exits 0 on SIGTERM");
    for service in running {
        assert!(service.stop(SOON).await, "each service exits 0 on SIGTERM");
    }
}
