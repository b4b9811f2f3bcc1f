//! RabbitMQ's own CPU per RPC for each AMQP feature Porticus uses: raw lapin (no Porticus), a
//! responder and a client on two connections of this process, the same closed-loop RPC with one
//! feature (or set of features) changed at a time.
//!
//! ```text
//! cargo bench -p porticus-tests --bench amqp_broker
//! PORTICUS_BENCH_SET=loo cargo bench -p porticus-tests --bench amqp_broker
//! PORTICUS_BENCH_ROUNDS=1 PORTICUS_BENCH_WARMUP_SECS=1 PORTICUS_BENCH_SECS=1 \
//!     cargo bench -p porticus-tests --bench amqp_broker
//! ```
//!
//! Broker: `PORTICUS_TEST_AMQP_URL`, by default amqp://guest:guest@127.0.0.1:5672. Its CPU is
//! read from `/proc/<pid>/stat` of the process listening on the URL's port (`ss -ltnp`, the
//! beam.smp of a local RabbitMQ; `PORTICUS_BENCH_BROKER_PID` overrides it); this process's
//! (client + responder) from `/proc/self/stat`. Both are divided by the calls completed in the
//! measured window.
//!
//! Variants (`variants.rs`): `base`, then `topic`, `mandatory`, `confirm`, `expiration`,
//! `headers`, `queue-args`, `durable(ctl)`, `direct` each alone, and `all` (every feature
//! Porticus turns on by default). Each runs at concurrency 1 and 64: `PORTICUS_BENCH_WARMUP_SECS`
//! (2) unmeasured, then `PORTICUS_BENCH_SECS` (5) measured.
//!
//! Knobs: `PORTICUS_BENCH_SET` = `main` (default), `loo` (base, all, and all with each feature
//! left out) or `focus` (base, topic, confirm, headers, direct, all); `PORTICUS_BENCH_ONLY` = a
//! comma-separated list of variant names; `PORTICUS_BENCH_ROUNDS` (3) interleaved rounds, each
//! printed, then their spread and medians. Markdown tables on stdout, progress on stderr.
//! Nothing is asserted beyond every reply being correct. Every queue and exchange name starts
//! with a `unique_prefix`; all are deleted at the end, also when a call fails.

// A bench target is a crate root: its modules are found beside it unless given a path.
#[path = "amqp_broker/cpu.rs"]
mod cpu;
#[path = "amqp_broker/rpc.rs"]
mod rpc;
#[path = "amqp_broker/variants.rs"]
mod variants;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::options::{ExchangeDeclareOptions, ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use porticus_tests::harness::{amqp_url, broker_down, unique_prefix};

use rpc::{Client, Names, Server};
use variants::Variant;

/// The concurrency levels every variant runs at.
const CONCS: [usize; 2] = [1, 64];

/// What the run was told.
struct Knobs {
    rounds: usize,
    warmup: Duration,
    measured: Duration,
    broker: Option<String>,
    clk_tck: f64,
}

/// One measured row.
#[derive(Clone, Debug)]
struct Row {
    variant: &'static str,
    conc: usize,
    ops: f64,
    p50: f64,
    p99: f64,
    /// Broker CPU µs per call (NaN when the broker's pid is unknown).
    broker_us: f64,
    /// This process's CPU µs per call.
    own_us: f64,
}

fn knob<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn secs(name: &str, default: f64) -> Duration {
    Duration::from_secs_f64(knob(name, default).max(0.0))
}

/// CPU µs per call between two tick readings.
fn per_call(a: Option<u64>, b: Option<u64>, clk_tck: f64, calls: f64) -> f64 {
    match (a, b) {
        (Some(a), Some(b)) => b.saturating_sub(a) as f64 / clk_tck * 1e6 / calls,
        _ => f64::NAN,
    }
}

/// `conc` workers calling in a closed loop; the calls completed in the measured window count.
async fn measure(client: &Arc<Client>, variant: Variant, conc: usize, knobs: &Knobs) -> Row {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..conc as i64)
        .map(|worker| {
            let (client, measuring, stop) = (client.clone(), measuring.clone(), stop.clone());
            tokio::spawn(async move {
                let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    client.call(worker, i).await;
                    let us = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
                    if measuring.load(Ordering::Relaxed) {
                        latencies.push(us);
                    }
                    i += 1;
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(knobs.warmup).await;
    let broker0 = knobs.broker.as_deref().and_then(cpu::ticks);
    let own0 = cpu::ticks("self");
    let start = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(knobs.measured).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let broker1 = knobs.broker.as_deref().and_then(cpu::ticks);
    let own1 = cpu::ticks("self");
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    latencies.sort_unstable();
    let n = latencies.len();
    let pct = |p: f64| {
        latencies
            .get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
            .map_or(f64::NAN, |&us| f64::from(us))
    };
    let calls = n.max(1) as f64;
    Row {
        variant: variant.name,
        conc,
        ops: n as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        broker_us: per_call(broker0, broker1, knobs.clk_tck, calls),
        own_us: per_call(own0, own1, knobs.clk_tck, calls),
    }
}

/// The server queue of `variant`.
fn queue_name(prefix: &str, variant: &Variant) -> String {
    format!("{prefix}.rpc.{}", variant.name.replace(['(', ')'], ""))
}

/// One variant at every concurrency, on a fresh responder, client and server queue.
async fn run_variant(url: &str, prefix: &str, names: &Names, v: Variant, k: &Knobs) -> Vec<Row> {
    let server = Server::start(url, names, v, queue_name(prefix, &v)).await;
    let client = Arc::new(Client::start(url, names, v, &server.queue).await);
    let mut rows = Vec::new();
    for conc in CONCS {
        rows.push(measure(&client, v, conc, k).await);
    }
    client.stop().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    rows
}

fn num(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        "n/a".to_owned()
    } else {
        format!("{x:.decimals$}")
    }
}

const HEADER: &str =
    "| variant | conc | ops/s | p50 µs | p99 µs | broker µs/op | client+server µs/op |\n\
                      |---|---:|---:|---:|---:|---:|---:|";

fn print_table(title: &str, rows: &[Row]) {
    println!("\n### {title}\n{HEADER}");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.variant,
            r.conc,
            num(r.ops, 0),
            num(r.p50, 0),
            num(r.p99, 0),
            num(r.broker_us, 1),
            num(r.own_us, 1)
        );
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Prints each row's min–max across rounds; returns the medians.
fn spread_and_medians(rounds: &[Vec<Row>]) -> Vec<Row> {
    println!("\n### Spread across rounds (min–max)\n{HEADER}");
    let mut medians = Vec::new();
    for (i, first) in rounds[0].iter().enumerate() {
        let column = |f: fn(&Row) -> f64| -> Vec<f64> { rounds.iter().map(|r| f(&r[i])).collect() };
        let columns = [
            column(|r| r.ops),
            column(|r| r.p50),
            column(|r| r.p99),
            column(|r| r.broker_us),
            column(|r| r.own_us),
        ];
        let ranges: Vec<String> = columns
            .iter()
            .map(|c| {
                let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                format!("{}–{}", num(lo, 1), num(hi, 1))
            })
            .collect();
        println!(
            "| {} | {} | {} |",
            first.variant,
            first.conc,
            ranges.join(" | ")
        );
        let [ops, p50, p99, broker_us, own_us] = columns.map(median);
        medians.push(Row {
            variant: first.variant,
            conc: first.conc,
            ops,
            p50,
            p99,
            broker_us,
            own_us,
        });
    }
    medians
}

/// Each median row's broker and own CPU per call relative to `base` at the same concurrency.
fn print_deltas(medians: &[Row]) {
    println!("\n### CPU µs/op vs base (medians)\n| variant | conc | broker Δ | broker Δ% | client+server Δ |\n|---|---:|---:|---:|---:|");
    for conc in CONCS {
        let Some(base) = medians
            .iter()
            .find(|r| r.variant == "base" && r.conc == conc)
        else {
            continue;
        };
        for r in medians.iter().filter(|r| r.conc == conc) {
            println!(
                "| {} | {conc} | {:+.1} | {:+.0}% | {:+.1} |",
                r.variant,
                r.broker_us - base.broker_us,
                (r.broker_us / base.broker_us - 1.0) * 100.0,
                r.own_us - base.own_us
            );
        }
    }
}

/// Declares (or, with `delete`, deletes) the run's exchanges and every queue `variants` used.
async fn declare(url: &str, names: &Names, delete: Option<(&str, &[Variant])>) {
    let connection = Connection::connect(url, ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let channel = connection.create_channel().await.expect("channel");
    if let Some((prefix, variants)) = delete {
        for v in variants {
            let queue = queue_name(prefix, v);
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        for exchange in [&names.topic, &names.dlx] {
            let _ = channel
                .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await;
        }
    } else {
        let options = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        for (exchange, kind) in [
            (&names.topic, ExchangeKind::Topic),
            (&names.dlx, ExchangeKind::Fanout),
        ] {
            channel
                .exchange_declare(
                    exchange.as_str().into(),
                    kind,
                    options,
                    FieldTable::default(),
                )
                .await
                .expect("exchange");
        }
    }
    let _ = connection.close(200, "OK".into()).await;
}

#[tokio::main]
async fn main() {
    let set = std::env::var("PORTICUS_BENCH_SET").unwrap_or_else(|_| "main".to_owned());
    let Some(mut variants) = variants::set(&set) else {
        panic!("PORTICUS_BENCH_SET={set}: not one of {}", variants::SETS);
    };
    if let Ok(only) = std::env::var("PORTICUS_BENCH_ONLY") {
        variants.retain(|v| only.split(',').any(|name| name.trim() == v.name));
    }
    let url = amqp_url();
    let knobs = Knobs {
        rounds: knob("PORTICUS_BENCH_ROUNDS", 3_usize).max(1),
        warmup: secs("PORTICUS_BENCH_WARMUP_SECS", 2.0),
        measured: secs("PORTICUS_BENCH_SECS", 5.0),
        broker: cpu::broker_pid(&url),
        clk_tck: cpu::clk_tck(),
    };
    let prefix = unique_prefix("amqp-broker");
    let names = Names {
        topic: format!("{prefix}.topic"),
        dlx: format!("{prefix}.dlx"),
    };
    println!(
        "set {set}: {} variants, {} round(s), {:?} warmup + {:?} measured per row; broker pid {}; CLK_TCK {}",
        variants.len(),
        knobs.rounds,
        knobs.warmup,
        knobs.measured,
        knobs.broker.as_deref().unwrap_or("unknown (broker CPU n/a)"),
        knobs.clk_tck
    );
    if let Some(pid) = knobs.broker.as_deref() {
        let idle = knobs.measured.min(Duration::from_secs(3));
        let before = cpu::ticks(pid);
        tokio::time::sleep(idle).await;
        let per_s = per_call(before, cpu::ticks(pid), knobs.clk_tck, idle.as_secs_f64());
        println!("idle broker CPU: {} ms/s", num(per_s / 1e3, 1));
    }

    declare(&url, &names, None).await;
    let run = Arc::new(Run {
        url,
        prefix,
        names,
        variants,
        knobs,
    });
    // Measured on a task of its own so that a failed call still reaches the cleanup.
    let outcome = tokio::spawn(measure_all(run.clone())).await;
    declare(&run.url, &run.names, Some((&run.prefix, &run.variants))).await;
    eprintln!("cleanup done");
    if let Err(failed) = outcome {
        std::panic::resume_unwind(failed.into_panic());
    }
}

/// Everything one run measures with.
struct Run {
    url: String,
    prefix: String,
    names: Names,
    variants: Vec<Variant>,
    knobs: Knobs,
}

/// Every round of every variant, each round's table, then the spread, medians and deltas.
async fn measure_all(run: Arc<Run>) {
    let mut rounds: Vec<Vec<Row>> = Vec::new();
    for round in 1..=run.knobs.rounds {
        let mut rows = Vec::new();
        for v in &run.variants {
            for r in run_variant(&run.url, &run.prefix, &run.names, *v, &run.knobs).await {
                eprintln!(
                    "round {round} {} c{}: {:.0} ops/s, broker {} µs/op, own {} µs/op",
                    r.variant,
                    r.conc,
                    r.ops,
                    num(r.broker_us, 1),
                    num(r.own_us, 1)
                );
                rows.push(r);
            }
        }
        print_table(&format!("Round {round}"), &rows);
        rounds.push(rows);
    }
    if !run.variants.is_empty() {
        let medians = spread_and_medians(&rounds);
        print_table(
            &format!("Medians over {} round(s)", run.knobs.rounds),
            &medians,
        );
        print_deltas(&medians);
    }
}
