//! HTTP RPC between two processes on loopback: Porticus (client node → HTTP transport →
//! listener node → action) beside a raw reqwest → axum JSON echo, measured in the same run.
//!
//! `cargo bench -p porticus-tests --bench http`
//!
//! Prints round trips/s and p50/p99 latency at concurrency 1 and 64, two interleaved rounds.
//! Target for the notes (never asserted): Porticus ≥ 0.8× the raw echo at concurrency 64.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use porticus::config::HttpClientConfig;
use porticus::transport::http::HttpClient;
use porticus::Node;
use serde_json::{json, Value};

/// What one measured run produced.
struct Run {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

#[derive(Clone)]
enum Target {
    Porticus(Node),
    Raw(reqwest::Client, String),
}

impl Target {
    async fn call(&self, msg: &Value) {
        match self {
            Target::Porticus(node) => {
                node.act(msg.clone()).await.expect("porticus echo");
            }
            Target::Raw(client, url) => {
                let body = serde_json::to_vec(msg).expect("serializable");
                let response = client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("raw echo");
                let bytes = response.bytes().await.expect("raw body");
                let _: Value = serde_json::from_slice(&bytes).expect("raw JSON");
            }
        }
    }
}

async fn measure(target: &Target, concurrency: usize, total: usize) -> Run {
    let msg = json!({"role": "bench", "cmd": "echo", "left": 1, "right": 2, "name": "porticus"});
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (target, msg, next) = (target.clone(), msg.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let t = Instant::now();
                    target.call(&msg).await;
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Run {
        rps: total as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn main() {
    let mut peer = Command::new(env!("CARGO_BIN_EXE_bench_peer"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the bench peer");
    let mut line = String::new();
    BufReader::new(peer.stdout.take().expect("peer stdout"))
        .read_line(&mut line)
        .expect("peer READY line");
    let urls: Vec<&str> = line.split_whitespace().collect();
    let (porticus_url, raw_url) = match urls.as_slice() {
        ["READY", p, r] => (p.to_string(), r.to_string()),
        _ => panic!("unexpected peer output {line:?}"),
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut config = HttpClientConfig::default();
        config.url = porticus_url.clone();
        let caller = Node::builder()
            .without_registered()
            .client("", HttpClient::new(&config).expect("porticus client"))
            .build()
            .expect("caller");
        let raw = reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .expect("raw client");
        let targets = [
            ("raw axum echo", Target::Raw(raw, raw_url)),
            ("porticus http", Target::Porticus(caller)),
        ];
        for (_, target) in &targets {
            measure(target, 16, 2_000).await; // warm up pools and both servers
        }
        println!(
            "{:<16} {:>5} {:>12} {:>10} {:>10}",
            "target", "conc", "round trips/s", "p50 µs", "p99 µs"
        );
        let mut at64 = [Vec::new(), Vec::new()];
        for round in 1..=2 {
            for (concurrency, total) in [(1, 4_000), (64, 40_000)] {
                for (i, (name, target)) in targets.iter().enumerate() {
                    let run = measure(target, concurrency, total).await;
                    println!(
                        "{name:<16} {concurrency:>5} {:>12.0} {:>10} {:>10}   (round {round})",
                        run.rps,
                        run.p50.as_micros(),
                        run.p99.as_micros()
                    );
                    if concurrency == 64 {
                        at64[i].push(run.rps);
                    }
                }
            }
        }
        let best = |v: &Vec<f64>| v.iter().cloned().fold(0.0, f64::max);
        println!(
            "porticus / raw at concurrency 64 (best of rounds): {:.2}",
            best(&at64[1]) / best(&at64[0])
        );
    });
    drop(peer.stdin.take());
    let _ = peer.wait();
}
