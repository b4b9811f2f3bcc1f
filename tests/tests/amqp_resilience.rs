//! Faults a test can inject into the shared broker without touching anyone else: its own
//! connections closed by name, its own queue deleted, a graceful stop with work in flight.
//! (Broker-wide faults — outages, alarms — run on a private broker node.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use porticus::config::AmqpListenConfig;
use porticus::Code;
use porticus::{ActError, Node, Server};
use porticus_tests::broker::{close_connections_named, Broker};
use porticus_tests::harness::{amqp_caller, amqp_configs, broker_down, listening, unique_prefix};
use porticus_tests::proxy::FaultProxy;
use serde_json::{json, Value};

/// A node serving `role:work` (sleeps `ms`, counts finished runs in `runs`) from an AMQP
/// listener.
async fn worker(listen: &AmqpListenConfig, runs: Arc<AtomicU32>) -> (Node, Server) {
    worker_counting(listen, runs, Arc::default()).await
}

/// [`worker`], also counting started runs in `started`.
async fn worker_counting(
    listen: &AmqpListenConfig,
    runs: Arc<AtomicU32>,
    started: Arc<AtomicU32>,
) -> (Node, Server) {
    let node = Node::builder()
        .name("worker")
        .without_registered()
        .add("role:work", move |msg: Value| {
            let (runs, started) = (runs.clone(), started.clone());
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(msg["ms"].as_u64().unwrap_or(0))).await;
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ActError>(json!({ "done": msg["i"] }))
            }
        })
        .build()
        .expect("builds");
    let server = node
        .start(&listening("worker", listen.clone()))
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    (node, server)
}

async fn caller(prefix: &str, pin: &str) -> (Node, String) {
    let (_, client) = amqp_configs(prefix);
    caller_with(client, prefix, pin).await
}

async fn caller_with(
    mut client: porticus::config::AmqpClientConfig,
    prefix: &str,
    pin: &str,
) -> (Node, String) {
    client.pin = pin.into();
    let name = format!("{prefix}-caller");
    let (node, _) = amqp_caller(&client, &name, pin).await;
    (node, name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_connections_recover_and_calls_resume() {
    let prefix = unique_prefix("reconnect");
    let (mut listen, _) = amqp_configs(&prefix);
    listen.pin = "role:work".into();
    let runs = Arc::new(AtomicU32::new(0));
    let (node, _server) = worker(&listen, runs.clone()).await;
    let (caller, caller_name) = caller(&prefix, "role:work").await;
    for i in 0..5 {
        caller
            .act(json!({"role": "work", "i": i}))
            .await
            .expect("before the fault");
    }
    let closed = close_connections_named(node.instance()) + close_connections_named(&caller_name);
    assert_eq!(closed, 2, "the listener's and the client's connections");
    let started = Instant::now();
    let mut errors = Vec::new();
    for i in 0..20 {
        match caller
            .act(json!({"role": "work", "i": i, "timeout$": 10_000}))
            .await
        {
            Ok(reply) => assert_eq!(reply, json!({"done": i})),
            Err(err) => errors.push(err.to_string()),
        }
    }
    println!(
        "RESULT test=targeted_close connections=2 calls=20 errors={} elapsed_ms={}",
        errors.len(),
        started.elapsed().as_millis()
    );
    assert!(errors.is_empty(), "calls resume after recovery: {errors:?}");
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_request_queue_is_declared_again() {
    let prefix = unique_prefix("requeue");
    let (mut listen, _) = amqp_configs(&prefix);
    listen.pin = "role:work".into();
    let runs = Arc::new(AtomicU32::new(0));
    let (_node, server) = worker(&listen, runs).await;
    let (caller, _) = caller(&prefix, "role:work").await;
    caller
        .act(json!({"role": "work", "i": 1}))
        .await
        .expect("serves");
    let queue = server.addresses()[0]
        .split(['(', ')'])
        .nth(1)
        .expect("the queue in the address")
        .to_owned();
    Broker::connect().await.delete_queue(&queue).await;
    // The consumer is cancelled by the broker; the listener declares, binds and consumes
    // again on a fresh channel.
    let deadline = Instant::now() + Duration::from_secs(10);
    let reply = loop {
        match caller
            .act(json!({"role": "work", "i": 2, "timeout$": 2_000}))
            .await
        {
            Ok(reply) => break reply,
            Err(err) if Instant::now() < deadline => {
                eprintln!("while the queue comes back: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("the queue never came back: {err}"),
        }
    };
    assert_eq!(reply, json!({"done": 2}));
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_finishes_in_flight_work_and_requeues_the_rest() {
    let prefix = unique_prefix("drain");
    let (mut listen, _) = amqp_configs(&prefix);
    listen.pin = "role:work".into();
    listen.drain_timeout_ms = 1_000;
    let (runs, started) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let (node, server) = worker_counting(&listen, runs.clone(), started.clone()).await;
    let (caller, _) = caller(&prefix, "role:work").await;

    // Short work in flight when the stop comes: it finishes and is answered.
    let short: Vec<_> = (0..4)
        .map(|i| {
            let caller = caller.clone();
            tokio::spawn(async move {
                caller
                    .act(json!({"role": "work", "i": i, "ms": 300, "timeout$": 10_000}))
                    .await
            })
        })
        .collect();
    // Long work that outlives the drain timeout: requeued, then served by the next instance.
    let long = {
        let caller = caller.clone();
        tokio::spawn(async move {
            caller
                .act(json!({"role": "work", "i": 99, "ms": 3_000, "timeout$": 20_000}))
                .await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while started.load(Ordering::SeqCst) < 5 {
        assert!(Instant::now() < deadline, "the work never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopping = Instant::now();
    node.close();
    server.shutdown().await.expect("a clean stop");
    let stop_took = stopping.elapsed();
    for handle in short {
        let reply = handle
            .await
            .expect("joins")
            .expect("in-flight work is answered");
        assert!(reply["done"].is_number());
    }
    assert!(
        stop_took < Duration::from_millis(2_500),
        "stopped in {stop_took:?}"
    );
    let (_next, _next_server) = worker(&listen, runs.clone()).await;
    let reply = long
        .await
        .expect("joins")
        .expect("requeued and served again");
    println!(
        "RESULT test=graceful_stop stop_ms={} in_flight_answered=4 requeued_served=1",
        stop_took.as_millis()
    );
    assert_eq!(reply, json!({"done": 99}));
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_an_outage_callers_fail_only_at_their_deadline_and_calls_resume_after() {
    let proxy = FaultProxy::start().await;
    let prefix = unique_prefix("outage");
    let (mut listen, mut client) = amqp_configs(&prefix);
    for (url, min, max) in [
        (
            &mut listen.url,
            &mut listen.reconnect_min_ms,
            &mut listen.reconnect_max_ms,
        ),
        (
            &mut client.url,
            &mut client.reconnect_min_ms,
            &mut client.reconnect_max_ms,
        ),
    ] {
        *url = proxy.url();
        (*min, *max) = (50, 200);
    }
    listen.pin = "role:work".into();
    let (_node, _server) = worker(&listen, Arc::default()).await;
    let (caller, _) = caller_with(client, &prefix, "role:work").await;
    caller
        .act(json!({"role": "work", "i": 0}))
        .await
        .expect("before the outage");

    proxy.cut();
    let started = Instant::now();
    let err = caller
        .act(json!({"role": "work", "i": 1, "timeout$": 800}))
        .await
        .expect_err("the broker is unreachable");
    let waited = started.elapsed();
    assert_eq!(err.code(), &Code::TRANSPORT_UNAVAILABLE, "{err}");
    assert!(
        waited >= Duration::from_millis(750) && waited < Duration::from_millis(1_500),
        "failed after {waited:?}, not at the deadline"
    );

    proxy.restore().await;
    let started = Instant::now();
    let reply = caller
        .act(json!({"role": "work", "i": 2, "timeout$": 10_000}))
        .await
        .expect("calls resume once the broker is back");
    let resumed = started.elapsed();
    println!(
        "RESULT test=outage deadline_error={} waited_ms={} resumed_ms={}",
        err.code(),
        waited.as_millis(),
        resumed.as_millis()
    );
    assert_eq!(reply, json!({"done": 2}));
    assert!(
        resumed < Duration::from_secs(3),
        "resumed after {resumed:?}"
    );
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_whose_recovery_gives_up_stops_the_server_with_an_error() {
    let proxy = FaultProxy::start().await;
    let prefix = unique_prefix("giveup");
    let (mut listen, _) = amqp_configs(&prefix);
    listen.url = proxy.url();
    listen.pin = "role:work".into();
    listen.reconnect_min_ms = 50;
    listen.reconnect_max_ms = 100;
    listen.reconnect_max_attempts = 2;
    listen.connect_timeout_ms = 1_000;
    // A link the cut leaves half-open is noticed by heartbeats, not only by a closed socket.
    listen.heartbeat_s = 1;
    let (_node, server) = worker(&listen, Arc::default()).await;
    proxy.cut();
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        server.serve_until(std::future::pending::<()>()),
    )
    .await
    .expect("the server stops on its own instead of hanging");
    let after = started.elapsed();
    println!(
        "RESULT test=recovery_gives_up stopped_after_ms={} error={}",
        after.as_millis(),
        outcome.is_err()
    );
    let err = outcome.expect_err("serve returns the listener's error");
    assert!(err.to_string().contains("recovery gave up"), "{err}");
    Broker::connect().await.cleanup(&prefix).await;
}
