//! The cost of validation and schemas on the in-process act, in the same run: the same handler
//! and input type registered plain, with `schema` (nothing runs per act: the schemas are made
//! when asked for), with `validate` on a valid message, and with `validate` on a message that
//! breaks two rules (the error path: every failure collected into `details`), then the plain
//! case again, to show how much the order of the run moves the figures.
//!
//! `cargo bench -p porticus --features validate,schema --bench contracts`
//!
//! The figures are in `docs/contracts.md`; none is asserted.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use garde::Validate;
use porticus::{ActError, Node};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Deserialize, Validate, JsonSchema)]
struct Charge {
    #[garde(length(min = 1, max = 32))]
    order: String,
    #[garde(length(min = 12, max = 19))]
    card: String,
    #[garde(range(min = 1, max = 1_000_000))]
    amount_cents: u64,
}

#[derive(Serialize, JsonSchema)]
struct Receipt {
    amount_cents: u64,
}

#[porticus::action("role:pay,cmd:plain")]
async fn plain(req: Charge) -> Result<Receipt, ActError> {
    Ok(Receipt {
        amount_cents: req.amount_cents,
    })
}

#[porticus::action("role:pay,cmd:schema", schema)]
async fn with_schema(req: Charge) -> Result<Receipt, ActError> {
    Ok(Receipt {
        amount_cents: req.amount_cents,
    })
}

#[porticus::action("role:pay,cmd:validate", validate)]
async fn validated(req: Charge) -> Result<Receipt, ActError> {
    Ok(Receipt {
        amount_cents: req.amount_cents,
    })
}

fn message(cmd: &str, amount_cents: u64, card: &str) -> Value {
    json!({"role": "pay", "cmd": cmd, "order": "o-1", "card": card, "amount_cents": amount_cents})
}

fn layers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let node = Node::builder()
        .name("bench")
        .without_introspection()
        .build()
        .expect("bench node");
    let good = "4000-0000-0001";
    let cases = [
        ("plain", message("plain", 2500, good), true),
        ("schema", message("schema", 2500, good), true),
        ("validate_valid", message("validate", 2500, good), true),
        (
            "validate_invalid_2_rules",
            message("validate", 0, "4000"),
            false,
        ),
        // The first case again: how much of a difference is the order of the run.
        ("plain_again", message("plain", 2500, good), true),
    ];
    let mut group = c.benchmark_group("contracts_local_act");
    group.throughput(Throughput::Elements(1));
    for (name, msg, ok) in cases {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let reply = node.act(black_box(msg.clone())).await;
                        assert_eq!(black_box(reply).is_ok(), ok, "{name}");
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
