//! The shop end to end with every service in its own process, talking through RabbitMQ —
//! chosen by configuration only (`PORTICUS_ENV=amqp`), the same binaries as in-process.

use std::time::Duration;

use porticus_tests::process::{self, Service};

mod amqp_reader;
mod common;
mod processes;

const SOON: Duration = Duration::from_secs(30);
/// Subscribers first: an event's queue must exist before it is emitted.
const SERVICES: [&str; 4] = ["notifications", "analytics", "payments", "orders"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_over_amqp_in_separate_processes() {
    let bins = process::build(&processes::BINARIES);
    let moves = processes::amqp_moves();
    let mut running = Vec::new();
    for name in SERVICES {
        let dir = process::config_copy(&format!("examples/shop/{name}/config"), &moves);
        let mut service = Service::start(name, &bins[name], "amqp", &dir);
        // The services log at info: the listener says so once its queues are declared.
        service.line_containing("listener on ", SOON).await;
        running.push(service);
    }
    let dir = process::config_copy("examples/shop/gateway/config", &moves);
    let mut gateway = Service::start("gateway", &bins["gateway"], "amqp", &dir);
    let base = gateway.line_after("gateway listening on ", SOON).await;

    // The test reads back what the subscribers saw through a client of its own.
    let reader = amqp_reader::reader("shop-test-reader").await;

    let outcome = shop::run(&base, &reader).await.expect("the scenario runs");
    common::assert_outcome(&outcome);

    assert!(gateway.stop(SOON).await, "gateway exits 0 on SIGTERM");
    for service in running {
        assert!(service.stop(SOON).await, "each service exits 0 on SIGTERM");
    }
}
