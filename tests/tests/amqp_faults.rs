//! Broker-wide faults (reliability.md §3.2), each on a private RabbitMQ node of its own and one
//! at a time: every connection closed (R6), a broker outage (R7), oversized messages against the
//! framework's and the broker's limits (R11), a memory alarm blocking publishers (R17).
//!
//! Each test streams confirmed events from an emitter to a subscriber and prints
//! `RESULT test=Rn lost=… duplicated=… …`: lost = confirmed but never handled, duplicated =
//! deliveries beyond the first.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use porticus::config::{AmqpClientConfig, AmqpListenConfig};
use porticus::transport::amqp::AmqpClient;
use porticus::{ActError, Code, Node, Server};
use porticus_tests::harness::{amqp_caller, amqp_configs, listening, unique_prefix};
use porticus_tests::private_broker::PrivateBroker;
use porticus_tests::seen::Seen;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// One fault test at a time: each stops, blocks or closes a whole broker node.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A private broker, a subscriber service (`event:tick`, and `role:echo` for calls) and an
/// emitter node with a catch-all client, all with a reconnection backoff of 200 ms – 1 s.
struct Rig {
    broker: PrivateBroker,
    seen: Arc<Seen>,
    subscriber: Server,
    emitter: Node,
    emitter_client: AmqpClient,
    client_config: AmqpClientConfig,
}

fn configs(broker: &PrivateBroker, tag: &str) -> (AmqpListenConfig, AmqpClientConfig) {
    let (mut listen, mut client) = amqp_configs(&unique_prefix(tag));
    listen.url = broker.url();
    client.url = broker.url();
    listen.pin = "role:echo".into();
    listen.heartbeat_s = 2;
    client.heartbeat_s = 2;
    (listen, client)
}

impl Rig {
    async fn start(
        tag: &str,
        adjust: impl FnOnce(&mut AmqpListenConfig, &mut AmqpClientConfig),
    ) -> Rig {
        let broker = PrivateBroker::start(tag);
        let (mut listen, mut client) = configs(&broker, tag);
        adjust(&mut listen, &mut client);
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
                    Ok::<_, ActError>(json!({ "echo": msg["i"] }))
                })
                .build()
                .expect("builds")
        };
        let subscriber = node
            .start(&listening("ticks", listen))
            .await
            .expect("the subscriber starts on the private broker");
        let (emitter, amqp) = amqp_caller(&client, &format!("{tag}-emitter"), "").await;
        Rig {
            broker,
            seen,
            subscriber,
            emitter,
            emitter_client: amqp,
            client_config: client,
        }
    }

    /// Starts emitting `event:tick` with increasing numbers, each retried until confirmed.
    fn stream(&self, pace: Duration) -> Stream {
        let state = Arc::new(StreamState::default());
        let emitter = self.emitter.clone();
        let task = {
            let state = state.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while !state.stop.load(Ordering::Acquire) {
                    match emitter
                        .emit(json!({"event": "tick", "n": n, "timeout$": 30_000}))
                        .await
                    {
                        Ok(()) => {
                            state.confirmed(n);
                            n += 1;
                            tokio::time::sleep(pace).await;
                        }
                        Err(err) => {
                            state.failed(err);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            })
        };
        Stream { state, task }
    }

    /// Waits until every confirmed number was handled (or `within` passed) and returns
    /// `(lost, duplicated)`.
    async fn tally(&self, confirmed: u64, within: Duration) -> (u64, u64) {
        // Every number of the stream, not just as many distinct numbers: R11 also records an
        // event (n = 1,000,000) from outside the stream.
        let started = Instant::now();
        let missing = |counts: &HashMap<u64, u32>| (0..confirmed).any(|n| !counts.contains_key(&n));
        while missing(&self.seen.counts()) && started.elapsed() < within {
            let next = self.seen.distinct() + 1;
            Seen::wait(&[&self.seen], next, Duration::from_millis(100)).await;
        }
        let counts: HashMap<u64, u32> = self.seen.counts();
        let lost = (0..confirmed).filter(|n| !counts.contains_key(n)).count() as u64;
        let duplicated = counts.values().map(|c| u64::from(c - 1)).sum();
        (lost, duplicated)
    }

    /// Calls `role:echo` until one succeeds; returns how long that took.
    async fn call_until_answered(&self, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let reply = self
                .emitter
                .act(json!({"role": "echo", "i": 7, "timeout$": 2_000}))
                .await;
            match reply {
                Ok(reply) => {
                    assert_eq!(reply, json!({"echo": 7}));
                    return started.elapsed();
                }
                Err(err) => assert!(
                    started.elapsed() < within,
                    "calls did not resume within {within:?}: {err}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(self) {
        self.emitter.close();
        self.emitter_client.close().await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.subscriber.shutdown()).await;
        drop(self.broker);
    }
}

#[derive(Default)]
struct StreamState {
    stop: AtomicBool,
    next: AtomicU64,
    last_confirm: Mutex<Option<Instant>>,
    errors: Mutex<Vec<(Instant, ActError)>>,
}

impl StreamState {
    fn confirmed(&self, n: u64) {
        self.next.store(n + 1, Ordering::Release);
        *self
            .last_confirm
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    fn failed(&self, err: ActError) {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((Instant::now(), err));
    }
}

/// A running emitter loop.
struct Stream {
    state: Arc<StreamState>,
    task: JoinHandle<()>,
}

impl Stream {
    fn confirmed(&self) -> u64 {
        self.state.next.load(Ordering::Acquire)
    }

    /// Waits until an event is confirmed after `since`; returns how long after `since`.
    async fn resumed_after(&self, since: Instant, within: Duration) -> Duration {
        let waited = Instant::now();
        loop {
            let last = *self
                .state
                .last_confirm
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = last.filter(|at| *at > since) {
                return at - since;
            }
            assert!(
                waited.elapsed() < within,
                "no event was confirmed within {within:?} after the fault ended"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops emitting; returns (events confirmed, errors seen by the emitter).
    async fn finish(self) -> (u64, Vec<ActError>) {
        self.state.stop.store(true, Ordering::Release);
        let confirmed = {
            self.task.await.expect("the emitter loop does not panic");
            self.state.next.load(Ordering::Acquire)
        };
        let errors = std::mem::take(
            &mut *self
                .state
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        (confirmed, errors.into_iter().map(|(_, e)| e).collect())
    }
}

/// Waits until `condition` holds; returns how long that took.
async fn until(condition: impl Fn() -> bool, within: Duration) -> Duration {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < within, "not so within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// Waits until at least `count` events are confirmed.
async fn until_confirmed(stream: &Stream, count: u64) {
    let started = Instant::now();
    while stream.confirmed() < count {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {} of {count} events confirmed in 60 s",
            stream.confirmed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r7_a_broker_outage_loses_nothing_and_traffic_resumes() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = Rig::start("r7", |_, _| {}).await;
    let stream = rig.stream(Duration::from_millis(2));
    until_confirmed(&stream, 500).await;

    assert!(rig.subscriber.is_ready(), "connected: ready");
    rig.broker.stop_app();
    let down = Instant::now();
    let not_ready = until(|| !rig.subscriber.is_ready(), Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(down.elapsed())).await;
    rig.broker.start_app();
    let back = Instant::now();
    let publish_resumed = stream.resumed_after(back, Duration::from_secs(30)).await;
    let call_resumed = rig.call_until_answered(Duration::from_secs(30)).await;
    until(|| rig.subscriber.is_ready(), Duration::from_secs(30)).await;
    let at = stream.confirmed();
    until_confirmed(&stream, at + 500).await;

    let (confirmed, errors) = stream.finish().await;
    let (lost, duplicated) = rig.tally(confirmed, Duration::from_secs(30)).await;
    println!(
        "RESULT test=R7 outage_s=10 events={confirmed} lost={lost} duplicated={duplicated} not_ready_after_ms={} publish_resumed_ms={} call_resumed_ms={} emit_errors={}",
        not_ready.as_millis(),
        publish_resumed.as_millis(),
        call_resumed.as_millis(),
        errors.len()
    );
    assert_eq!(lost, 0, "every confirmed event is handled");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r6_every_connection_closed_three_times_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = Rig::start("r6", |_, _| {}).await;
    let stream = rig.stream(Duration::from_millis(1));
    until_confirmed(&stream, 300).await;
    let mut resumed = Vec::new();
    for _ in 0..3 {
        rig.broker.close_all_connections();
        let closed = Instant::now();
        resumed.push(stream.resumed_after(closed, Duration::from_secs(30)).await);
        let at = stream.confirmed();
        until_confirmed(&stream, at + 300).await;
    }
    let call = rig.call_until_answered(Duration::from_secs(30)).await;
    let (confirmed, errors) = stream.finish().await;
    let (lost, duplicated) = rig.tally(confirmed, Duration::from_secs(30)).await;
    let worst = resumed.iter().max().copied().unwrap_or_default();
    println!(
        "RESULT test=R6 closes=3 events={confirmed} lost={lost} duplicated={duplicated} max_resume_ms={} call_ms={} emit_errors={}",
        worst.as_millis(),
        call.as_millis(),
        errors.len()
    );
    assert_eq!(lost, 0, "every confirmed event is handled");
    assert!(
        errors.is_empty(),
        "the emitter never sees the closes: {errors:?}"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r11_oversized_messages_are_refused_and_the_channel_keeps_working() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = Rig::start("r11", |_, _| {}).await;
    let big = "x".repeat(2 * 1024 * 1024);

    // Over the framework's limit (1 MiB): refused before anything is sent.
    let started = Instant::now();
    let err = rig
        .emitter
        .emit(json!({"event": "tick", "n": u64::MAX, "blob": big}))
        .await
        .expect_err("2 MiB is over max_message_bytes");
    let refused_in = started.elapsed();
    assert_eq!(err.code(), &Code::PAYLOAD_TOO_LARGE, "{err}");
    assert!(err.message().contains("max_message_bytes"), "{err}");
    let err = rig
        .emitter
        .act(json!({"role": "echo", "i": 1, "blob": big}))
        .await
        .expect_err("2 MiB is over max_message_bytes");
    assert_eq!(err.code(), &Code::PAYLOAD_TOO_LARGE, "{err}");

    // Over the broker's limit only: the broker closes the publishing channel (406), the
    // caller gets an error naming it, and the next publish goes out on a new channel.
    rig.broker.ctl(&[
        "eval",
        "application:set_env(rabbit, max_message_size, 1048576).",
    ]);
    let mut client = rig.client_config.clone();
    client.max_message_bytes = 4 * 1024 * 1024;
    let (lenient, amqp) = amqp_caller(&client, "r11-lenient", "").await;
    let err = lenient
        .emit(json!({"event": "tick", "n": u64::MAX, "blob": big}))
        .await
        .expect_err("the broker refuses 2 MiB");
    assert_eq!(err.code(), &Code::TRANSPORT_UNAVAILABLE, "{err}");
    assert!(err.message().contains("PRECONDITION"), "{err}");
    lenient
        .emit(json!({"event": "tick", "n": 1_000_000}))
        .await
        .expect("the next publish goes out on a new channel");

    let stream = rig.stream(Duration::ZERO);
    until_confirmed(&stream, 1_000).await;
    let (confirmed, errors) = stream.finish().await;
    let (lost, duplicated) = rig.tally(confirmed, Duration::from_secs(30)).await;
    println!(
        "RESULT test=R11 refused_ms={} events_after={confirmed} lost={lost} duplicated={duplicated} emit_errors={}",
        refused_in.as_millis(),
        errors.len()
    );
    assert_eq!(lost, 0);
    assert!(errors.is_empty(), "{errors:?}");
    amqp.close().await;
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r17_a_memory_alarm_fails_publishes_at_their_timeout_and_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = Rig::start("r17", |_, client| client.publish_timeout_ms = 2_000).await;
    let stream = rig.stream(Duration::from_millis(2));
    until_confirmed(&stream, 300).await;

    rig.broker.memory_watermark("0.000001");
    let alarm = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    rig.broker.memory_watermark("0.4");
    let cleared = Instant::now();
    let resumed = stream.resumed_after(cleared, Duration::from_secs(30)).await;
    let at = stream.confirmed();
    until_confirmed(&stream, at + 300).await;

    let first_error = stream
        .state
        .errors
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .first()
        .map(|(at, err)| (*at - alarm, err.clone()));
    let (confirmed, errors) = stream.finish().await;
    let (lost, duplicated) = rig.tally(confirmed, Duration::from_secs(30)).await;
    let (first_error_after, first_error) = first_error.expect("blocked publishes fail");
    println!(
        "RESULT test=R17 alarm_s=5 events={confirmed} lost={lost} duplicated={duplicated} first_error_ms={} errors={} resumed_ms={}",
        first_error_after.as_millis(),
        errors.len(),
        resumed.as_millis()
    );
    assert_eq!(
        first_error.code(),
        &Code::TRANSPORT_UNAVAILABLE,
        "{first_error}"
    );
    assert!(
        first_error.message().contains("did not confirm"),
        "{first_error}"
    );
    assert_eq!(lost, 0, "every confirmed event is handled");
    rig.stop().await;
}
