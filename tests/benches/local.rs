//! Local `act` and `PatternIndex::find`, beside a bare `HashMap` dispatch measured in the same run.
//!
//! `cargo bench -p porticus-tests --bench local`
//!
//! Targets (for the notes, never asserted): local act ≥ 1,000,000 ops/s on one core;
//! find with 1,000 patterns ≤ 200 ns.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use porticus::pattern::{Pattern, PatternIndex};
use porticus::{ActError, Node};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

fn local_act(c: &mut Criterion) {
    let rt = runtime();
    let node = Node::builder()
        .without_registered()
        .add("role:math,cmd:sum", sum)
        .add("role:math,cmd:product", sum)
        .add("role:math,cmd:sum,integer:true", sum)
        .build()
        .expect("bench node");
    let msg = json!({"role": "math", "cmd": "sum", "left": 1, "right": 2});

    let mut group = c.benchmark_group("local_act");
    group.throughput(Throughput::Elements(1));
    group.bench_function("porticus_act_typed_4_keys", |b| {
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

    // Baseline: the least a dispatcher can do — look the handler up by a string key, decode the
    // same message into the same type, serialize the reply.
    type Bare = fn(Value) -> Value;
    let mut bare: HashMap<&'static str, Bare> = HashMap::new();
    bare.insert("cmd:sum,role:math", |v| {
        let req: Sum = serde_json::from_value(v).expect("valid");
        serde_json::to_value(Total {
            answer: req.left + req.right,
        })
        .expect("serializable")
    });
    group.bench_function("bare_hashmap_dispatch", |b| {
        b.iter(|| {
            let handler = bare[black_box("cmd:sum,role:math")];
            black_box(handler(black_box(msg.clone())))
        })
    });
    group.finish();
}

fn find_1000(c: &mut Criterion) {
    let mut index = PatternIndex::new();
    for i in 0..1000 {
        let text = match i % 4 {
            0 => format!("role:svc{},cmd:cmd{}", i % 50, i),
            1 => format!("role:svc{},cmd:cmd{},v:{}", i % 50, i, i % 3),
            2 => format!("role:svc{},cmd:*,kind:k{}", i % 50, i),
            _ => format!("role:svc{},entity:e{}", i % 50, i),
        };
        index.add(Pattern::parse(&text).expect("valid pattern"), i);
    }
    let hit = json!({"role": "svc13", "cmd": "cmd513", "v": 0, "left": 1, "right": 2});
    let miss = json!({"role": "svc13", "cmd": "nothing", "x": 1});
    let mut group = c.benchmark_group("pattern_index_find_1000");
    group.bench_function("hit", |b| b.iter(|| black_box(index.find(black_box(&hit)))));
    group.bench_function("miss", |b| {
        b.iter(|| black_box(index.find(black_box(&miss))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = local_act, find_1000
}
criterion_main!(benches);
