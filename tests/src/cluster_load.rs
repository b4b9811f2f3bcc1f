//! The load of the cluster tests (`tests/tests/amqp_cluster.rs`): a subscriber/responder
//! service, a stream of numbered confirmed events, a loop of calls, the lost/duplicated tally,
//! and the capacity measurement.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use porticus::config::{AmqpClientConfig, AmqpListenConfig, LeaderLocator, QueueType};
use porticus::{ActError, Node, Server};
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::harness::{amqp_configs, listening, unique_prefix};
use crate::seen::Seen;

/// Events of each capacity measurement.
pub const LOAD: u64 = 10_000;
/// Emits in flight during a capacity measurement.
pub const LOAD_CONCURRENCY: u64 = 64;

/// Runs a broker command (`rabbitmqctl`, `rabbitmq-server`: seconds) off the runtime's worker,
/// so that the emitter, the caller and the services keep running meanwhile.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// `urls` rotated to start at node `first`.
pub fn rotated(urls: &[String], first: usize) -> Vec<String> {
    let mut urls = urls.to_vec();
    urls.rotate_left(first);
    urls
}

/// Listener and client settings for a cluster (or a single node): quorum queues everywhere,
/// three replicas, leaders where the declaring connection is, a fast heartbeat and backoff.
pub fn configs(tag: &str, urls: &[String]) -> (AmqpListenConfig, AmqpClientConfig) {
    let (mut listen, mut client) = amqp_configs(&unique_prefix(tag));
    listen.urls = urls.to_vec();
    client.urls = urls.to_vec();
    listen.pin = "role:echo".into();
    listen.request_queue_type = QueueType::Quorum;
    listen.dead_letter_queue_type = QueueType::Quorum;
    listen.event_queue_type = QueueType::Quorum;
    listen.quorum_initial_group_size = 3;
    listen.queue_leader_locator = LeaderLocator::ClientLocal;
    listen.event_max_queue_length = 0;
    listen.event_prefetch = 64;
    listen.heartbeat_s = 2;
    client.heartbeat_s = 2;
    (listen, client)
}

/// What the subscriber instances saw: tick numbers, and a count of load events.
#[derive(Default)]
pub struct Counts {
    /// The tick numbers seen.
    pub ticks: Seen,
    /// Load events handled.
    pub load: AtomicU64,
    load_changed: Notify,
}

/// A subscriber instance: `event:tick` and `event:load` subscriber, `role:echo` responder.
pub async fn subscriber(listen: AmqpListenConfig, counts: Arc<Counts>) -> Server {
    let ticks = counts.clone();
    let node = Node::builder()
        .name("ticks")
        .without_registered()
        .subscribe("event:tick", move |ev: Value| {
            let counts = ticks.clone();
            async move {
                counts.ticks.record(ev["n"].as_u64().unwrap_or(u64::MAX));
                Ok::<_, ActError>(())
            }
        })
        .subscribe("event:load", move |_: Value| {
            let counts = counts.clone();
            async move {
                counts.load.fetch_add(1, Ordering::AcqRel);
                counts.load_changed.notify_waiters();
                Ok::<_, ActError>(())
            }
        })
        .add("role:echo", |msg: Value| async move {
            Ok::<_, ActError>(json!({ "echo": msg["i"] }))
        })
        .build()
        .expect("builds");
    node.start(&listening("ticks", listen))
        .await
        .expect("the subscriber starts on the broker")
}

/// Emits `LOAD` events with `LOAD_CONCURRENCY` in flight; returns (confirmed per second,
/// handled per second), both from the first emit.
pub async fn capacity(emitter: &Node, counts: &Counts) -> (f64, f64) {
    let before = counts.load.load(Ordering::Acquire);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<JoinHandle<()>> = (0..LOAD_CONCURRENCY)
        .map(|_| {
            let (emitter, next) = (emitter.clone(), next.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::AcqRel) < LOAD {
                    while let Err(err) = emitter.emit(json!({"event": "load"})).await {
                        eprintln!("load emit failed, again: {err}");
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("emit tasks do not panic");
    }
    let confirmed = started.elapsed();
    let within = Duration::from_secs(120);
    while counts.load.load(Ordering::Acquire) < before + LOAD {
        let changed = counts.load_changed.notified();
        if counts.load.load(Ordering::Acquire) >= before + LOAD {
            break;
        }
        assert!(
            started.elapsed() < within,
            "the subscriber handled {} of {LOAD} load events in {within:?}",
            counts.load.load(Ordering::Acquire) - before
        );
        let _ = tokio::time::timeout(Duration::from_millis(100), changed).await;
    }
    let handled = started.elapsed();
    let rate = |d: Duration| LOAD as f64 / d.as_secs_f64();
    (rate(confirmed), rate(handled))
}

/// The emitter loop of a fault run: `event:tick` numbered 0..`total`, each retried until
/// confirmed.
#[derive(Default)]
pub struct Stream {
    total: u64,
    stop: AtomicBool,
    confirmed: AtomicU64,
    /// Emits that failed (and were retried).
    pub errors: AtomicU64,
    last_confirm: Mutex<Option<Instant>>,
    /// The longest time between two confirms.
    longest_pause: Mutex<Duration>,
}

impl Stream {
    /// A stream of `total` events, not started.
    pub fn new(total: u64) -> Stream {
        Stream {
            total,
            ..Stream::default()
        }
    }

    /// Starts emitting through `emitter`.
    pub fn start(self: &Arc<Self>, emitter: Node) -> JoinHandle<()> {
        let stream = self.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while n < stream.total && !stream.stop.load(Ordering::Acquire) {
                match emitter
                    .emit(json!({"event": "tick", "n": n, "timeout$": 30_000}))
                    .await
                {
                    Ok(()) => {
                        n += 1;
                        stream.confirmed.store(n, Ordering::Release);
                        let now = Instant::now();
                        let previous = stream
                            .last_confirm
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .replace(now);
                        if let Some(previous) = previous {
                            let mut longest = stream
                                .longest_pause
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner);
                            *longest = (*longest).max(now - previous);
                        }
                    }
                    Err(err) => {
                        stream.errors.fetch_add(1, Ordering::AcqRel);
                        eprintln!("emit {n} failed, again: {err}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        })
    }

    /// How many events were confirmed so far.
    pub fn confirmed(&self) -> u64 {
        self.confirmed.load(Ordering::Acquire)
    }

    /// The longest time between two confirms since the last call (or the start), counting the
    /// time since the last confirm, and starts over.
    pub fn take_longest_pause(&self) -> Duration {
        let since_last = self
            .last_confirm
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map(|at| at.elapsed())
            .unwrap_or_default();
        let mut longest = self
            .longest_pause
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *longest).max(since_last)
    }

    /// Waits until `count` events are confirmed.
    pub async fn until(&self, count: u64) {
        let started = Instant::now();
        while self.confirmed() < count.min(self.total) {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "only {} of {count} events confirmed in 90 s",
                self.confirmed()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The RPC loop: `role:echo` calls one after another, each with a 2 s deadline.
#[derive(Default)]
pub struct Calls {
    /// Set to end the loop after the call in flight.
    pub stop: AtomicBool,
    /// Calls answered.
    pub answered: AtomicU64,
    /// Calls failed.
    pub failed: AtomicU64,
    /// For each run of failed calls, the time from the answer before it to the answer after.
    pub gaps: Mutex<Vec<Duration>>,
}

impl Calls {
    /// Starts calling through `caller`.
    pub fn start(self: &Arc<Self>, caller: Node) -> JoinHandle<()> {
        let calls = self.clone();
        tokio::spawn(async move {
            let mut last_answer = Instant::now();
            let mut failures_since = 0;
            let mut i = 0u64;
            while !calls.stop.load(Ordering::Acquire) {
                i += 1;
                let reply = caller
                    .act(json!({"role": "echo", "i": i, "timeout$": 2_000}))
                    .await;
                match reply {
                    Ok(reply) => {
                        assert_eq!(reply, json!({"echo": i}), "the answer to call {i}");
                        calls.answered.fetch_add(1, Ordering::AcqRel);
                        if failures_since > 0 {
                            calls
                                .gaps
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(last_answer.elapsed());
                        }
                        (last_answer, failures_since) = (Instant::now(), 0);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Err(err) => {
                        calls.failed.fetch_add(1, Ordering::AcqRel);
                        failures_since += 1;
                        eprintln!("call {i} failed: {err}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        })
    }
}

/// Waits until `within` for the subscribers to have seen every number below `confirmed`;
/// returns (lost, duplicated).
pub async fn tally(counts: &Counts, confirmed: u64, within: Duration) -> (u64, u64) {
    let started = Instant::now();
    while (counts.ticks.distinct() as u64) < confirmed && started.elapsed() < within {
        let next = counts.ticks.distinct() + 1;
        Seen::wait(&[&counts.ticks], next, Duration::from_millis(200)).await;
    }
    let seen = counts.ticks.counts();
    let lost = (0..confirmed).filter(|n| !seen.contains_key(n)).count() as u64;
    let duplicated = seen.values().map(|c| u64::from(c - 1)).sum();
    (lost, duplicated)
}

/// Which node each part of the load connects to first (indexes into the cluster's `urls`).
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    /// The two subscriber instances.
    pub subscribers: [usize; 2],
    /// The emitter.
    pub emitter: usize,
    /// The caller.
    pub caller: usize,
}

/// The load's parts, connected: two instances of the `event:tick` subscriber counting into
/// `counts`, an emitter and a caller (each a node with its AMQP client, to close at the end).
#[allow(missing_debug_implementations)]
pub struct Placed {
    /// What the subscriber instances handled.
    pub counts: Arc<Counts>,
    /// The two subscriber instances.
    pub instances: [Server; 2],
    /// The emitting node and its client.
    pub emitter: (Node, porticus::transport::amqp::AmqpClient),
    /// The calling node and its client.
    pub caller: (Node, porticus::transport::amqp::AmqpClient),
}

/// Connects the load to the nodes `urls` names, each part first to the node `placement` gives
/// it (then the others); `tag` names the connections.
///
/// ```no_run
/// # async fn run() {
/// use porticus_tests::cluster_load::{configs, place, Placement};
/// let urls = vec!["amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()];
/// let (listen, client) = configs("doc", &urls);
/// let at = Placement { subscribers: [0, 0], emitter: 0, caller: 0 };
/// let placed = place("doc", &urls, (&listen, &client), at).await;
/// assert!(placed.instances.iter().all(|s| s.is_ready()));
/// # }
/// ```
pub async fn place(
    tag: &str,
    urls: &[String],
    (listen, client): (&AmqpListenConfig, &AmqpClientConfig),
    at: Placement,
) -> Placed {
    let counts = Arc::new(Counts::default());
    let mut first = listen.clone();
    first.urls = rotated(urls, at.subscribers[0]);
    let mut second = listen.clone();
    second.urls = rotated(urls, at.subscribers[1]);
    let instances = [
        subscriber(first, counts.clone()).await,
        subscriber(second, counts.clone()).await,
    ];
    let mut emitter_config = client.clone();
    emitter_config.urls = rotated(urls, at.emitter);
    let mut caller_config = client.clone();
    caller_config.urls = rotated(urls, at.caller);
    let emitter = crate::harness::amqp_caller(&emitter_config, &format!("{tag}-emitter"), "").await;
    let caller = crate::harness::amqp_caller(&caller_config, &format!("{tag}-caller"), "").await;
    Placed {
        counts,
        instances,
        emitter,
        caller,
    }
}
