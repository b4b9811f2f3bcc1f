//! NATS between two processes through the local nats-server (with JetStream): Porticus beside
//! raw async-nats doing the same server work, measured in the same run.
//!
//! `cargo bench -p porticus-tests --bench nats` (server: `PORTICUS_TEST_NATS_URL`, by default
//! nats://127.0.0.1:4222)
//!
//! - RPC: a caller node with a `NatsClient` (pin `role:bench,cmd:*`) acting
//!   `role:bench,cmd:echo` on the peer's NATS listener, beside a raw async-nats request (the
//!   headers Porticus sends: `porticus-id`, `porticus-timeout-ms`, `traceparent`,
//!   `porticus-origin`) to the peer's raw responder (queue group; parses the JSON body,
//!   serializes it back, replies with headers). Round trips/s and p50/p99 at concurrency 1
//!   and 64.
//! - Events: `node.emit` over the `NatsClient` into the JetStream stream the peer's listener
//!   consumes, beside raw async-nats JetStream publishes (the same headers plus `Nats-Msg-Id`,
//!   PublishAck awaited) into a stream configured the same way, consumed by the peer's raw
//!   durable pull consumer that acks each message. Stored publishes/s at concurrency 1 and 64;
//!   after each run the consumer's backlog (not yet delivered + delivered and not yet acked)
//!   and how long the peer took to work it off (the next run waits for it).
//!
//! Three interleaved rounds. Target for the notes (never asserted): Porticus ≥ 0.9× raw
//! async-nats.
//!
//! For profiling one side alone: `NATS_BENCH_ONLY=<text>` measures only the targets whose
//! name contains it (e.g. `porticus act`), and prints no ratios.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::message::PublishMessage;
use async_nats::HeaderMap;
use porticus::config::NatsCredentials;
use porticus::transport::nats::NatsClient;
use porticus::{Node, DEFAULT_TIMEOUT_MS};
use porticus_tests::jetstream::{nats_configs, nats_url, Jet, Names};
use serde_json::{json, Value};

/// Interleaved rounds of every measurement (the machine is shared: the best round is reported).
const ROUNDS: usize = 3;

/// (concurrency, calls) of each measurement.
const RUNS: [(usize, usize); 2] = [(1, 2_000), (64, 20_000)];

/// The service name of the peer's Porticus node: its queue group and durable consumer.
const PEER_SERVICE: &str = "bench-peer";
/// The peer's raw durable consumer.
const RAW_CONSUMER: &str = "raw-bench";

/// What one measured run produced.
struct Run {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// Raw async-nats with what Porticus puts on the wire: the same headers (values of the same
/// shape), one connection for requests and JetStream publishes.
struct Raw {
    client: async_nats::Client,
    jetstream: async_nats::jetstream::Context,
    rpc_subject: String,
    /// Event subjects start with this (`<prefix>.raw.ev`).
    events: String,
    origin: String,
    /// Random per run, so that message ids never repeat within the duplicate window.
    salt: u64,
    next: AtomicU64,
}

impl Raw {
    /// `porticus-id`, `porticus-timeout-ms`, `traceparent`, `porticus-origin`, and the message
    /// part of the id.
    fn headers(&self) -> (HeaderMap, String) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mi = format!("{:012x}", (self.salt ^ n) & 0xffff_ffff_ffff);
        let mut headers = HeaderMap::new();
        headers.insert("porticus-id", format!("{mi}/{:012x}", n).as_str());
        headers.insert(
            "porticus-timeout-ms",
            DEFAULT_TIMEOUT_MS.to_string().as_str(),
        );
        headers.insert(
            "traceparent",
            format!("00-{:016x}{n:016x}-{n:016x}-01", self.salt).as_str(),
        );
        headers.insert("porticus-origin", self.origin.as_str());
        (headers, mi)
    }

    async fn call(&self, msg: &Value) -> Value {
        let body = serde_json::to_vec(msg).expect("serializable");
        let (headers, _) = self.headers();
        let reply = self
            .client
            .request_with_headers(self.rpc_subject.clone(), headers, body.into())
            .await
            .expect("raw reply");
        let failed = reply
            .headers
            .as_ref()
            .and_then(|h| h.get("porticus-error"))
            .is_some_and(|v| v.as_str() == "1");
        assert!(!failed, "raw responder failed");
        serde_json::from_slice(&reply.payload).expect("raw JSON")
    }

    async fn publish(&self, n: usize) {
        let event = json!({"event": "raw_tick", "name": "porticus", "n": n});
        let body = serde_json::to_vec(&event).expect("serializable");
        // The subject Porticus would give this event (every key, sorted, with its value).
        let subject = format!("{}.event.raw_tick.n.{n}.name.porticus", self.events);
        let (mut headers, mi) = self.headers();
        headers.insert("Nats-Msg-Id", mi.as_str());
        let message = PublishMessage::build()
            .payload(body.into())
            .headers(headers);
        self.jetstream
            .send_publish(subject, message)
            .await
            .expect("raw publish")
            .await
            .expect("raw PublishAck");
    }
}

#[derive(Clone)]
enum Target {
    PorticusAct(Node),
    RawAct(Arc<Raw>),
    PorticusEmit(Node),
    RawEmit(Arc<Raw>),
}

impl Target {
    async fn call(&self, n: usize) {
        match self {
            Target::PorticusAct(node) => {
                node.act(request()).await.expect("porticus echo");
            }
            Target::RawAct(raw) => {
                raw.call(&request()).await;
            }
            Target::PorticusEmit(node) => {
                node.emit(json!({"event": "bench_tick", "name": "porticus", "n": n}))
                    .await
                    .expect("porticus emit");
            }
            Target::RawEmit(raw) => raw.publish(n).await,
        }
    }
}

fn request() -> Value {
    json!({"role": "bench", "cmd": "echo", "left": 1, "right": 2, "name": "porticus"})
}

async fn measure(target: &Target, concurrency: usize, total: usize) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (target, next) = (target.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    let t = Instant::now();
                    target.call(n).await;
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
        rate: total as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// `  backlog <not yet delivered>+<unacked>, drained in <ms>` of consumer `consumer` on
/// `stream`: the backlog when the run ended, then how long the peer took to settle it (waited
/// for, up to a minute, so that the next run does not share the machine with it).
async fn backlog(jet: &Jet, stream: &str, consumer: &str) -> String {
    let Ok(stream) = jet.js.get_stream(stream).await else {
        return String::new();
    };
    let left = |info: &async_nats::jetstream::consumer::Info| {
        info.num_pending + info.num_ack_pending as u64
    };
    let Ok(info) = stream.consumer_info(consumer).await else {
        return String::new();
    };
    let shown = format!("  backlog {}+{}", info.num_pending, info.num_ack_pending);
    let start = Instant::now();
    let mut remaining = left(&info);
    while remaining > 0 && start.elapsed() < Duration::from_secs(60) {
        // Not more often: on a stream with many subjects, consumer info costs the server
        // enough to slow the delivery being waited for.
        tokio::time::sleep(Duration::from_millis(200)).await;
        match stream.consumer_info(consumer).await {
            Ok(info) => remaining = left(&info),
            Err(_) => break,
        }
    }
    if remaining > 0 {
        format!("{shown}, {remaining} left after a minute")
    } else {
        format!("{shown}, drained in {} ms", start.elapsed().as_millis())
    }
}

fn main() {
    let names = Names::new("bench");
    let prefix = names.prefix.clone();
    let raw_stream = format!("{}_RAW", names.stream.trim_end_matches("_EV"));
    let mut peer = Command::new(env!("CARGO_BIN_EXE_bench_peer"))
        .args(["nats", &prefix])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the bench peer");
    let mut line = String::new();
    BufReader::new(peer.stdout.take().expect("peer stdout"))
        .read_line(&mut line)
        .expect("peer READY line");
    assert_eq!(
        line.trim(),
        format!("READY {} {raw_stream}", names.stream),
        "unexpected peer output {line:?}"
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let jet = Jet::connect(&nats_url()).await;
        jet.sweep().await;
        let (_, mut client_config) = nats_configs(&names, &nats_url());
        client_config.pin = "role:bench,cmd:*".into();
        let instance = format!("bench-{prefix}");
        let client = NatsClient::new(&client_config, &NatsCredentials::default(), &instance)
            .expect("valid client config");
        client.connect().await.expect("porticus client connects");
        let caller = Node::builder()
            .without_registered()
            .name("bench-caller")
            .client("role:bench", client.clone())
            .forward_events("event:bench_tick", client)
            .build()
            .expect("caller");
        let raw_client = async_nats::connect(nats_url()).await.expect("raw connection");
        let raw = Arc::new(Raw {
            jetstream: async_nats::jetstream::ContextBuilder::new()
                .timeout(Duration::from_millis(client_config.publish_timeout_ms))
                .build(raw_client.clone()),
            client: raw_client,
            rpc_subject: format!("{prefix}.raw.rpc.echo"),
            events: format!("{prefix}.raw.ev"),
            origin: instance.clone(),
            salt: std::hash::BuildHasher::hash_one(
                &std::collections::hash_map::RandomState::new(),
                &prefix,
            ),
            next: AtomicU64::new(0),
        });

        let groups: [(&str, [(&str, Target); 2]); 2] = [
            (
                "rpc",
                [
                    ("raw nats request", Target::RawAct(raw.clone())),
                    ("porticus act", Target::PorticusAct(caller.clone())),
                ],
            ),
            (
                "events",
                [
                    ("raw js publish", Target::RawEmit(raw.clone())),
                    ("porticus emit", Target::PorticusEmit(caller.clone())),
                ],
            ),
        ];
        let only = std::env::var("NATS_BENCH_ONLY").unwrap_or_default();
        let chosen = |name: &str| name.contains(only.as_str());
        for (_, targets) in &groups {
            for (name, target) in targets {
                if chosen(name) {
                    measure(target, 16, 1_000).await; // warm up connections, streams, both sides
                }
            }
        }
        println!(
            "{:<18} {:>5} {:>10} {:>10} {:>10}",
            "target", "conc", "per second", "p50 µs", "p99 µs"
        );
        // best[group][concurrency index][target]
        let mut best = [[[0.0f64; 2]; 2]; 2];
        for round in 1..=ROUNDS {
            for (g, (_, targets)) in groups.iter().enumerate() {
                for (c, &(concurrency, total)) in RUNS.iter().enumerate() {
                    for (t, (name, target)) in targets.iter().enumerate() {
                        if !chosen(name) {
                            continue;
                        }
                        let run = measure(target, concurrency, total).await;
                        // Events the peer's consumer had not settled yet when the run ended
                        // (waiting until it has).
                        let backlog = match target {
                            Target::PorticusEmit(_) => {
                                backlog(&jet, &names.stream, PEER_SERVICE).await
                            }
                            Target::RawEmit(_) => backlog(&jet, &raw_stream, RAW_CONSUMER).await,
                            _ => String::new(),
                        };
                        println!(
                            "{name:<18} {concurrency:>5} {:>10.0} {:>10} {:>10}   (round {round}){backlog}",
                            run.rate,
                            run.p50.as_micros(),
                            run.p99.as_micros()
                        );
                        best[g][c][t] = best[g][c][t].max(run.rate);
                    }
                }
            }
        }
        for (g, (group, _)) in groups.iter().enumerate() {
            for (c, (concurrency, _)) in RUNS.iter().enumerate() {
                if best[g][c].contains(&0.0) {
                    continue;
                }
                println!(
                    "porticus / raw async-nats, {group} at concurrency {concurrency} (best of rounds): {:.2}",
                    best[g][c][1] / best[g][c][0]
                );
            }
        }
        caller.close();
        drop(peer.stdin.take());
        let _ = peer.wait();
        // The peer deleted its raw stream; delete the ones its Porticus listener created.
        jet.cleanup(&names).await;
        let _ = jet.js.delete_stream(&raw_stream).await;
    });
}
