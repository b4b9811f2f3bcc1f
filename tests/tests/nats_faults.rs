//! Faults over NATS: a subscriber service down while 10,000 events are emitted, killed with
//! SIGKILL five times mid-stream, and a private nats-server killed and restarted (its store
//! kept) while events stream and calls are made.
//!
//! Each prints `RESULT test=… events=… lost=… duplicated=…` (lost = emitted and stored but
//! never handled; duplicated = deliveries beyond the first of an event).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use porticus::config::{NatsClientConfig, NatsCredentials};
use porticus::transport::nats::NatsClient;
use porticus::{ActError, Node};
use porticus_tests::harness::listen_toml;
use porticus_tests::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Jet, Names};
use porticus_tests::private_nats::PrivateNats;
use porticus_tests::seen::Seen;
use porticus_tests::service_process::{amqp_node, recorded, scratch, wait_recorded, Service};
use serde_json::{json, Value};

/// The test node binary: configured by a TOML file, whatever its transport.
const NODE: &str = env!("CARGO_BIN_EXE_amqp-node");

async fn client_node(client: &NatsClientConfig, pin: &str) -> Node {
    let nats =
        NatsClient::new(client, &NatsCredentials::default(), "test-caller").expect("valid config");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    Node::builder()
        .name("test-caller")
        .without_registered()
        .client(pin, nats.clone())
        .forward_events("", nats)
        .build()
        .expect("builds")
}

/// Emits `event:tick` with `n` in `range`, 64 at a time, each stored by JetStream.
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

fn report(test: &str, counts: &HashMap<u64, u32>, total: u64, extra: &str) -> (u64, u64) {
    let lost = (0..total).filter(|n| !counts.contains_key(n)).count() as u64;
    let deliveries: u64 = counts.values().map(|c| u64::from(*c)).sum();
    let duplicated = deliveries - counts.len() as u64;
    println!("RESULT test={test} events={total} lost={lost} duplicated={duplicated}{extra}");
    (lost, duplicated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_emitted_while_the_subscriber_is_down_are_all_handled() {
    const N: u64 = 10_000;
    let names = Names::new("down");
    let (listen, mut client) = nats_configs(&names, &nats_url());
    client.publish_timeout_ms = 30_000;
    let dir = scratch(&format!("nats-down-{}", std::process::id()));
    let (config, record) = (dir.join("subscriber.toml"), dir.join("record"));
    std::fs::write(&config, listen_toml("ledger", "nats", &listen)).expect("write config");
    let args = [
        "subscriber",
        config.to_str().unwrap(),
        record.to_str().unwrap(),
    ];

    // The first start creates the service's durable consumer; then the whole service is down.
    assert!(Service::start(amqp_node(NODE, &args)).terminate());
    let emitter = client_node(&client, "role:none").await;
    let started = Instant::now();
    emit_ticks(&emitter, 0..N).await;
    let emit_s = started.elapsed().as_secs_f64();
    assert!(recorded(&record).is_empty(), "nobody consumed while down");

    let started = Instant::now();
    let subscriber = Service::start(amqp_node(NODE, &args));
    let counts = wait_recorded(&record, N as usize, Duration::from_secs(180));
    let drain_s = started.elapsed().as_secs_f64();
    let (lost, _) = report(
        "nats_subscriber_down",
        &counts,
        N,
        &format!(" emit_s={emit_s:.1} catch_up_s={drain_s:.1}"),
    );
    assert_eq!(lost, 0, "every stored event is handled");
    assert!(subscriber.terminate(), "a clean exit");
    Jet::connect(&nats_url()).await.cleanup(&names).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_killed_five_times_mid_stream_loses_nothing() {
    const N: u64 = 10_000;
    const KILLS: usize = 5;
    let names = Names::new("kill");
    let (mut listen, mut client) = nats_configs(&names, &nats_url());
    listen.event_prefetch = 50;
    client.publish_timeout_ms = 30_000;
    let dir = scratch(&format!("nats-kill-{}", std::process::id()));
    let (config, record) = (dir.join("subscriber.toml"), dir.join("record"));
    std::fs::write(&config, listen_toml("ledger", "nats", &listen)).expect("write config");
    // 5 ms per event (50 at a time), so that the kills land with deliveries in flight.
    let args = [
        "subscriber",
        config.to_str().unwrap(),
        record.to_str().unwrap(),
        "5",
    ];

    let mut subscriber = Service::start(amqp_node(NODE, &args));
    let emitter = client_node(&client, "role:none").await;
    let emitting = tokio::spawn(async move { emit_ticks(&emitter, 0..N).await });
    for kill in 1..=KILLS {
        let seen = wait_recorded(
            &record,
            kill * N as usize / (KILLS + 2),
            Duration::from_secs(120),
        );
        assert!(seen.len() < N as usize, "the kill must land mid-stream");
        subscriber.kill9();
        subscriber = Service::start(amqp_node(NODE, &args));
    }
    emitting.await.expect("every emit is stored");
    let counts = wait_recorded(&record, N as usize, Duration::from_secs(180));
    let (lost, duplicated) = report(
        "nats_subscriber_kill9",
        &counts,
        N,
        &format!(" kills={KILLS}"),
    );
    assert_eq!(lost, 0, "every stored event is handled");
    assert!(
        duplicated <= (KILLS as u64) * listen.event_prefetch as u64,
        "at most the unacked deliveries of each kill come again: {duplicated}"
    );
    assert!(subscriber.terminate());
    Jet::connect(&nats_url()).await.cleanup(&names).await;
}

/// Waits until `what` holds or `within` passed; returns how long that took.
async fn until(what: impl Fn() -> bool, within: Duration) -> Duration {
    let started = Instant::now();
    while !what() && started.elapsed() < within {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// Events emitted one after another, each retried (with the same `id$`, so JetStream stores
/// it once) until stored.
#[derive(Default)]
struct Emitting {
    stored: AtomicU64,
    stop: AtomicBool,
    errors: Mutex<Vec<String>>,
    last_stored: Mutex<Option<Instant>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_server_restarted_mid_stream_loses_nothing_and_traffic_resumes() {
    let mut server = PrivateNats::start("restart");
    let names = Names::new("restart");
    let (mut listen, mut client) = nats_configs(&names, &server.url());
    listen.pin = "role:echo".into();
    listen.reconnect_max_ms = 500;
    client.pin = "role:echo".into();
    client.reconnect_max_ms = 500;
    client.publish_timeout_ms = 2_000;

    let seen = Arc::new(Seen::default());
    let node = {
        let seen = seen.clone();
        Node::builder()
            .name("ticks")
            .without_registered()
            .subscribe("event:tick", move |ev: Value| {
                let seen = seen.clone();
                async move {
                    seen.record(ev["n"].as_u64().unwrap_or(u64::MAX));
                    Ok::<_, ActError>(())
                }
            })
            .add("role:echo", |msg: Value| async move {
                Ok::<_, ActError>(json!({"echo": msg["i"]}))
            })
            .build()
            .expect("builds")
    };
    let subscriber = node
        .start(&nats_listening("ticks", listen))
        .await
        .expect("the subscriber starts on the private server");
    let emitter = client_node(&client, "role:echo").await;

    let state = Arc::new(Emitting::default());
    let task = {
        let (state, emitter) = (state.clone(), emitter.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !state.stop.load(Ordering::Acquire) {
                let event = json!({"event": "tick", "n": n, "id$": format!("tick-{n}"), "timeout$": 30_000});
                match emitter.emit(event).await {
                    Ok(()) => {
                        n += 1;
                        state.stored.store(n, Ordering::Release);
                        *state
                            .last_stored
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    Err(err) => {
                        state
                            .errors
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(err.to_string());
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        })
    };
    until(
        || state.stored.load(Ordering::Acquire) >= 500,
        Duration::from_secs(30),
    )
    .await;
    assert!(subscriber.is_ready());

    // Down for 5 s, killed without a goodbye; its store stays.
    server.kill();
    let not_ready = until(|| !subscriber.is_ready(), Duration::from_secs(10)).await;
    assert!(!subscriber.is_ready(), "readiness follows the connection");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let stored_before = state.stored.load(Ordering::Acquire);
    let restarted = Instant::now();
    server.restart();

    let ready_again = until(|| subscriber.is_ready(), Duration::from_secs(30)).await;
    assert!(subscriber.is_ready(), "ready again once reconnected");
    let resumed = until(
        || state.stored.load(Ordering::Acquire) >= stored_before + 200,
        Duration::from_secs(60),
    )
    .await;
    assert!(
        state.stored.load(Ordering::Acquire) >= stored_before + 200,
        "publishing resumes by itself"
    );
    let call_started = Instant::now();
    let reply = loop {
        match emitter
            .act(json!({"role": "echo", "i": 7, "timeout$": 2_000}))
            .await
        {
            Ok(reply) => break reply,
            Err(err) if call_started.elapsed() < Duration::from_secs(30) => {
                let _ = err;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("calls do not resume: {err}"),
        }
    };
    assert_eq!(reply, json!({"echo": 7}));
    let since_restart = restarted.elapsed();

    state.stop.store(true, Ordering::Release);
    task.await.expect("the emitter stops");
    let stored = state.stored.load(Ordering::Acquire);
    Seen::wait(&[&seen], stored as usize, Duration::from_secs(60)).await;
    let counts = seen.counts();
    let errors = state
        .errors
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    let (lost, duplicated) = report(
        "nats_server_restart",
        &counts,
        stored,
        &format!(
            " outage_s=5 not_ready_after_ms={} ready_after_restart_ms={} publish_resumed_after_restart_ms={} calls_answered_after_restart_ms={} emit_errors={errors}",
            not_ready.as_millis(),
            ready_again.as_millis(),
            (ready_again + resumed).as_millis(),
            since_restart.as_millis()
        ),
    );
    assert_eq!(lost, 0, "every stored event is handled");
    let _ = duplicated;
    subscriber.shutdown().await.expect("clean shutdown");
}
