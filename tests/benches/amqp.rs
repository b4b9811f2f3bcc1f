//! AMQP between two processes through the local RabbitMQ: Porticus beside raw lapin doing the
//! same broker work, measured in the same run.
//!
//! `cargo bench -p porticus-tests --bench amqp` (broker: `PORTICUS_TEST_AMQP_URL`, by default
//! amqp://guest:guest@127.0.0.1:5672)
//!
//! - RPC: a caller node with an `AmqpClient` acting `role:bench,cmd:echo` on the peer's AMQP
//!   listener, beside a raw lapin RPC client (exclusive reply queue, correlation ids, requests
//!   transient + `mandatory` + publisher confirms awaited beside the reply, as Porticus
//!   publishes them by default) calling the peer's raw responder (acks after publishing the
//!   reply, as the Porticus listener does). Round trips/s and p50/p99 at concurrency 1 and 64.
//! - Events: `node.emit` over the `AmqpClient` to the peer's subscriber queue, beside raw lapin
//!   publishing persistent + `mandatory` with confirms to a quorum queue the peer consumes.
//!   Confirmed publishes/s at concurrency 1 and 64.
//!
//! Three interleaved rounds. Target for the notes (never asserted): Porticus ≥ 0.9× raw lapin.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::QueueDeclareOptions;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use porticus::transport::amqp::AmqpClient;
use porticus::Node;
use porticus_tests::broker::Broker;
use porticus_tests::harness::{amqp_configs, amqp_url, unique_prefix};
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// Interleaved rounds of every measurement (the machine is shared: the best round is reported).
const ROUNDS: usize = 3;

/// (concurrency, calls) of each measurement.
const RUNS: [(usize, usize); 2] = [(1, 2_000), (64, 20_000)];

/// What one measured run produced.
struct Run {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>>;

/// A minimal lapin RPC client: requests on a confirm channel, replies on an exclusive,
/// no-ack reply queue handed to their callers by correlation id.
struct RawRpc {
    channel: Channel,
    exchange: String,
    reply_queue: String,
    pending: Pending,
    next: AtomicU64,
}

impl RawRpc {
    async fn new(connection: &Connection, exchange: String) -> RawRpc {
        let channel = connection.create_channel().await.expect("channel");
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .expect("confirm mode");
        let replies = connection.create_channel().await.expect("channel");
        let queue = replies
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("declare the reply queue");
        let reply_queue = queue.name().as_str().to_owned();
        let mut consumer = replies
            .basic_consume(
                reply_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    exclusive: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("consume the reply queue");
        let pending: Pending = Arc::default();
        let waiting = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let Some(correlation) = delivery.properties.correlation_id() else {
                    continue;
                };
                let caller = waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(correlation.as_str());
                if let Some(caller) = caller {
                    let _ = caller.send(delivery.data);
                }
            }
        });
        RawRpc {
            channel,
            exchange,
            reply_queue,
            pending,
            next: AtomicU64::new(0),
        }
    }

    async fn call(&self, msg: &Value) -> Value {
        let correlation = self.next.fetch_add(1, Ordering::Relaxed).to_string();
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(correlation.clone(), tx);
        let body = serde_json::to_vec(msg).expect("serializable");
        // As Porticus sends a request by default: transient, `mandatory`, its confirm awaited
        // beside the reply.
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(1)
            .with_correlation_id(correlation.as_str().into())
            .with_reply_to(self.reply_queue.as_str().into())
            .with_expiration("30000".into());
        let confirmed =
            publish_confirmed(&self.channel, &self.exchange, "raw.echo", &body, properties);
        let ((), reply) = tokio::join!(confirmed, rx);
        serde_json::from_slice(&reply.expect("raw reply")).expect("raw JSON")
    }
}

/// Publishes `mandatory` on a confirm channel and waits for the broker's ack.
async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    key: &str,
    body: &[u8],
    properties: BasicProperties,
) {
    let confirmation = channel
        .basic_publish(
            exchange.into(),
            key.into(),
            BasicPublishOptions {
                mandatory: true,
                immediate: false,
            },
            body,
            properties,
        )
        .await
        .expect("raw publish")
        .await
        .expect("raw confirm");
    assert!(
        matches!(confirmation, Confirmation::Ack(None)),
        "raw publish not routed or nacked: {confirmation:?}"
    );
}

#[derive(Clone)]
enum Target {
    PorticusAct(Node),
    RawAct(Arc<RawRpc>),
    PorticusEmit(Node),
    RawEmit(Channel, String),
}

impl Target {
    async fn call(&self, n: usize) {
        match self {
            Target::PorticusAct(node) => {
                node.act(request()).await.expect("porticus echo");
            }
            Target::RawAct(rpc) => {
                rpc.call(&request()).await;
            }
            Target::PorticusEmit(node) => {
                node.emit(json!({"event": "bench_tick", "name": "porticus", "n": n}))
                    .await
                    .expect("porticus emit");
            }
            Target::RawEmit(channel, exchange) => {
                let body =
                    serde_json::to_vec(&json!({"event": "raw_tick", "name": "porticus", "n": n}))
                        .expect("serializable");
                // The routing key Porticus would give this event (keys in order).
                let key = format!("event.raw_tick.n.{n}.name.porticus");
                let properties = BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2);
                publish_confirmed(channel, exchange, &key, &body, properties).await;
            }
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

fn main() {
    let prefix = unique_prefix("bench");
    let mut peer = Command::new(env!("CARGO_BIN_EXE_bench_peer"))
        .args(["amqp", &prefix])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the bench peer");
    let mut line = String::new();
    BufReader::new(peer.stdout.take().expect("peer stdout"))
        .read_line(&mut line)
        .expect("peer READY line");
    assert_eq!(line.trim(), "READY", "unexpected peer output {line:?}");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (_, client_config) = amqp_configs(&prefix);
        let client = AmqpClient::new(&client_config, &format!("bench-{prefix}"))
            .expect("valid client config");
        client.connect().await.expect("porticus client connects");
        let caller = Node::builder()
            .without_registered()
            .name("bench-caller")
            .client("", client)
            .build()
            .expect("caller");
        let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
            .await
            .expect("raw connection");
        let rpc = RawRpc::new(&connection, client_config.exchange.clone()).await;
        let events = connection.create_channel().await.expect("channel");
        events
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .expect("confirm mode");

        let groups: [(&str, [(&str, Target); 2]); 2] = [
            (
                "rpc",
                [
                    ("raw lapin rpc", Target::RawAct(Arc::new(rpc))),
                    ("porticus act", Target::PorticusAct(caller.clone())),
                ],
            ),
            (
                "events",
                [
                    (
                        "raw lapin publish",
                        Target::RawEmit(events, client_config.events_exchange.clone()),
                    ),
                    ("porticus emit", Target::PorticusEmit(caller.clone())),
                ],
            ),
        ];
        for (_, targets) in &groups {
            for (_, target) in targets {
                measure(target, 16, 1_000).await; // warm up channels, queues and both sides
            }
        }
        println!(
            "{:<18} {:>5} {:>10} {:>10} {:>10}",
            "target", "conc", "per second", "p50 µs", "p99 µs"
        );
        let broker = Broker::connect().await;
        let porticus_events = format!("{prefix}.ev.bench-peer");
        let raw_events = format!("{prefix}.raw.ev");
        // best[group][concurrency index][target]
        let mut best = [[[0.0f64; 2]; 2]; 2];
        for round in 1..=ROUNDS {
            for (g, (_, targets)) in groups.iter().enumerate() {
                for (c, &(concurrency, total)) in RUNS.iter().enumerate() {
                    for (t, (name, target)) in targets.iter().enumerate() {
                        let run = measure(target, concurrency, total).await;
                        // Events the peer's subscriber had not consumed yet when the run ended.
                        let backlog = match target {
                            Target::PorticusEmit(_) => broker.depth(&porticus_events).await,
                            Target::RawEmit(..) => broker.depth(&raw_events).await,
                            _ => None,
                        }
                        .map_or_else(String::new, |n| format!("  backlog {n}"));
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
                println!(
                    "porticus / raw lapin, {group} at concurrency {concurrency} (best of rounds): {:.2}",
                    best[g][c][1] / best[g][c][0]
                );
            }
        }
        caller.close();
        let _ = connection.close(200, "bench done".into()).await;
        drop(peer.stdin.take());
        let _ = peer.wait();
        // The peer deleted its raw queues; delete the ones its Porticus listener declared
        // (they would expire a minute after their last consumer anyway), then the exchanges.
        for queue in ["add.role:bench", "dlq", "ev.bench-peer", "ev.bench-peer.dlq"] {
            broker.delete_queue(&format!("{prefix}.{queue}")).await;
        }
        broker.cleanup(&prefix).await;
    });
}
