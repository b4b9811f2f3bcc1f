//! The shop end to end with every service in its own process, talking through NATS (requests
//! for acts, JetStream for events) — chosen by configuration only (`PORTICUS_ENV=nats`), the
//! same binaries as in-process.

use std::time::Duration;

use porticus::config::{NatsClientConfig, NatsCredentials};
use porticus::transport::nats::NatsClient;
use porticus::Node;
use porticus_tests::jetstream::{nats_down, nats_url, Jet, Names};
use porticus_tests::process::{self, Service};

mod common;
mod processes;

const SOON: Duration = Duration::from_secs(30);
/// Subscribers first: a service's consumer must exist before the events it should get.
const SERVICES: [&str; 4] = ["notifications", "analytics", "payments", "orders"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_over_nats_in_separate_processes() {
    let bins = process::build(&processes::BINARIES);
    // Subjects and streams of this run only, so that runs never share a consumer.
    let names = Names::new("shop");
    let moves = [
        (
            "url = \"nats://127.0.0.1:4222\"".to_owned(),
            format!(
                "url = \"{}\"\nsubject_prefix = \"{}\"",
                nats_url(),
                names.prefix
            ),
        ),
        (
            "[[listen]]\ntype = \"nats\"".to_owned(),
            format!(
                "[[listen]]\ntype = \"nats\"\nstream = \"{}\"\ndead_letter_stream = \"{}\"",
                names.stream, names.dead_letters
            ),
        ),
        ("127.0.0.1:8080".to_owned(), "127.0.0.1:0".to_owned()),
    ];
    let mut running = Vec::new();
    for name in SERVICES {
        let dir = process::config_copy(&format!("examples/shop/{name}/config"), &moves);
        let mut service = Service::start(name, &bins[name], "nats", &dir);
        // The services log at info: the listener says so once subscribed.
        service.line_containing("listener on ", SOON).await;
        running.push(service);
    }
    let dir = process::config_copy("examples/shop/gateway/config", &moves);
    let mut gateway = Service::start("gateway", &bins["gateway"], "nats", &dir);
    let base = gateway.line_after("gateway listening on ", SOON).await;

    // The test reads back what the subscribers saw through a client of its own.
    let client = |pin: &str| {
        let mut config = NatsClientConfig::default();
        config.url = nats_url();
        config.subject_prefix.clone_from(&names.prefix);
        config.pin = pin.to_owned();
        NatsClient::new(&config, &NatsCredentials::default(), "shop-test-reader")
            .expect("a valid client config")
    };
    let notifications = client("role:notification,cmd:*");
    notifications
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    let reader = Node::builder()
        .without_registered()
        .client("role:notification", notifications)
        .client("role:analytics", client("role:analytics,cmd:*"))
        .build()
        .expect("the reader node");

    let outcome = shop::run(&base, &reader).await.expect("the scenario runs");
    common::assert_outcome(&outcome);

    assert!(gateway.stop(SOON).await, "gateway exits 0 on SIGTERM");
    for service in running {
        assert!(service.stop(SOON).await, "each service exits 0 on SIGTERM");
    }
    Jet::connect(&nats_url()).await.cleanup(&names).await;
}
