//! The cost of each resilience layer on the in-process act, all in the same run: no policy at
//! all, a policy for another pattern (the lookup alone), then a policy covering the act with
//! retries, with a circuit breaker, with a bulkhead, and with all three. Nothing fails here: this
//! is what a healthy act pays for being guarded.
//!
//! `cargo bench -p porticus-tests --bench resilience`
//!
//! The figures are in `docs/resilience.md`; none is asserted.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use porticus::config::{BreakerConfig, PolicyConfig};
use porticus::{ActError, Node};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize)]
struct Sum {
    left: i64,
    right: i64,
}

#[derive(Serialize)]
struct Total {
    answer: i64,
}

async fn sum(req: Sum) -> Result<Total, ActError> {
    Ok(Total {
        answer: req.left + req.right,
    })
}

fn node(policy: Option<PolicyConfig>) -> Node {
    let mut builder = Node::builder()
        .without_registered()
        .add("role:math,cmd:sum", sum)
        .add("role:math,cmd:product", sum);
    if let Some(policy) = policy {
        builder = builder.policy(policy);
    }
    builder.build().expect("bench node")
}

fn layers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let covering = || PolicyConfig::new("role:math,cmd:sum");
    let cases = [
        ("no_policy", None),
        (
            "policy_for_another_pattern",
            Some(PolicyConfig::new("role:stock").with_retries(3)),
        ),
        ("retries_3", Some(covering().with_retries(3))),
        (
            "breaker",
            Some(covering().with_breaker(BreakerConfig::default())),
        ),
        ("bulkhead_64", Some(covering().with_concurrency(64, 0))),
        (
            "all_three",
            Some(
                covering()
                    .with_retries(3)
                    .with_breaker(BreakerConfig::default())
                    .with_concurrency(64, 0),
            ),
        ),
    ];
    let msg = json!({"role": "math", "cmd": "sum", "left": 1, "right": 2});
    let mut group = c.benchmark_group("resilience_local_act");
    group.throughput(Throughput::Elements(1));
    for (name, policy) in cases {
        let node = node(policy);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let reply = node.act(black_box(msg.clone())).await;
                        black_box(reply.expect("sum replies"));
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = layers
}
criterion_main!(benches);
