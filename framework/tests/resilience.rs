//! Retries, circuit breakers and bulkheads (`docs/resilience.md`) against the local transport
//! with seeded faults, in tokio's virtual time: every wait below is virtual, so the figures
//! printed are what the policies decided, not how busy the machine was.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use porticus::config::{BreakerConfig, Config, PolicyConfig};
use porticus::testing::Seed;
use porticus::transport::local::{FaultRule, Faults, LocalClient};
use porticus::transport::Client;
use porticus::{ActError, BoxFuture, Code, Context, Meta, Node};
use serde_json::{json, Value};
use tokio::time::Instant;

/// The message ids of every attempt, by the act's `cmd` and `n`.
type Attempts = HashMap<(String, u64), Vec<String>>;

/// A client that forwards to a [`LocalClient`] and records the message id of every attempt
/// that reaches it, by the message's `cmd` and `n`.
#[derive(Debug, Clone)]
struct Recording {
    inner: LocalClient,
    attempts: Arc<Mutex<Attempts>>,
}

impl Recording {
    fn new(inner: LocalClient) -> Self {
        Recording {
            inner,
            attempts: Arc::default(),
        }
    }

    fn attempts(&self) -> Attempts {
        self.attempts.lock().unwrap().clone()
    }

    fn total(&self) -> usize {
        self.attempts.lock().unwrap().values().map(Vec::len).sum()
    }
}

impl Client for Recording {
    fn transport(&self) -> &'static str {
        "local"
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let key = (
            msg["cmd"].as_str().unwrap_or_default().to_owned(),
            msg["n"].as_u64().unwrap_or(0),
        );
        self.attempts
            .lock()
            .unwrap()
            .entry(key)
            .or_default()
            .push(meta.message_id().to_owned());
        self.inner.act(msg, meta)
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>> {
        self.inner.emit(event, meta)
    }
}

/// Counts how often each `n` reached a handler.
#[derive(Debug, Clone, Default)]
struct Deliveries(Arc<Mutex<HashMap<u64, usize>>>);

impl Deliveries {
    fn count(&self, msg: &Value) {
        let n = msg["n"].as_u64().unwrap_or(0);
        *self.0.lock().unwrap().entry(n).or_default() += 1;
    }

    fn max(&self) -> usize {
        self.0.lock().unwrap().values().copied().max().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().values().sum()
    }
}

fn unavailable() -> ActError {
    ActError::new(Code::TRANSPORT_UNAVAILABLE, "connection refused")
}

/// The stock service: `cmd:get` is safe to repeat, `cmd:reserve` is not; both count what
/// reaches them. Every tenth `get` is refused for capacity (`overloaded`) on its first
/// delivery; every tenth `reserve` likewise.
fn stock(gets: Deliveries, reserves: Deliveries) -> Node {
    let busy = |deliveries: &Deliveries, msg: &Value| {
        let n = msg["n"].as_u64().unwrap_or(0);
        n.is_multiple_of(10) && deliveries.0.lock().unwrap().get(&n) == Some(&1)
    };
    Node::builder()
        .without_registered()
        .name("stock")
        .add("role:stock,cmd:get", move |msg: Value| {
            let gets = gets.clone();
            async move {
                gets.count(&msg);
                if busy(&gets, &msg) {
                    return Err(ActError::new(Code::OVERLOADED, "busy"));
                }
                Ok::<_, ActError>(json!({"n": msg["n"], "left": 3}))
            }
        })
        .add("role:stock,cmd:reserve", move |msg: Value| {
            let reserves = reserves.clone();
            async move {
                reserves.count(&msg);
                if busy(&reserves, &msg) {
                    return Err(ActError::new(Code::OVERLOADED, "busy"));
                }
                Ok::<_, ActError>(json!({"n": msg["n"], "reserved": true}))
            }
        })
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn idempotent_acts_ride_out_30_percent_transient_failures_and_others_are_never_sent_twice() {
    let seed = Seed::from_env();
    let (gets, reserves) = (Deliveries::default(), Deliveries::default());
    let faults = Faults::seeded(seed.value());
    faults
        .rule("role:stock", FaultRule::new().errors(0.3, unavailable()))
        .unwrap();
    let client = Recording::new(LocalClient::with_faults(
        stock(gets.clone(), reserves.clone()),
        faults,
    ));
    let policy = |pattern: &str| {
        PolicyConfig::new(pattern)
            .with_retries(10)
            .with_backoff(10, 200)
    };
    let shop = Node::builder()
        .without_registered()
        .client("role:stock", client.clone())
        .policy(policy("role:stock,cmd:get").with_idempotent(true))
        .policy(policy("role:stock,cmd:reserve"))
        .jitter_seed(seed.value())
        .build()
        .unwrap();

    const ACTS: u64 = 1_000;
    const DEADLINE: Duration = Duration::from_millis(2_000);
    let run = |cmd: &'static str| {
        join_all((1..=ACTS).map(|n| {
            let shop = shop.clone();
            async move {
                let began = Instant::now();
                let reply = shop
                    .act(json!({"role": "stock", "cmd": cmd, "n": n, "timeout$": 2_000}))
                    .await;
                (reply, began.elapsed())
            }
        }))
    };
    let (got, reserved) = tokio::join!(run("get"), run("reserve"));

    let ok = |results: &[(Result<Value, ActError>, Duration)]| {
        results.iter().filter(|(r, _)| r.is_ok()).count()
    };
    let slowest = got.iter().map(|(_, d)| *d).max().unwrap();
    let attempts = client.attempts();
    let retried = attempts.values().filter(|ids| ids.len() > 1).count();
    println!(
        "RESULT seed={seed} get_ok={}/{ACTS} get_slowest_ms={} reserve_ok={}/{ACTS} attempts={} acts_retried={retried} get_deliveries={} reserve_deliveries={}",
        ok(&got),
        slowest.as_millis(),
        ok(&reserved),
        client.total(),
        gets.total(),
        reserves.total(),
    );

    assert!(
        ok(&got) as f64 >= 0.999 * ACTS as f64,
        "idempotent acts: {} of {ACTS} succeeded (seed {seed})",
        ok(&got)
    );
    assert!(
        got.iter().all(|(_, took)| *took <= DEADLINE),
        "an act outlived its deadline"
    );
    // Refused connections are retried for both; `overloaded` only for the idempotent one.
    assert!(retried > 0);
    assert_eq!(
        reserves.max(),
        1,
        "a non-idempotent act reached its handler twice"
    );
    let busy_reserves = reserved
        .iter()
        .filter(|(r, _)| matches!(r, Err(e) if *e.code() == Code::OVERLOADED))
        .count();
    assert_eq!(
        busy_reserves,
        (ACTS / 10) as usize,
        "every tenth reserve is refused once and not retried"
    );
    assert!(gets.max() >= 2, "overloaded gets were retried");
    // Every attempt of one act carries the same message id.
    for (n, ids) in &attempts {
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "act {n:?} changed its id: {ids:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn retries_stop_before_the_deadline() {
    let faults = Faults::seeded(Seed::from_env().value());
    faults
        .rule("role:stock", FaultRule::new().errors(1.0, unavailable()))
        .unwrap();
    let client = Recording::new(LocalClient::with_faults(
        stock(Deliveries::default(), Deliveries::default()),
        faults,
    ));
    let shop = Node::builder()
        .without_registered()
        .client("role:stock", client.clone())
        .policy(
            PolicyConfig::new("role:stock")
                .with_retries(1_000)
                .with_backoff(50, 400),
        )
        .build()
        .unwrap();
    let began = Instant::now();
    let err = shop
        .act(json!({"role": "stock", "cmd": "get", "n": 1, "timeout$": 700}))
        .await
        .unwrap_err();
    let took = began.elapsed();
    println!(
        "RESULT attempts={} gave_up_after_ms={} deadline_ms=700",
        client.total(),
        took.as_millis()
    );
    assert_eq!(
        *err.code(),
        Code::TRANSPORT_UNAVAILABLE,
        "the last failure is returned"
    );
    assert!(
        took < Duration::from_millis(700),
        "no wait runs past the deadline: {took:?}"
    );
    assert!(client.total() > 1 && client.total() < 1_000);
}

#[tokio::test(start_paused = true)]
async fn a_down_dependency_trips_the_breaker_and_recovery_closes_it() {
    let deliveries = Deliveries::default();
    let faults = Faults::seeded(Seed::from_env().value());
    faults
        .rule("role:stock", FaultRule::new().errors(1.0, unavailable()))
        .unwrap();
    let client = Recording::new(LocalClient::with_faults(
        stock(deliveries.clone(), Deliveries::default()),
        faults.clone(),
    ));
    let breaker = BreakerConfig {
        failures: 0,
        failure_rate: 0.5,
        min_calls: 10,
        window_ms: 2_000,
        cooldown_ms: 1_000,
        probes: 2,
    };
    let shop = Node::builder()
        .without_registered()
        .client("role:stock", client.clone())
        .policy(PolicyConfig::new("role:stock").with_breaker(breaker))
        .build()
        .unwrap();
    let get = |n: u64| json!({"role": "stock", "cmd": "get", "n": n, "timeout$": 5_000});

    // Ten failures 50 ms apart: within the 2 s window, at the minimum of calls.
    let began = Instant::now();
    for n in 1..=10 {
        let err = shop.act(get(n)).await.unwrap_err();
        assert_eq!(*err.code(), Code::TRANSPORT_UNAVAILABLE);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tripped_after = began.elapsed();
    assert_eq!(client.total(), 10);

    let wall = std::time::Instant::now();
    let refused = shop.act(get(11)).await.unwrap_err();
    let latency = wall.elapsed();
    println!(
        "RESULT tripped_after_ms={} circuit_open_latency_us={} message={:?}",
        tripped_after.as_millis(),
        latency.as_micros(),
        refused.message()
    );
    assert_eq!(*refused.code(), Code::CIRCUIT_OPEN);
    assert_eq!(
        client.total(),
        10,
        "an open breaker does not call the dependency"
    );

    // The dependency comes back (answering in 100 ms); after the cool-down two probes close
    // the breaker.
    faults.clear();
    faults.set_delay(Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let probes = join_all((12..=14).map(|n| shop.act(get(n)))).await;
    let codes: Vec<_> = probes
        .iter()
        .map(|r| r.as_ref().err().map(|e| e.code().clone()))
        .collect();
    assert_eq!(
        codes,
        [None, None, Some(Code::CIRCUIT_OPEN)],
        "two probes at once, the third refused"
    );
    let after = join_all((21..=29).map(|n| shop.act(get(n)))).await;
    assert!(after.iter().all(Result::is_ok), "closed again: {after:?}");
    println!("RESULT delivered_after_recovery={}", deliveries.total());
}

#[tokio::test(start_paused = true)]
async fn a_bulkhead_of_4_runs_4_queues_its_bound_and_sheds_the_rest() {
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (r, m) = (running.clone(), most.clone());
    let node = Node::builder()
        .without_registered()
        .add("role:report,cmd:build", move |_: Value| {
            let (running, most) = (r.clone(), m.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, ActError>(json!("built"))
            }
        })
        .add("role:report,cmd:status", |_: Value| async {
            Ok::<_, ActError>(json!("fine"))
        })
        .policy(PolicyConfig::new("role:report,cmd:build").with_concurrency(4, 10))
        .build()
        .unwrap();

    let began = Instant::now();
    let slow = join_all((0..100).map(|_| {
        let node = node.clone();
        async move {
            let reply = node
                .act(json!({"role": "report", "cmd": "build", "timeout$": 10_000}))
                .await;
            (reply, began.elapsed())
        }
    }));
    let other = async {
        // While the 100 are in, another pattern answers at once.
        tokio::task::yield_now().await;
        let asked = Instant::now();
        let reply = node.act(json!({"role": "report", "cmd": "status"})).await;
        (reply, asked.elapsed())
    };
    let (slow, (status, status_took)) = tokio::join!(slow, other);

    let done: Vec<Duration> = slow
        .iter()
        .filter(|(r, _)| r.is_ok())
        .map(|(_, d)| *d)
        .collect();
    let shed: Vec<&(Result<Value, ActError>, Duration)> =
        slow.iter().filter(|(r, _)| r.is_err()).collect();
    println!(
        "RESULT ran_at_once={} completed={} shed={} shed_latest_ms={} last_completed_ms={} other_pattern_ms={}",
        most.load(Ordering::SeqCst),
        done.len(),
        shed.len(),
        shed.iter().map(|(_, d)| d.as_millis()).max().unwrap_or(0),
        done.iter().max().unwrap().as_millis(),
        status_took.as_millis(),
    );
    assert_eq!(most.load(Ordering::SeqCst), 4, "exactly 4 run at once");
    assert_eq!(
        done.len(),
        4 + 10,
        "the running ones and the queue's bound complete"
    );
    assert_eq!(shed.len(), 86);
    for (err, took) in &shed {
        let err = err.as_ref().unwrap_err();
        assert_eq!(*err.code(), Code::OVERLOADED);
        assert_eq!(
            err.message(),
            "`cmd:build,role:report` is at its limit of 4 concurrent acts with 10 waiting"
        );
        assert_eq!(*took, Duration::ZERO, "shed at once");
    }
    assert_eq!(status.unwrap(), json!("fine"));
    assert_eq!(
        status_took,
        Duration::ZERO,
        "another pattern is not held up"
    );
}

/// Idempotent and limited to one at a time by its attribute.
#[porticus::action("role:ledger,cmd:balance", idempotent, concurrency = 1)]
async fn balance(_: Value, _ctx: Context) -> Result<Value, ActError> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(json!({"balance": 10}))
}

/// Limited to one at a time, and not safe to repeat.
#[porticus::action("role:ledger,cmd:post", concurrency = 1)]
async fn post(_: Value) -> Result<Value, ActError> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(json!({"posted": true}))
}

#[tokio::test(start_paused = true)]
async fn the_attribute_marks_an_action_idempotent_and_limits_it() {
    let node = Node::builder()
        .policy(
            PolicyConfig::new("role:ledger")
                .with_retries(10)
                .with_backoff(50, 400),
        )
        .jitter_seed(Seed::from_env().value())
        .build()
        .unwrap();
    let three = |cmd: &'static str| {
        join_all((0..3).map(|_| node.act(json!({"role": "ledger", "cmd": cmd, "timeout$": 5_000}))))
    };
    let (balances, posts) = tokio::join!(three("balance"), three("post"));
    let overloaded = posts
        .iter()
        .filter(|r| matches!(r, Err(e) if *e.code() == Code::OVERLOADED))
        .count();
    println!(
        "RESULT balance_ok={} post_ok={} post_overloaded={overloaded}",
        balances.iter().filter(|r| r.is_ok()).count(),
        posts.iter().filter(|r| r.is_ok()).count()
    );
    assert!(
        balances.iter().all(Result::is_ok),
        "idempotent: `overloaded` is retried"
    );
    assert_eq!(
        overloaded, 2,
        "not idempotent: one runs, two are refused and not retried"
    );
}

#[test]
fn a_wrong_policy_is_refused_naming_it() {
    let config = Config::from_toml_str(
        "[[policy]]\npattern = \"role:stock\"\nqueue = 3\n\n[[policy]]\npattern = \"role:cart\"\nbreaker = { failure_rate = 2.0 }",
    )
    .unwrap();
    let err = Node::builder()
        .without_registered()
        .config(&config)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "[[policy]] 1 (pattern = \"role:stock\"): `queue = 3` needs `concurrency`: acts wait only when a limit is reached; \
         [[policy]] 2 (pattern = \"role:cart\"): breaker: `failure_rate` must be above 0 and at most 1, got 2"
    );
}
