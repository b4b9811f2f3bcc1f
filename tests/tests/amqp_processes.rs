//! Several OS processes over RabbitMQ: the math example served by config only, two instances
//! sharing a queue, and events that survive a subscriber being down or killed.
//!
//! Each durability test prints `RESULT test=… lost=… duplicated=…` (lost = emitted and
//! confirmed but never handled; duplicated = deliveries beyond the first of an event).

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use porticus::config::AmqpClientConfig;
use porticus::transport::amqp::AmqpClient;
use porticus::{Code, Node};
use porticus_tests::broker::Broker;
use porticus_tests::harness::{amqp_configs, amqp_url, broker_down, config_toml, unique_prefix};
use porticus_tests::process;
use porticus_tests::service_process::{amqp_node, recorded, scratch, wait_recorded, Service};
use serde_json::{json, Value};

const AMQP_NODE: &str = env!("CARGO_BIN_EXE_amqp-node");

async fn client_node(client: &AmqpClientConfig, pin: &str) -> Node {
    let amqp = AmqpClient::new(client, "test-caller").expect("valid config");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    Node::builder()
        .name("test-caller")
        .without_registered()
        .client(pin, amqp)
        .build()
        .expect("builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_math_example_serves_over_amqp_by_config_only() {
    // The example's own config files; only the broker URL follows the test environment.
    let dir = scratch("math-config");
    let example = process::workspace().join("examples/math/config");
    for file in ["default.toml", "amqp.toml"] {
        let text = std::fs::read_to_string(example.join(file)).expect("the example's config");
        let text = text.replace(porticus::config::DEFAULT_AMQP_URL, &amqp_url());
        std::fs::write(dir.join(file), text).expect("write config");
    }
    let mut command = Command::new(&process::build(&["math"])["math"]);
    command
        .env("PORTICUS_CONFIG_DIR", &dir)
        .env("PORTICUS_ENV", "amqp")
        // The example's admin endpoint on a free port, and SIGTERM without a drain delay.
        .env("PORTICUS__ADMIN__BIND", "127.0.0.1:0")
        .env("PORTICUS__ADMIN__DRAIN_DELAY_MS", "0")
        .env("RUST_LOG", process::QUIET_LOGS);
    // The startup summary logs "amqp listener on …" once its listener is bound.
    let math = Service::start_when(command, "amqp listener on");

    let mut client = AmqpClientConfig::default();
    client.url = amqp_url();
    client.pin = "role:math,cmd:*".into();
    let caller = client_node(&client, "role:math,cmd:*").await;
    let sum = caller
        .act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}))
        .await
        .expect("sum over AMQP");
    assert_eq!(sum, json!({"answer": 3.0}));
    let integer = caller
        .act(json!({"role": "math", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7}))
        .await
        .expect("the most specific action, calling its prior");
    assert_eq!(integer, json!({"answer": 3.0}));
    let err = caller
        .act(json!({"role": "math", "cmd": "divide", "left": 1, "right": 0}))
        .await
        .expect_err("no such action");
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
    assert!(math.terminate(), "SIGTERM: a clean exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_request_queue() {
    let prefix = unique_prefix("share");
    let (mut listen, mut client) = amqp_configs(&prefix);
    listen.pin = "role:load,cmd:*".into();
    client.pin = listen.pin.clone();
    let dir = scratch(&format!("share-{}", prefix.replace('.', "-")));
    let config = dir.join("responder.toml");
    std::fs::write(&config, config_toml("load", &listen)).expect("write config");
    let config = config.to_str().expect("utf-8 path");
    let one = Service::start(amqp_node(AMQP_NODE, &["responder", config]));
    let two = Service::start(amqp_node(AMQP_NODE, &["responder", config]));
    let caller = client_node(&client, "role:load,cmd:*").await;
    let answers: Vec<Value> = stream::iter(0..200)
        .map(|_| {
            let caller = caller.clone();
            async move {
                caller
                    .act(json!({"role": "load", "cmd": "whoami"}))
                    .await
                    .expect("an instance answers")
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut by: HashMap<String, usize> = HashMap::new();
    for answer in &answers {
        *by.entry(answer["instance"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    println!(
        "RESULT test=competing_consumers requests=200 instance_one={} instance_two={}",
        by.get(&one.instance).copied().unwrap_or(0),
        by.get(&two.instance).copied().unwrap_or(0)
    );
    assert_eq!(by.values().sum::<usize>(), 200);
    assert!(by.get(&one.instance).is_some_and(|n| *n > 0), "{by:?}");
    assert!(by.get(&two.instance).is_some_and(|n| *n > 0), "{by:?}");
    assert!(one.terminate() && two.terminate(), "clean exits");
    Broker::connect().await.cleanup(&prefix).await;
}

/// Emits `event:tick` with `n` in `range`, 64 at a time, each confirmed by the broker.
async fn emit_ticks(emitter: &Node, range: std::ops::Range<u64>) {
    let failures: Vec<String> = stream::iter(range)
        .map(|n| {
            let emitter = emitter.clone();
            async move { emitter.emit(json!({"event": "tick", "n": n})).await }
        })
        .buffer_unordered(64)
        .filter_map(|r| async move { r.err().map(|e| e.to_string()) })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "emits failed: {:?}",
        &failures[..failures.len().min(3)]
    );
}

fn report(test: &str, counts: &HashMap<u64, u32>, total: u64) -> (u64, u64) {
    let lost = (0..total).filter(|n| !counts.contains_key(n)).count() as u64;
    let deliveries: u64 = counts.values().map(|c| u64::from(*c)).sum();
    let duplicated = deliveries - counts.len() as u64;
    println!("RESULT test={test} events={total} lost={lost} duplicated={duplicated}");
    (lost, duplicated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_emitted_while_the_subscriber_is_down_are_all_handled() {
    const N: u64 = 10_000;
    let prefix = unique_prefix("down");
    let (listen, mut client) = amqp_configs(&prefix);
    client.publish_timeout_ms = 30_000;
    let dir = scratch(&format!("down-{}", prefix.replace('.', "-")));
    let (config, record) = (dir.join("subscriber.toml"), dir.join("record"));
    std::fs::write(&config, config_toml("ledger", &listen)).expect("write config");
    let args = [
        "subscriber",
        config.to_str().unwrap(),
        record.to_str().unwrap(),
    ];

    // The first start declares the service's queue; then the whole service is down.
    assert!(Service::start(amqp_node(AMQP_NODE, &args)).terminate());
    let emitter = client_node(&client, "").await;
    emit_ticks(&emitter, 0..N).await;
    assert!(recorded(&record).is_empty(), "nobody consumed while down");

    let subscriber = Service::start(amqp_node(AMQP_NODE, &args));
    let counts = wait_recorded(&record, N as usize, Duration::from_secs(180));
    let (lost, _) = report("subscriber_down", &counts, N);
    assert_eq!(lost, 0, "every confirmed event is handled");
    assert!(subscriber.terminate());
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_killed_mid_stream_loses_nothing() {
    const N: u64 = 10_000;
    const KILLS: usize = 5;
    let prefix = unique_prefix("kill");
    let (mut listen, mut client) = amqp_configs(&prefix);
    listen.event_prefetch = 50;
    client.publish_timeout_ms = 30_000;
    let dir = scratch(&format!("kill-{}", prefix.replace('.', "-")));
    let (config, record) = (dir.join("subscriber.toml"), dir.join("record"));
    std::fs::write(&config, config_toml("ledger", &listen)).expect("write config");
    // 5 ms per event (50 at a time), so that the kills land mid-stream with deliveries in
    // flight.
    let args = [
        "subscriber",
        config.to_str().unwrap(),
        record.to_str().unwrap(),
        "5",
    ];

    let mut subscriber = Service::start(amqp_node(AMQP_NODE, &args));
    let emitter = client_node(&client, "").await;
    // Emit while the subscriber consumes (and dies, and comes back).
    let emitting = tokio::spawn(async move { emit_ticks(&emitter, 0..N).await });
    for kill in 1..=KILLS {
        let seen = wait_recorded(
            &record,
            kill * N as usize / (KILLS + 2),
            Duration::from_secs(120),
        );
        assert!(seen.len() < N as usize, "the kill must land mid-stream");
        subscriber.kill9();
        subscriber = Service::start(amqp_node(AMQP_NODE, &args));
    }
    emitting.await.expect("every emit is confirmed");
    let counts = wait_recorded(&record, N as usize, Duration::from_secs(180));
    let (lost, duplicated) = report("subscriber_kill9", &counts, N);
    assert_eq!(lost, 0, "every confirmed event is handled");
    assert!(
        duplicated <= (KILLS as u64) * u64::from(listen.event_prefetch),
        "at most the unacked deliveries of each kill come again: {duplicated}"
    );
    assert!(subscriber.terminate());
    Broker::connect().await.cleanup(&prefix).await;
}
