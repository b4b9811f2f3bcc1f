//! A slow subscriber with a 20,000-event backlog: the broker holds the backlog, the subscriber
//! holds at most its prefetch, so its memory stays bounded (reliability plan R15).

use std::process::Command;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use porticus::transport::amqp::AmqpClient;
use porticus::Node;
use porticus_tests::broker::Broker;
use porticus_tests::harness::{amqp_configs, broker_down, config_toml, unique_prefix};
use porticus_tests::service_process::{amqp_node, scratch, Service};
use serde_json::json;

const AMQP_NODE: &str = env!("CARGO_BIN_EXE_amqp-node");
const BACKLOG: u64 = 20_000;
const PREFETCH: u16 = 50;

/// `(ready, unacknowledged)` of `queue`, as the broker counts them.
fn queue_counts(queue: &str) -> Option<(u64, u64)> {
    let out = Command::new("rabbitmqctl")
        .args([
            "-q",
            "list_queues",
            "name",
            "messages_ready",
            "messages_unacknowledged",
            "--no-table-headers",
        ])
        .output()
        .expect("rabbitmqctl runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            match cols[..] {
                [name, ready, unacked] if name == queue => {
                    Some((ready.parse().ok()?, unacked.parse().ok()?))
                }
                _ => None,
            }
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_holds_only_its_prefetch() {
    let prefix = unique_prefix("backlog");
    let (mut listen, mut client) = amqp_configs(&prefix);
    listen.event_prefetch = PREFETCH;
    listen.event_max_queue_length = 0;
    client.publish_timeout_ms = 30_000;
    let dir = scratch(&format!("backlog-{}", prefix.replace('.', "-")));
    let (config, record) = (dir.join("subscriber.toml"), dir.join("record"));
    std::fs::write(&config, config_toml("slow", &listen)).expect("write config");
    let queue = format!("{}.slow", listen.event_queue_prefix);

    // Declare the service's queue, then build the backlog while it is down: 20,000 × 10 KB.
    let declare = [
        "subscriber",
        config.to_str().unwrap(),
        record.to_str().unwrap(),
    ];
    assert!(Service::start(amqp_node(AMQP_NODE, &declare)).terminate());
    let amqp = AmqpClient::new(&client, "backlog-emitter").expect("valid config");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let emitter = Node::builder()
        .without_registered()
        .client("", amqp)
        .build()
        .expect("builds");
    let pad = "x".repeat(10 * 1024);
    let failed = stream::iter(0..BACKLOG)
        .map(|n| {
            let (emitter, pad) = (emitter.clone(), pad.clone());
            async move {
                emitter
                    .emit(json!({"event": "tick", "n": n, "pad": pad}))
                    .await
                    .is_err()
            }
        })
        .buffer_unordered(64)
        .filter(|failed| std::future::ready(*failed))
        .count()
        .await;
    assert_eq!(failed, 0, "every event of the backlog is confirmed");

    // A subscriber that takes a second per event.
    let slow = [
        "subscriber",
        config.to_str().unwrap(),
        record.to_str().unwrap(),
        "1000",
    ];
    let subscriber = Service::start(amqp_node(AMQP_NODE, &slow));
    let broker = Broker::connect().await;
    let mut counts = None;
    // The broker's counters lag a little: look until the subscriber holds its full prefetch.
    for _ in 0..40 {
        counts = queue_counts(&queue);
        if counts.is_some_and(|(_, unacked)| unacked >= u64::from(PREFETCH)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (ready, unacked) = counts.expect("the event queue is listed");
    let rss_mib = subscriber.rss_kib() / 1024;
    println!(
        "RESULT test=R15 backlog={BACKLOG} event_bytes=10240 prefetch={PREFETCH} unacked={unacked} ready={ready} subscriber_rss_mib={rss_mib}"
    );
    assert_eq!(
        unacked,
        u64::from(PREFETCH),
        "the subscriber holds exactly its prefetch"
    );
    assert!(
        ready + unacked + 200 >= BACKLOG,
        "the backlog stays in the broker: {ready} ready"
    );
    assert!(
        rss_mib < 64,
        "subscriber memory is bounded by the prefetch: {rss_mib} MiB"
    );

    drop(subscriber);
    broker.cleanup(&prefix).await;
}
