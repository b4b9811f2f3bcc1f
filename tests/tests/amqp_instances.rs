//! Responder instances that die or hang under load (reliability.md R14, R16): their requests
//! go to another instance, and the caller gets an answer, never a hang.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use porticus::config::{AmqpClientConfig, AmqpListenConfig};
use porticus::transport::amqp::AmqpClient;
use porticus::Node;
use porticus_tests::broker::Broker;
use porticus_tests::harness::{amqp_caller, amqp_configs, config_toml, unique_prefix};
use porticus_tests::service_process::{amqp_node, scratch, Service};
use serde_json::{json, Value};

const AMQP_NODE: &str = env!("CARGO_BIN_EXE_amqp-node");
const PIN: &str = "role:load,cmd:*";

/// Configs for `role:load` under `prefix`, with the responder's written to a file.
fn setup(prefix: &str, heartbeat_s: u16) -> (AmqpClientConfig, PathBuf) {
    let (mut listen, mut client): (AmqpListenConfig, _) = amqp_configs(prefix);
    listen.pin = PIN.into();
    listen.heartbeat_s = heartbeat_s;
    client.pin = PIN.into();
    let path = scratch(&prefix.replace('.', "-")).join("responder.toml");
    std::fs::write(&path, config_toml("load", &listen)).expect("write config");
    (client, path)
}

fn responder(config: &std::path::Path) -> Service {
    Service::start(amqp_node(
        AMQP_NODE,
        &["responder", config.to_str().expect("utf-8 path")],
    ))
}

async fn caller(client: &AmqpClientConfig) -> (Node, AmqpClient) {
    amqp_caller(client, "instances-caller", PIN).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r14_a_responder_killed_mid_call_leaves_the_request_to_the_next_instance() {
    let prefix = unique_prefix("r14");
    let (client, config) = setup(&prefix, 10);
    let first = responder(&config);
    let (caller, amqp) = caller(&client).await;
    let started = Instant::now();
    let call = tokio::spawn({
        let caller = caller.clone();
        async move {
            caller
                .act(
                    json!({"role": "load", "cmd": "slow", "i": 1, "ms": 1_500, "timeout$": 20_000}),
                )
                .await
        }
    });
    tokio::task::block_in_place(|| first.wait_line("STARTED 1", Duration::from_secs(10)));
    first.kill9();
    let second = responder(&config);
    tokio::task::block_in_place(|| second.wait_line("STARTED 1", Duration::from_secs(20)));
    let reply = call
        .await
        .expect("the call does not panic")
        .expect("the restarted responder answers the same call");
    let answered = started.elapsed();
    println!(
        "RESULT test=R14 answered_ms={} by_restarted_instance={}",
        answered.as_millis(),
        reply["instance"] == second.instance.as_str()
    );
    assert_eq!(reply, json!({"instance": second.instance, "i": 1}));
    amqp.close().await;
    assert!(second.terminate(), "a clean exit");
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_a_hung_instance_s_requests_go_to_the_other_once_its_heartbeat_lapses() {
    let prefix = unique_prefix("r16");
    let (client, config) = setup(&prefix, 2);
    let hung = responder(&config);
    let healthy = responder(&config);
    let (caller, amqp) = caller(&client).await;
    hung.signal("STOP");
    const CALLS: usize = 20;
    let answers: Vec<(Duration, Value)> = stream::iter(0..CALLS)
        .map(|i| {
            let caller = caller.clone();
            async move {
                let started = Instant::now();
                let reply = caller
                    .act(
                        json!({"role": "load", "cmd": "slow", "i": i, "ms": 0, "timeout$": 30_000}),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("call {i} is answered: {e}"));
                (started.elapsed(), reply)
            }
        })
        .buffer_unordered(CALLS)
        .collect()
        .await;
    hung.signal("CONT");
    let mut by: HashMap<String, usize> = HashMap::new();
    for (_, reply) in &answers {
        *by.entry(reply["instance"].as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
    }
    let slowest = answers.iter().map(|(d, _)| *d).max().unwrap_or_default();
    let stuck = answers
        .iter()
        .filter(|(d, _)| *d > Duration::from_secs(1))
        .count();
    println!(
        "RESULT test=R16 calls={CALLS} answered={} stuck_on_hung={stuck} slowest_ms={}",
        answers.len(),
        slowest.as_millis()
    );
    assert_eq!(answers.len(), CALLS);
    assert_eq!(
        by.get(&healthy.instance).copied(),
        Some(CALLS),
        "the stopped instance answers nothing: {by:?}"
    );
    amqp.close().await;
    drop(hung);
    assert!(healthy.terminate(), "a clean exit");
    Broker::connect().await.cleanup(&prefix).await;
}
