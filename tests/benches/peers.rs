//! The peer benchmark: Porticus beside its peers — Seneca 3, Moleculer 0.15, NestJS 12
//! microservices (RMQ transport) — and raw Rust ceilings (hyper, lapin, async-nats), every one
//! doing the same workload, measured the same way, in one run.
//!
//! ```text
//! cargo bench -p porticus-tests --bench peers
//! ONLY='^(porticus|hyper)-http$' DURATION=3 cargo bench -p porticus-tests --bench peers
//! ```
//!
//! The workload: action `{role:'math', cmd:'sum'}`, request `{left, right}` (left = worker index,
//! right = the worker's counter), reply `{answer: left + right}`, every reply checked. Closed
//! loop: `conc` workers each send a request, await its reply, send the next; `WARMUP` seconds
//! unmeasured, then `DURATION` seconds measured, for each concurrency level of `CONCS`. Remote
//! scenarios run server and client as two OS processes (the broker is the third); CPU per op
//! comes from `/proc/<pid>/stat` of each over the measured window.
//!
//! This one binary is the driver and, run as `peers peer <role> …`, the Rust side of every
//! scenario (the driver starts copies of itself); the Node.js side is `tests/peers/*.js`,
//! installed with `npm ci` under `<target>/peers`. Results: a table on stdout and in
//! `<target>/peers/results/<label>.md`, one JSON line per row in `<label>.jsonl`, the
//! processes' stderr in `<target>/peers/logs/`. docs/performance.md has the knobs and the
//! latest figures.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use porticus::ActError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The first argument that makes this binary a scenario's process instead of the driver.
const PEER_ARG: &str = "peer";

/// What a `*-metrics` scenario adds to each Porticus process's configuration: an admin
/// endpoint, which installs the Prometheus recorder (every act and event is then recorded).
const METRICS_TOML: &str = "\n[admin]\nbind = \"127.0.0.1:0\"\n";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(PEER_ARG) {
        peer::main(&args[1..]);
    } else if args.iter().any(|a| a == "--bench") {
        driver::main();
    } else {
        // `cargo test --benches` runs bench targets without `--bench`: minutes of load on a
        // shared machine are not a test.
        eprintln!("peers: run it with `cargo bench -p porticus-tests --bench peers`");
    }
}

// ------------------------------------------------------------------------------ the action

#[derive(Deserialize)]
struct Sum {
    left: i64,
    right: i64,
}

#[derive(Serialize)]
struct Answer {
    answer: i64,
}

/// The workload's action, a typed handler as a service writes one.
#[porticus::action("role:math,cmd:sum")]
async fn sum(req: Sum) -> Result<Answer, ActError> {
    Ok(Answer {
        answer: req.left + req.right,
    })
}

// ----------------------------------------------------------------------------- the workload

mod workload {
    //! The closed loop and the line protocol every client speaks to the driver (as
    //! tests/peers/load.js does): `WINDOW <conc>` when a measured window starts, `END <conc>`
    //! when it ends (the driver reads the CPU counters at both), then `RESULT {json}`.

    use super::*;

    /// Seconds and concurrency levels, from the environment.
    #[derive(Debug, Clone)]
    pub struct Settings {
        pub duration: Duration,
        pub warmup: Duration,
        pub concs: Vec<usize>,
    }

    fn seconds(name: &str, default: f64) -> Duration {
        let secs = std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(default);
        Duration::from_secs_f64(secs)
    }

    impl Settings {
        pub fn from_env() -> Settings {
            let concs = std::env::var("CONCS").unwrap_or_else(|_| "1,64".to_owned());
            let concs: Vec<usize> = concs
                .split(',')
                .filter_map(|c| c.trim().parse().ok())
                .filter(|c| *c > 0)
                .collect();
            Settings {
                duration: seconds("DURATION", 5.0),
                warmup: seconds("WARMUP", 2.0),
                concs: if concs.is_empty() { vec![1, 64] } else { concs },
            }
        }
    }

    /// What the workers of one window did.
    #[derive(Default)]
    pub struct Outcome {
        pub ok: u64,
        pub errors: u64,
        pub secs: f64,
        pub latencies_ns: Vec<u64>,
        pub last_error: Option<String>,
    }

    impl Outcome {
        fn add(&mut self, other: Outcome) {
            self.ok += other.ok;
            self.errors += other.errors;
            self.latencies_ns.extend(other.latencies_ns);
            if other.last_error.is_some() {
                self.last_error = other.last_error;
            }
        }

        fn record(&mut self, result: Result<(), String>) {
            match result {
                Ok(()) => self.ok += 1,
                Err(e) => {
                    self.errors += 1;
                    self.last_error = Some(e);
                }
            }
        }
    }

    /// `conc` workers, each running `op(worker, counter)` one at a time until `window` has
    /// passed. `timed`: every op's latency is recorded (remote rows); otherwise ops are only
    /// counted, the clock read once per batch, doubled up to 256 ops while a batch takes under
    /// 1 ms (local rows, where a clock read per op would be a visible cost).
    pub async fn closed_loop<F, Fut>(
        op: Arc<F>,
        conc: usize,
        window: Duration,
        timed: bool,
    ) -> Outcome
    where
        F: Fn(i64, i64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let start = Instant::now();
        let deadline = start + window;
        let workers: Vec<_> = (0..conc)
            .map(|w| {
                let op = op.clone();
                tokio::spawn(async move {
                    let mut out = Outcome::default();
                    let mut i = 0i64;
                    if timed {
                        loop {
                            let t0 = Instant::now();
                            if t0 >= deadline {
                                break;
                            }
                            let result = op(w as i64, i).await;
                            out.latencies_ns.push(t0.elapsed().as_nanos() as u64);
                            i += 1;
                            out.record(result);
                        }
                    } else {
                        let mut batch = 1;
                        let mut t = Instant::now();
                        while t < deadline {
                            for _ in 0..batch {
                                let result = op(w as i64, i).await;
                                i += 1;
                                out.record(result);
                            }
                            let now = Instant::now();
                            if now - t < Duration::from_millis(1) && batch < 256 {
                                batch *= 2;
                            }
                            t = now;
                            tokio::task::yield_now().await;
                        }
                    }
                    out
                })
            })
            .collect();
        let mut total = Outcome::default();
        for worker in workers {
            total.add(worker.await.expect("a worker panicked"));
        }
        total.secs = start.elapsed().as_secs_f64();
        total
    }

    /// The `p` quantile of sorted latencies, in µs (2 decimals).
    pub fn quantile_us(sorted_ns: &[u64], p: f64) -> Option<f64> {
        if sorted_ns.is_empty() {
            return None;
        }
        let rank = ((sorted_ns.len() as f64 * p).ceil() as usize).clamp(1, sorted_ns.len());
        Some((sorted_ns[rank - 1] as f64 / 10.0).round() / 100.0)
    }

    /// Warm-up, then the measured window of one concurrency level, with its protocol lines.
    pub async fn measure<F, Fut>(settings: &Settings, op: Arc<F>, conc: usize, timed: bool)
    where
        F: Fn(i64, i64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        if !settings.warmup.is_zero() {
            closed_loop(op.clone(), conc, settings.warmup, timed).await;
        }
        println!("WINDOW {conc}");
        let mut out = closed_loop(op, conc, settings.duration, timed).await;
        println!("END {conc}");
        out.latencies_ns.sort_unstable();
        let result = json!({
            "conc": conc,
            "ok": out.ok,
            "errors": out.errors,
            "secs": out.secs,
            "p50_us": quantile_us(&out.latencies_ns, 0.50),
            "p99_us": quantile_us(&out.latencies_ns, 0.99),
            "last_error": out.last_error,
        });
        println!("RESULT {result}");
    }

    /// Whether `reply` is `{answer: expect}`.
    pub fn check(reply: &Value, expect: i64) -> Result<(), String> {
        match reply.get("answer").and_then(Value::as_i64) {
            Some(answer) if answer == expect => Ok(()),
            _ => Err(format!("wrong answer {reply} (expected {expect})")),
        }
    }

    /// Whether the JSON `body` is `{answer: expect}`.
    pub fn check_bytes(body: &[u8], expect: i64) -> Result<(), String> {
        let reply: Value = serde_json::from_slice(body).map_err(|e| format!("bad reply: {e}"))?;
        check(&reply, expect)
    }

    /// The request body of the raw rows (the same message Porticus and the peers send).
    pub fn request_body(left: i64, right: i64) -> Vec<u8> {
        serde_json::to_vec(&json!({"role": "math", "cmd": "sum", "left": left, "right": right}))
            .expect("serializable")
    }

    /// The reply body of the raw servers for a request body: `{answer}`, or `None` for a
    /// request that is not `{left, right}` integers.
    pub fn reply_body(request: &[u8]) -> Option<Vec<u8>> {
        let msg: Value = serde_json::from_slice(request).ok()?;
        let answer = msg.get("left")?.as_i64()? + msg.get("right")?.as_i64()?;
        serde_json::to_vec(&json!({ "answer": answer })).ok()
    }
}

// ----------------------------------------------------------------------- the Rust processes

mod peer {
    //! `peers peer <role> [args]`: the Rust side of a scenario. Servers print `READY` once they
    //! serve; every process stops when its standard input closes (the driver stopped or died).

    use std::collections::HashMap;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    use bytes::Bytes;
    use futures_util::StreamExt;
    use http_body_util::{BodyExt, Full};
    use lapin::options::{
        BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
        QueueDeclareOptions,
    };
    use lapin::types::FieldTable;
    use lapin::{BasicProperties, Connection, ConnectionProperties};
    use porticus::config::Config;
    use porticus::Node;
    use tokio::io::AsyncReadExt;
    use tokio::sync::oneshot;

    use super::workload::{self, check, check_bytes, reply_body, request_body, Settings};
    use super::*;

    fn arg(args: &[String], i: usize) -> &str {
        args.get(i).map(String::as_str).unwrap_or_default()
    }

    fn die(what: &str, err: impl std::fmt::Display) -> ! {
        eprintln!("peers: {what}: {err}");
        std::process::exit(1)
    }

    pub fn main(args: &[String]) {
        let settings = Settings::from_env();
        let role = arg(args, 0).to_owned();
        if role == "porticus-local" {
            return local(&settings, arg(args, 1) == "metrics");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(async move {
            let a = |i| arg(args, i).to_owned();
            let port = || a(1).parse::<u16>().unwrap_or_else(|e| die("port", e));
            match role.as_str() {
                "porticus-server" => porticus_server(&a(1)).await,
                "porticus-client" => porticus_client(&settings, &a(1)).await,
                "hyper-server" => hyper_server(port()).await,
                "hyper-client" => hyper_client(&settings, port()).await,
                "lapin-server" => lapin_server(&a(1), &a(2)).await,
                "lapin-client" => lapin_client(&settings, &a(1), &a(2)).await,
                "nats-server" => nats_server(&a(1), &a(2)).await,
                "nats-client" => nats_client(&settings, &a(1), &a(2)).await,
                other => die("unknown role", other),
            }
        });
        // Whatever a client left running (connections, their tasks) ends with the process.
        std::process::exit(0);
    }

    /// Resolves when the driver closes our standard input (or dies).
    async fn stdin_closed() {
        let mut sink = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while matches!(stdin.read(&mut sink).await, Ok(n) if n > 0) {}
    }

    fn ready() {
        println!("READY");
    }

    // ------------------------------------------------------------------------- Porticus

    /// `node.act` on a node with this binary's `#[action]`: conc 1 on a current-thread runtime,
    /// more on a multi-thread runtime (one worker per core). With `metrics`, the node is first
    /// started with an admin endpoint, which installs the Prometheus recorder: every act is
    /// then recorded.
    fn local(settings: &Settings, metrics: bool) {
        let node = Node::builder()
            .build()
            .unwrap_or_else(|e| die("the node", e));
        if metrics {
            let config = config(&format!("[service]\nname = \"peers-math\"\n{METRICS_TOML}"));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            // The recorder stays installed for the process; the endpoint stops with the runtime.
            runtime.block_on(async {
                node.start(&config)
                    .await
                    .unwrap_or_else(|e| die("start", e))
                    .admin_address()
                    .unwrap_or_else(|| die("the admin endpoint", "not bound"));
            });
        }
        eprintln!(
            "peers: porticus-local serves {}",
            node.patterns().join(" | ")
        );
        let op = Arc::new(move |left: i64, right: i64| {
            let node = node.clone();
            async move { act(&node, left, right).await }
        });
        for &conc in &settings.concs {
            let runtime = if conc == 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
            }
            .expect("a tokio runtime");
            runtime.block_on(workload::measure(settings, op.clone(), conc, false));
        }
    }

    async fn act(node: &Node, left: i64, right: i64) -> Result<(), String> {
        let msg = json!({"role": "math", "cmd": "sum", "left": left, "right": right});
        match node.act(msg).await {
            Ok(reply) => check(&reply, left + right),
            Err(err) => Err(err.to_string()),
        }
    }

    fn config(toml: &str) -> Config {
        Config::from_toml_str(toml).unwrap_or_else(|e| die("configuration", e))
    }

    /// A service: the node built from the `[[listen]]` TOML document `toml` with every
    /// `#[action]` of this binary, serving until stdin closes.
    async fn porticus_server(toml: &str) {
        let config = config(toml);
        let node = Node::builder()
            .config(&config)
            .build()
            .unwrap_or_else(|e| die("the node", e));
        let server = node
            .start(&config)
            .await
            .unwrap_or_else(|e| die("start", e));
        eprintln!(
            "peers: {} serves {} on {}",
            node.instance(),
            node.patterns().join(" | "),
            server.addresses().join(", ")
        );
        ready();
        if let Err(e) = server.serve_until(stdin_closed()).await {
            die("serve", e);
        }
    }

    /// A caller: a node without handlers (a local `#[action]` would answer before its client)
    /// acting through the `[[client]]` of the TOML document `toml`.
    async fn porticus_client(settings: &Settings, toml: &str) {
        let config = config(toml);
        let node = Node::builder()
            .without_registered()
            .config(&config)
            .build()
            .unwrap_or_else(|e| die("the node", e));
        // With `[admin]`, started: the caller records its acts too.
        let _admin = match config.admin.bind {
            Some(_) => Some(
                node.start(&config)
                    .await
                    .unwrap_or_else(|e| die("start", e)),
            ),
            None => None,
        };
        let op = Arc::new(move |left: i64, right: i64| {
            let node = node.clone();
            async move { act(&node, left, right).await }
        });
        for &conc in &settings.concs {
            workload::measure(settings, op.clone(), conc, true).await;
        }
    }

    // ---------------------------------------------------------------------------- hyper

    async fn hyper_handle(
        req: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let (status, out) = match reply_body(&body) {
            Some(out) => (200, out),
            None => (400, b"{\"error\":\"bad request\"}".to_vec()),
        };
        Ok(hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(out)))
            .expect("a response"))
    }

    /// A minimal HTTP/1.1 JSON service on hyper: parse the body, answer.
    async fn hyper_server(port: u16) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| die("bind", e));
        ready();
        let accept = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, hyper::service::service_fn(hyper_handle))
                        .await;
                });
            }
        };
        tokio::select! {
            () = accept => {}
            () = stdin_closed() => {}
        }
    }

    type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

    /// A hyper client with one keep-alive connection per worker.
    async fn hyper_client(settings: &Settings, port: u16) {
        let most = settings.concs.iter().copied().max().unwrap_or(1);
        let mut senders = Vec::with_capacity(most);
        for _ in 0..most {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap_or_else(|e| die("connect", e));
            let _ = stream.set_nodelay(true);
            let (sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .unwrap_or_else(|e| die("handshake", e));
            tokio::spawn(connection);
            senders.push(tokio::sync::Mutex::new(sender));
        }
        let senders: Arc<Vec<tokio::sync::Mutex<Sender>>> = Arc::new(senders);
        let op = Arc::new(move |left: i64, right: i64| {
            let senders = senders.clone();
            async move {
                let request = hyper::Request::post("/act")
                    .header("host", "127.0.0.1")
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(request_body(left, right))))
                    .map_err(|e| e.to_string())?;
                let mut sender = senders[left as usize].lock().await;
                sender.ready().await.map_err(|e| e.to_string())?;
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(|e| e.to_string())?;
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                check_bytes(&body, left + right)
            }
        });
        for &conc in &settings.concs {
            workload::measure(settings, op.clone(), conc, true).await;
        }
    }

    // ---------------------------------------------------------------------------- lapin

    async fn amqp_connect(url: &str) -> Connection {
        Connection::connect(url, ConnectionProperties::default())
            .await
            .unwrap_or_else(|e| die("AMQP connect", e))
    }

    /// Raw lapin RPC responder: consumes `queue` with manual acks (prefetch 64), one delivery
    /// after the other: publishes the reply to its `reply_to` with its `correlation_id`, then
    /// acks it.
    async fn lapin_server(url: &str, queue: &str) {
        let connection = amqp_connect(url).await;
        let channel = connection
            .create_channel()
            .await
            .unwrap_or_else(|e| die("channel", e));
        channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap_or_else(|e| die("declare", e));
        channel
            .basic_qos(64, BasicQosOptions::default())
            .await
            .unwrap_or_else(|e| die("qos", e));
        let mut requests = channel
            .basic_consume(
                queue.into(),
                "peers-lapin-server".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap_or_else(|e| die("consume", e));
        ready();
        let serve = async {
            while let Some(Ok(delivery)) = requests.next().await {
                let out = reply_body(&delivery.data).unwrap_or_default();
                if let Some(reply_to) = delivery.properties.reply_to() {
                    let mut properties =
                        BasicProperties::default().with_content_type("application/json".into());
                    if let Some(correlation) = delivery.properties.correlation_id() {
                        properties = properties.with_correlation_id(correlation.clone());
                    }
                    let _ = channel
                        .basic_publish(
                            "".into(),
                            reply_to.clone(),
                            BasicPublishOptions::default(),
                            &out,
                            properties,
                        )
                        .await;
                }
                let _ = delivery.acker.ack(BasicAckOptions::default()).await;
            }
        };
        tokio::select! {
            () = serve => {}
            () = stdin_closed() => {}
        }
        let _ = connection.close(200, "done".into()).await;
    }

    type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Vec<u8>>>>>;

    /// Raw lapin RPC caller: publishes each request to `queue` (default exchange) with
    /// `reply_to` = its exclusive reply queue and a `correlation_id`; one consumer (no-ack)
    /// hands the replies to their callers.
    async fn lapin_client(settings: &Settings, url: &str, queue: &str) {
        let connection = amqp_connect(url).await;
        let requests = connection
            .create_channel()
            .await
            .unwrap_or_else(|e| die("channel", e));
        let replies = connection
            .create_channel()
            .await
            .unwrap_or_else(|e| die("channel", e));
        let reply_queue = replies
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
            .unwrap_or_else(|e| die("declare", e))
            .name()
            .as_str()
            .to_owned();
        let mut consumer = replies
            .basic_consume(
                reply_queue.as_str().into(),
                "peers-lapin-client".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    exclusive: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap_or_else(|e| die("consume", e));
        let pending: Pending = Arc::default();
        let waiting = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let id = delivery
                    .properties
                    .correlation_id()
                    .as_ref()
                    .and_then(|c| c.as_str().parse::<u64>().ok());
                let caller = id.and_then(|id| waiting.lock().expect("pending").remove(&id));
                if let Some(caller) = caller {
                    let _ = caller.send(delivery.data);
                }
            }
        });
        let next = Arc::new(AtomicU64::new(0));
        let queue: Arc<str> = queue.into();
        let reply_queue: Arc<str> = reply_queue.into();
        let op = Arc::new(move |left: i64, right: i64| {
            let (requests, pending, next) = (requests.clone(), pending.clone(), next.clone());
            let (queue, reply_queue) = (queue.clone(), reply_queue.clone());
            async move {
                let id = next.fetch_add(1, Ordering::Relaxed);
                let (tx, rx) = oneshot::channel();
                pending.lock().expect("pending").insert(id, tx);
                let properties = BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_reply_to(reply_queue.as_ref().into())
                    .with_correlation_id(id.to_string().as_str().into());
                let published = requests
                    .basic_publish(
                        "".into(),
                        queue.as_ref().into(),
                        BasicPublishOptions::default(),
                        &request_body(left, right),
                        properties,
                    )
                    .await;
                if let Err(e) = published {
                    pending.lock().expect("pending").remove(&id);
                    return Err(e.to_string());
                }
                match tokio::time::timeout(Duration::from_secs(10), rx).await {
                    Ok(Ok(body)) => check_bytes(&body, left + right),
                    _ => {
                        pending.lock().expect("pending").remove(&id);
                        Err("no reply within 10 s".to_owned())
                    }
                }
            }
        });
        for &conc in &settings.concs {
            workload::measure(settings, op.clone(), conc, true).await;
        }
        let _ = connection.close(200, "done".into()).await;
    }

    // ----------------------------------------------------------------------- async-nats

    /// Raw async-nats responder on `subject` (queue group `peers-raw`).
    async fn nats_server(url: &str, subject: &str) {
        let client = async_nats::connect(url)
            .await
            .unwrap_or_else(|e| die("NATS connect", e));
        let mut requests = client
            .queue_subscribe(subject.to_owned(), "peers-raw".to_owned())
            .await
            .unwrap_or_else(|e| die("subscribe", e));
        client.flush().await.unwrap_or_else(|e| die("flush", e));
        ready();
        let serve = async {
            while let Some(msg) = requests.next().await {
                let Some(reply) = msg.reply else { continue };
                let out = reply_body(&msg.payload).unwrap_or_default();
                let _ = client.publish(reply, out.into()).await;
            }
        };
        tokio::select! {
            () = serve => {}
            () = stdin_closed() => {}
        }
    }

    /// Raw async-nats caller: `client.request` on `subject`.
    async fn nats_client(settings: &Settings, url: &str, subject: &str) {
        let client = async_nats::connect(url)
            .await
            .unwrap_or_else(|e| die("NATS connect", e));
        let subject: Arc<str> = subject.into();
        let op = Arc::new(move |left: i64, right: i64| {
            let (client, subject) = (client.clone(), subject.clone());
            async move {
                let reply = client
                    .request(subject.to_string(), request_body(left, right).into())
                    .await
                    .map_err(|e| e.to_string())?;
                check_bytes(&reply.payload, left + right)
            }
        });
        for &conc in &settings.concs {
            workload::measure(settings, op.clone(), conc, true).await;
        }
    }
}

// -------------------------------------------------------------------------------- the driver

mod driver {
    //! Starts each scenario's processes, reads their CPU counters over each measured window,
    //! and reports.

    use std::fmt::Write as _;
    use std::io::{BufRead, BufReader, Write as _};
    use std::path::{Path, PathBuf};
    use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
    use std::sync::mpsc::{Receiver, RecvTimeoutError};

    use regex::Regex;

    use super::workload::Settings;
    use super::*;

    // ------------------------------------------------------------------- names, ports
    // As porticus_tests' harness makes them. (This bench does not link porticus_tests: its
    // `#[action]`s would join the benchmarked nodes.)

    /// The broker: `$PORTICUS_TEST_AMQP_URL`, else the local RabbitMQ.
    fn amqp_url() -> String {
        std::env::var("PORTICUS_TEST_AMQP_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| porticus::config::DEFAULT_AMQP_URL.to_owned())
    }

    /// The NATS server: `$PORTICUS_TEST_NATS_URL`, else the local one (with JetStream).
    fn nats_url() -> String {
        std::env::var("PORTICUS_TEST_NATS_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| porticus::config::DEFAULT_NATS_URL.to_owned())
    }

    /// A port of 127.0.0.1 that was free a moment ago.
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("bind an ephemeral port")
    }

    /// A name prefix used by nothing else: `pt.peers.<pid>.<n>`.
    fn unique_prefix() -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("pt.peers.{}.{n}", std::process::id())
    }

    /// NATS subject prefix and stream names unique to a scenario; the streams are named
    /// `PT_<pid>_…` as the tests name theirs, so that their sweep removes what a killed run
    /// left.
    struct Names {
        prefix: String,
        stream: String,
        dead_letters: String,
    }

    impl Names {
        fn new() -> Names {
            let prefix = unique_prefix();
            let token = prefix.replace('.', "_").to_ascii_uppercase();
            let token = format!("PT_{}_{token}", std::process::id());
            Names {
                prefix,
                stream: format!("{token}_EV"),
                dead_letters: format!("{token}_DLQ"),
            }
        }
    }

    // ----------------------------------------------------------------------- scenarios

    /// The broker a scenario goes through (its CPU is counted).
    #[derive(Clone, Copy, PartialEq)]
    enum Broker {
        None,
        Amqp,
        Nats,
    }

    /// Broker objects a scenario deletes when it is done.
    enum Cleanup {
        None,
        Amqp {
            queues: Vec<String>,
            exchanges: Vec<String>,
        },
        Nats {
            streams: Vec<String>,
        },
    }

    /// One attempt of a scenario: its processes (fresh ports and names).
    struct Plan {
        server: Option<Command>,
        client: Command,
        broker: Broker,
        cleanup: Cleanup,
    }

    struct Scenario {
        name: &'static str,
        what: &'static str,
        node: bool,
        local: bool,
        plan: fn(&Env) -> Plan,
    }

    /// What the plans need.
    struct Env {
        settings: Settings,
        exe: PathBuf,
        peers: PathBuf,
        amqp: String,
        nats: String,
    }

    impl Env {
        fn rust(&self, args: &[&str]) -> Command {
            let mut command = Command::new(&self.exe);
            command.arg(PEER_ARG).args(args);
            self.settings_env(&mut command);
            command
        }

        fn node(&self, script: &str, args: &[&str]) -> Command {
            let mut command = Command::new("node");
            command.arg(script).args(args).current_dir(&self.peers);
            self.settings_env(&mut command);
            command
        }

        fn settings_env(&self, command: &mut Command) {
            let s = &self.settings;
            let concs: Vec<String> = s.concs.iter().map(ToString::to_string).collect();
            command
                .env("DURATION", s.duration.as_secs_f64().to_string())
                .env("WARMUP", s.warmup.as_secs_f64().to_string())
                .env("CONCS", concs.join(","))
                .env("AMQP_URL", &self.amqp);
        }
    }

    fn local(client: Command) -> Plan {
        Plan {
            server: None,
            client,
            broker: Broker::None,
            cleanup: Cleanup::None,
        }
    }

    /// `porticus-http`, each side's configuration followed by `extra` (`METRICS_TOML` or "").
    fn porticus_http(env: &Env, extra: &str) -> Plan {
        let port = free_port();
        remote(
            env.rust(&["porticus-server", &(http_server_toml(port) + extra)]),
            env.rust(&["porticus-client", &(http_client_toml(port) + extra)]),
            Broker::None,
            Cleanup::None,
        )
    }

    /// `porticus-amqp`, each side's configuration followed by `extra` (`METRICS_TOML` or "").
    fn porticus_amqp(env: &Env, extra: &str) -> Plan {
        let p = unique_prefix();
        remote(
            env.rust(&[
                "porticus-server",
                &(amqp_server_toml(&env.amqp, &p) + extra),
            ]),
            env.rust(&[
                "porticus-client",
                &(amqp_client_toml(&env.amqp, &p) + extra),
            ]),
            Broker::Amqp,
            amqp_cleanup(&p),
        )
    }

    fn remote(server: Command, client: Command, broker: Broker, cleanup: Cleanup) -> Plan {
        Plan {
            server: Some(server),
            client,
            broker,
            cleanup,
        }
    }

    fn http_server_toml(port: u16) -> String {
        format!(
            "[service]\nname = \"peers-math\"\n\n[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:{port}\"\n"
        )
    }

    fn http_client_toml(port: u16) -> String {
        format!(
            "[service]\nname = \"peers-caller\"\n\n[[client]]\ntype = \"http\"\nurl = \"http://127.0.0.1:{port}/act\"\npin = \"role:math,cmd:*\"\n"
        )
    }

    /// Every setting at its default but the names (unique to the run), queue expiry and
    /// auto-delete exchanges (nothing left behind) and a short drain (a quick stop).
    fn amqp_server_toml(url: &str, p: &str) -> String {
        format!(
            r#"[service]
name = "peers-math"

[[listen]]
type = "amqp"
url = "{url}"
pin = "role:math,cmd:*"
exchange = "{p}.topic"
queue = "{p}.requests"
dead_letter_exchange = "{p}.dlx"
dead_letter_queue = "{p}.dlq"
events_exchange = "{p}.events"
event_queue_prefix = "{p}.ev"
event_dead_letter_exchange = "{p}.ev.dlx"
queue_expires_ms = 60000
exchange_auto_delete = true
drain_timeout_ms = 2000
"#
        )
    }

    fn amqp_client_toml(url: &str, p: &str) -> String {
        format!(
            r#"[service]
name = "peers-caller"

[[client]]
type = "amqp"
url = "{url}"
pin = "role:math,cmd:*"
exchange = "{p}.topic"
reply_queue_prefix = "{p}.act"
events_exchange = "{p}.events"
exchange_auto_delete = true
"#
        )
    }

    fn nats_server_toml(url: &str, names: &Names) -> String {
        format!(
            r#"[service]
name = "peers-math"

[[listen]]
type = "nats"
url = "{url}"
pin = "role:math,cmd:*"
subject_prefix = "{}"
stream = "{}"
dead_letter_stream = "{}"
drain_timeout_ms = 2000
"#,
            names.prefix, names.stream, names.dead_letters
        )
    }

    fn nats_client_toml(url: &str, names: &Names) -> String {
        format!(
            "[service]\nname = \"peers-caller\"\n\n[[client]]\ntype = \"nats\"\nurl = \"{url}\"\npin = \"role:math,cmd:*\"\nsubject_prefix = \"{}\"\n",
            names.prefix
        )
    }

    fn amqp_cleanup(p: &str) -> Cleanup {
        Cleanup::Amqp {
            queues: vec![format!("{p}.requests"), format!("{p}.dlq")],
            exchanges: ["topic", "dlx", "events", "ev.dlx"]
                .iter()
                .map(|s| format!("{p}.{s}"))
                .collect(),
        }
    }

    fn scenarios() -> Vec<Scenario> {
        vec![
            Scenario {
                name: "porticus-local",
                what: "node.act on a node with a typed #[porticus::action]",
                node: false,
                local: true,
                plan: |env| local(env.rust(&["porticus-local"])),
            },
            Scenario {
                name: "porticus-local-metrics",
                what: "porticus-local with the Prometheus recorder installed",
                node: false,
                local: true,
                plan: |env| local(env.rust(&["porticus-local", "metrics"])),
            },
            Scenario {
                name: "moleculer-local",
                what: "broker.call, no transporter",
                node: true,
                local: true,
                plan: |env| local(env.node("moleculer.js", &["local"])),
            },
            Scenario {
                name: "seneca-local",
                what: "seneca.act (promisified)",
                node: true,
                local: true,
                plan: |env| local(env.node("seneca.js", &["local"])),
            },
            Scenario {
                name: "porticus-http",
                what: "[[listen]] http / [[client]] http",
                node: false,
                local: false,
                plan: |env| porticus_http(env, ""),
            },
            Scenario {
                name: "porticus-http-metrics",
                what: "porticus-http with an admin endpoint (metrics recorded) on both sides",
                node: false,
                local: false,
                plan: |env| porticus_http(env, METRICS_TOML),
            },
            Scenario {
                name: "hyper-http",
                what: "raw hyper 1 server + client, 1 keep-alive conn per worker",
                node: false,
                local: false,
                plan: |env| {
                    let port = free_port().to_string();
                    remote(
                        env.rust(&["hyper-server", &port]),
                        env.rust(&["hyper-client", &port]),
                        Broker::None,
                        Cleanup::None,
                    )
                },
            },
            Scenario {
                name: "moleculer-tcp",
                what: "two brokers, TCP transporter, static urls",
                node: true,
                local: false,
                plan: |env| {
                    let (p1, p2) = (free_port().to_string(), free_port().to_string());
                    let ns = unique_prefix().replace('.', "-");
                    let mut server = env.node("moleculer.js", &["tcp-server"]);
                    let mut client = env.node("moleculer.js", &["tcp-client"]);
                    for c in [&mut server, &mut client] {
                        c.env("PEERS_PORT", &p1)
                            .env("PEERS_PORT2", &p2)
                            .env("PEERS_NS", &ns);
                    }
                    remote(server, client, Broker::None, Cleanup::None)
                },
            },
            Scenario {
                name: "seneca-http",
                what: "seneca-transport http listen / client",
                node: true,
                local: false,
                plan: |env| {
                    let port = free_port().to_string();
                    let mut server = env.node("seneca.js", &["http-server"]);
                    let mut client = env.node("seneca.js", &["http-client"]);
                    server.env("PEERS_PORT", &port);
                    client.env("PEERS_PORT", &port);
                    remote(server, client, Broker::None, Cleanup::None)
                },
            },
            Scenario {
                name: "porticus-amqp",
                what: "[[listen]] amqp / [[client]] amqp, defaults",
                node: false,
                local: false,
                plan: |env| porticus_amqp(env, ""),
            },
            Scenario {
                name: "porticus-amqp-metrics",
                what: "porticus-amqp with an admin endpoint (metrics recorded) on both sides",
                node: false,
                local: false,
                plan: |env| porticus_amqp(env, METRICS_TOML),
            },
            Scenario {
                name: "lapin-rpc-ack",
                what: "raw lapin RPC, manual ack after the reply, prefetch 64",
                node: false,
                local: false,
                plan: |env| {
                    let queue = format!("{}.rpc", unique_prefix());
                    remote(
                        env.rust(&["lapin-server", &env.amqp, &queue]),
                        env.rust(&["lapin-client", &env.amqp, &queue]),
                        Broker::Amqp,
                        Cleanup::Amqp {
                            queues: vec![queue.clone()],
                            exchanges: Vec::new(),
                        },
                    )
                },
            },
            Scenario {
                name: "nest-rmq",
                what: "NestJS createMicroservice(Transport.RMQ) + ClientProxy.send",
                node: true,
                local: false,
                plan: |env| {
                    let queue = format!("{}.nest", unique_prefix());
                    let mut server = env.node("nest-rmq.js", &["server"]);
                    let mut client = env.node("nest-rmq.js", &["client"]);
                    server.env("PEERS_QUEUE", &queue);
                    client.env("PEERS_QUEUE", &queue);
                    remote(
                        server,
                        client,
                        Broker::Amqp,
                        Cleanup::Amqp {
                            queues: vec![queue.clone()],
                            exchanges: Vec::new(),
                        },
                    )
                },
            },
            Scenario {
                name: "porticus-nats",
                what: "[[listen]] nats / [[client]] nats, defaults",
                node: false,
                local: false,
                plan: |env| {
                    let names = Names::new();
                    remote(
                        env.rust(&["porticus-server", &nats_server_toml(&env.nats, &names)]),
                        env.rust(&["porticus-client", &nats_client_toml(&env.nats, &names)]),
                        Broker::Nats,
                        Cleanup::Nats {
                            streams: vec![names.stream.clone(), names.dead_letters.clone()],
                        },
                    )
                },
            },
            Scenario {
                name: "nats-raw",
                what: "raw async-nats request / queue-group responder",
                node: false,
                local: false,
                plan: |env| {
                    let subject = format!("{}.rpc", unique_prefix());
                    remote(
                        env.rust(&["nats-server", &env.nats, &subject]),
                        env.rust(&["nats-client", &env.nats, &subject]),
                        Broker::Nats,
                        Cleanup::None,
                    )
                },
            },
        ]
    }

    /// (Porticus row, peer or ceiling row, goal of issue 10 for the ops/s ratio).
    const RATIOS: [(&str, &str, Option<f64>); 11] = [
        ("porticus-local", "moleculer-local", Some(1.5)),
        ("porticus-local", "seneca-local", None),
        ("porticus-http", "hyper-http", Some(0.8)),
        ("porticus-http", "moleculer-tcp", Some(1.5)),
        ("porticus-http", "seneca-http", None),
        ("porticus-amqp", "nest-rmq", Some(1.2)),
        ("porticus-amqp", "lapin-rpc-ack", Some(0.9)),
        // Issue 11: what recording metrics costs, against the same row without.
        ("porticus-local-metrics", "porticus-local", Some(0.85)),
        ("porticus-http-metrics", "porticus-http", Some(0.95)),
        ("porticus-amqp-metrics", "porticus-amqp", Some(0.95)),
        ("porticus-nats", "nats-raw", None),
    ];

    // ------------------------------------------------------------------------ settings

    struct Options {
        only: Regex,
        skip: Option<Regex>,
        label: String,
        retries: usize,
        quiet_pct: f64,
        quiet_max: Duration,
    }

    fn env_or(name: &str, default: &str) -> String {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    fn options() -> Options {
        let regex = |name: &str, text: &str| {
            Regex::new(text).unwrap_or_else(|e| panic!("{name}={text:?} is no regex: {e}"))
        };
        Options {
            only: regex("ONLY", &env_or("ONLY", ".")),
            skip: std::env::var("SKIP")
                .ok()
                .filter(|s| !s.is_empty())
                .map(|s| regex("SKIP", &s)),
            label: env_or(
                "LABEL",
                &format!("run-{}", shell("date", &["+%Y%m%d-%H%M%S"]).trim()),
            ),
            retries: env_or("RETRIES", "1").parse().unwrap_or(1),
            quiet_pct: env_or("QUIET_PCT", "30").parse().unwrap_or(30.0),
            quiet_max: Duration::from_secs(env_or("QUIET_MAX", "30").parse().unwrap_or(30)),
        }
    }

    fn shell(program: &str, args: &[&str]) -> String {
        Command::new(program)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    }

    fn target_dir() -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
    }

    fn say(text: &str) {
        eprintln!("[{}] {text}", shell("date", &["+%H:%M:%S"]));
    }

    // ----------------------------------------------------------------------- npm install

    /// Installs the pinned npm packages of tests/peers into `dir` (`npm ci`, once, under a
    /// file lock) and copies the scripts there.
    fn prepare_node(dir: &Path) {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
        std::fs::create_dir_all(dir).expect("create <target>/peers");
        let lock = std::fs::File::create(dir.join(".lock")).expect("create the install lock");
        lock.lock().expect("lock the npm install");
        for file in ["package.json", "package-lock.json"] {
            let (from, to) = (source.join(file), dir.join(file));
            if std::fs::read(&from).ok() != std::fs::read(&to).ok() {
                std::fs::copy(&from, &to).expect("copy the npm manifest");
                let _ = std::fs::remove_file(dir.join("node_modules/.installed"));
            }
        }
        if !dir.join("node_modules/.installed").exists() {
            say("npm ci (tests/peers/package-lock.json)");
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(dir)
                .status()
                .expect("npm is needed for the Node.js peers (node 20 + npm)");
            assert!(
                status.success(),
                "npm ci in {} failed: {status}",
                dir.display()
            );
            std::fs::write(dir.join("node_modules/.installed"), b"ok").expect("mark installed");
        }
        for entry in std::fs::read_dir(&source).expect("read tests/peers") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "js") {
                std::fs::copy(&path, dir.join(path.file_name().expect("a name")))
                    .expect("copy a peer script");
            }
        }
    }

    // ------------------------------------------------------------------------- processes

    /// Why a process has no next line.
    enum Ended {
        TimedOut,
        Exited,
    }

    /// A started process, stopped (stdin closed, then killed) when dropped.
    struct Proc {
        name: String,
        child: Child,
        stdin: Option<ChildStdin>,
        lines: Receiver<String>,
    }

    impl Proc {
        fn start(name: &str, mut command: Command, log: &Path) -> Proc {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("open a log file");
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("start {name}: {e}"));
            let stdout = child.stdout.take().expect("piped stdout");
            let (tx, lines) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            Proc {
                name: name.to_owned(),
                stdin: child.stdin.take(),
                child,
                lines,
            }
        }

        fn pid(&self) -> u32 {
            self.child.id()
        }

        /// The next stdout line, waiting until `until` at most.
        fn line(&self, until: Instant) -> Result<String, Ended> {
            let left = until.saturating_duration_since(Instant::now());
            self.lines.recv_timeout(left).map_err(|e| match e {
                RecvTimeoutError::Timeout => Ended::TimedOut,
                RecvTimeoutError::Disconnected => Ended::Exited,
            })
        }

        /// Waits (up to `within`) for the line `READY`.
        fn ready(&self, within: Duration) -> Result<(), String> {
            let until = Instant::now() + within;
            loop {
                match self.line(until) {
                    Ok(line) if line.starts_with("READY") => return Ok(()),
                    Ok(_) => {}
                    Err(Ended::TimedOut) => {
                        return Err(format!("{}: not ready in time", self.name))
                    }
                    Err(Ended::Exited) => {
                        return Err(format!("{}: exited before READY", self.name))
                    }
                }
            }
        }

        /// Closes stdin (the process stops by itself), waits up to `within`, then kills it.
        fn stop(&mut self, within: Duration) -> Option<ExitStatus> {
            drop(self.stdin.take());
            let until = Instant::now() + within;
            loop {
                match self.child.try_wait() {
                    Ok(Some(status)) => return Some(status),
                    Ok(None) if Instant::now() < until => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    _ => {
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        return None;
                    }
                }
            }
        }
    }

    impl Drop for Proc {
        fn drop(&mut self) {
            self.stop(Duration::from_secs(5));
        }
    }

    // --------------------------------------------------------------------------- CPU

    /// utime + stime of `pid`, in clock ticks.
    fn ticks(pid: u32) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    }

    /// (busy, total) jiffies of the whole machine.
    fn machine() -> (u64, u64) {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let v: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|x| x.parse().ok())
            .collect();
        let total: u64 = v.iter().sum();
        let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
        (total.saturating_sub(idle), total)
    }

    /// Whole-machine busy %, over `over` (100 = every core busy).
    fn busy_pct(over: Duration) -> f64 {
        let (b0, t0) = machine();
        std::thread::sleep(over);
        let (b1, t1) = machine();
        100.0 * (b1 - b0) as f64 / (t1 - t0).max(1) as f64
    }

    fn ncpu() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    /// The pid listening on 127.0.0.1:`port` (the broker), from `ss`.
    fn listener_pid(port: u16) -> Option<u32> {
        let out = shell("ss", &["-ltnpH", &format!("sport = :{port}")]);
        let at = out.find("pid=")? + 4;
        out[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()
    }

    fn url_port(url: &str, default: u16) -> u16 {
        let authority = url.split("://").nth(1).unwrap_or(url);
        let host = authority.split('/').next().unwrap_or(authority);
        let host = host.rsplit('@').next().unwrap_or(host);
        host.rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(default)
    }

    /// CPU counters at one instant: client, server, broker (ticks), machine.
    struct Snapshot {
        at: Instant,
        ticks: [Option<u64>; 3],
        machine: (u64, u64),
    }

    fn snapshot(pids: &[Option<u32>; 3]) -> Snapshot {
        Snapshot {
            at: Instant::now(),
            ticks: pids.map(|p| p.and_then(ticks)),
            machine: machine(),
        }
    }

    /// CPU over a window: per process, µs of CPU time and % of one core.
    struct Cpu {
        us: [Option<f64>; 3],
        pct: [Option<f64>; 3],
        box_pct: f64,
    }

    fn cpu(a: &Snapshot, b: &Snapshot, clk_tck: f64) -> Cpu {
        let secs = (b.at - a.at).as_secs_f64().max(1e-9);
        let mut us = [None; 3];
        let mut pct = [None; 3];
        for i in 0..3 {
            if let (Some(x), Some(y)) = (a.ticks[i], b.ticks[i]) {
                let cpu_secs = y.saturating_sub(x) as f64 / clk_tck;
                us[i] = Some(cpu_secs * 1e6);
                pct[i] = Some(100.0 * cpu_secs / secs);
            }
        }
        let busy = b.machine.0.saturating_sub(a.machine.0) as f64;
        let total = b.machine.1.saturating_sub(a.machine.1).max(1) as f64;
        Cpu {
            us,
            pct,
            box_pct: 100.0 * busy / total,
        }
    }

    // ----------------------------------------------------------------------------- rows

    /// One (scenario, conc) row.
    struct Row {
        scenario: &'static str,
        what: &'static str,
        local: bool,
        conc: usize,
        ok: u64,
        errors: u64,
        secs: f64,
        p50: Option<f64>,
        p99: Option<f64>,
        last_error: Option<String>,
        /// CPU µs per op: client, server, broker.
        cpu_per_op: [Option<f64>; 3],
        cpu_pct: [Option<f64>; 3],
        box_pct: f64,
        busy_before: f64,
        attempt: usize,
    }

    impl Row {
        fn ops_s(&self) -> f64 {
            self.ok as f64 / self.secs.max(1e-9)
        }

        fn cpu_total(&self) -> Option<f64> {
            let parts: Vec<f64> = self.cpu_per_op.iter().flatten().copied().collect();
            (!parts.is_empty()).then(|| parts.iter().sum())
        }

        /// CPU used by processes outside the measurement, in % of one core.
        fn other_pct(&self) -> f64 {
            let ours: f64 = self.cpu_pct.iter().flatten().sum();
            (self.box_pct * ncpu() as f64 - ours).max(0.0)
        }

        fn json(&self, label: &str) -> Value {
            let r1 = |x: Option<f64>| x.map(|v| (v * 10.0).round() / 10.0);
            let mut row = json!({
                "label": label,
                "scenario": self.scenario,
                "what": self.what,
                "conc": self.conc,
                "ok": self.ok,
                "errors": self.errors,
                "secs": (self.secs * 1000.0).round() / 1000.0,
                "ops_s": self.ops_s().round(),
                "p50_us": self.p50,
                "p99_us": self.p99,
                "cpu_us_per_op": {
                    "client": r1(self.cpu_per_op[0]),
                    "server": r1(self.cpu_per_op[1]),
                    "broker": r1(self.cpu_per_op[2]),
                    "total": r1(self.cpu_total()),
                },
                "cpu_pct": {
                    "client": r1(self.cpu_pct[0]),
                    "server": r1(self.cpu_pct[1]),
                    "broker": r1(self.cpu_pct[2]),
                    "box": r1(Some(self.box_pct)),
                    "other": r1(Some(self.other_pct())),
                    "ncpu": ncpu(),
                },
                "busy_before_pct": r1(Some(self.busy_before)),
                "attempt": self.attempt,
            });
            if self.local {
                row["ns_per_op"] = json!((1e10 / self.ops_s().max(1e-9)).round() / 10.0);
            }
            if let Some(e) = &self.last_error {
                row["last_error"] = json!(e);
            }
            row
        }
    }

    // ---------------------------------------------------------------------- running

    struct Runner {
        env: Env,
        logs: PathBuf,
        label: String,
        clk_tck: f64,
        amqp_pid: Option<u32>,
        nats_pid: Option<u32>,
    }

    impl Runner {
        fn broker_pid(&self, broker: Broker) -> Option<u32> {
            match broker {
                Broker::None => None,
                Broker::Amqp => self.amqp_pid,
                Broker::Nats => self.nats_pid,
            }
        }

        /// One attempt: `Err` when a process failed; rows with errors are returned as rows.
        /// What the scenario declared on its broker is deleted afterwards, whatever happened.
        fn attempt(
            &self,
            s: &Scenario,
            busy_before: f64,
            attempt: usize,
        ) -> Result<Vec<Row>, String> {
            let mut plan = (s.plan)(&self.env);
            let cleanup = std::mem::replace(&mut plan.cleanup, Cleanup::None);
            let outcome = self.run(s, plan, busy_before, attempt);
            self.cleanup(cleanup);
            outcome
        }

        /// Starts the server (if any) and the client of `plan`, and reads the client's rows;
        /// both processes are stopped on return.
        fn run(
            &self,
            s: &Scenario,
            plan: Plan,
            busy_before: f64,
            attempt: usize,
        ) -> Result<Vec<Row>, String> {
            let log = |side: &str| {
                self.logs
                    .join(format!("{}.{}.{side}.log", self.label, s.name))
            };
            let server = match plan.server {
                Some(command) => {
                    let server =
                        Proc::start(&format!("{} server", s.name), command, &log("server"));
                    server.ready(Duration::from_secs(60))?;
                    Some(server)
                }
                None => None,
            };
            let mut client =
                Proc::start(&format!("{} client", s.name), plan.client, &log("client"));
            let pids = [
                Some(client.pid()),
                server.as_ref().map(Proc::pid),
                self.broker_pid(plan.broker),
            ];
            let settings = &self.env.settings;
            let per_level = settings.warmup + settings.duration;
            let until =
                Instant::now() + per_level * settings.concs.len() as u32 + Duration::from_secs(120);
            let mut rows = Vec::new();
            let mut window: Option<Snapshot> = None;
            let mut measured: Option<Cpu> = None;
            let outcome = loop {
                let line = match client.line(until) {
                    Ok(line) => line,
                    Err(Ended::Exited) => break Ok(()),
                    Err(Ended::TimedOut) => break Err(format!("{}: client timed out", s.name)),
                };
                if line.starts_with("WINDOW ") {
                    window = Some(snapshot(&pids));
                } else if line.starts_with("END ") {
                    let end = snapshot(&pids);
                    measured = window.take().map(|w| cpu(&w, &end, self.clk_tck));
                } else if let Some(result) = line.strip_prefix("RESULT ") {
                    let r: Value = serde_json::from_str(result)
                        .map_err(|e| format!("{}: bad RESULT {result:?}: {e}", s.name))?;
                    let cpu = measured.take().ok_or("RESULT without a window")?;
                    let ok = r["ok"].as_u64().unwrap_or(0);
                    let per_op = cpu.us.map(|us| us.map(|u| u / ok.max(1) as f64));
                    rows.push(Row {
                        scenario: s.name,
                        what: s.what,
                        local: s.local,
                        conc: r["conc"].as_u64().unwrap_or(0) as usize,
                        ok,
                        errors: r["errors"].as_u64().unwrap_or(0),
                        secs: r["secs"].as_f64().unwrap_or(0.0),
                        p50: r["p50_us"].as_f64(),
                        p99: r["p99_us"].as_f64(),
                        last_error: r["last_error"].as_str().map(str::to_owned),
                        cpu_per_op: per_op,
                        cpu_pct: cpu.pct,
                        box_pct: cpu.box_pct,
                        busy_before,
                        attempt,
                    });
                }
            };
            let status = client.stop(Duration::from_secs(10));
            drop(server);
            outcome?;
            match status {
                Some(status) if status.success() => {}
                other => {
                    return Err(format!(
                        "{} client failed ({other:?}); see {}",
                        s.name,
                        log("client").display()
                    ))
                }
            }
            if rows.len() != settings.concs.len() {
                return Err(format!(
                    "{}: {} rows, expected {}",
                    s.name,
                    rows.len(),
                    settings.concs.len()
                ));
            }
            Ok(rows)
        }

        /// Deletes what a scenario left on its broker (errors ignored: housekeeping).
        fn cleanup(&self, cleanup: Cleanup) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            let step = Duration::from_secs(5);
            runtime.block_on(async {
                match cleanup {
                    Cleanup::None => {}
                    Cleanup::Amqp { queues, exchanges } => {
                        let connect = lapin::Connection::connect(
                            &self.env.amqp,
                            lapin::ConnectionProperties::default(),
                        );
                        let Ok(Ok(connection)) = tokio::time::timeout(step, connect).await else {
                            return;
                        };
                        for queue in &queues {
                            if let Ok(Ok(channel)) =
                                tokio::time::timeout(step, connection.create_channel()).await
                            {
                                let delete =
                                    channel.queue_delete(queue.as_str().into(), Default::default());
                                let _ = tokio::time::timeout(step, delete).await;
                            }
                        }
                        for exchange in &exchanges {
                            if let Ok(Ok(channel)) =
                                tokio::time::timeout(step, connection.create_channel()).await
                            {
                                let delete = channel
                                    .exchange_delete(exchange.as_str().into(), Default::default());
                                let _ = tokio::time::timeout(step, delete).await;
                            }
                        }
                        let _ =
                            tokio::time::timeout(step, connection.close(200, "done".into())).await;
                    }
                    Cleanup::Nats { streams } => {
                        let Ok(Ok(client)) =
                            tokio::time::timeout(step, async_nats::connect(&self.env.nats)).await
                        else {
                            return;
                        };
                        let js = async_nats::jetstream::new(client);
                        for stream in &streams {
                            let _ = tokio::time::timeout(step, js.delete_stream(stream)).await;
                        }
                    }
                }
            });
        }
    }

    /// Waits (at most `max`) until the machine is under `pct` % busy; returns the last reading.
    fn wait_quiet(pct: f64, max: Duration) -> f64 {
        let until = Instant::now() + max;
        loop {
            let busy = busy_pct(Duration::from_secs(1));
            if busy < pct || Instant::now() >= until {
                return busy;
            }
        }
    }

    // ----------------------------------------------------------------------- reporting

    fn thousands(x: f64) -> String {
        let digits = format!("{:.0}", x.round());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 && c != '-' {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    fn us(x: Option<f64>) -> String {
        match x {
            None => "–".to_owned(),
            Some(v) if v >= 1000.0 => thousands(v),
            Some(v) if v >= 10.0 => format!("{v:.1}"),
            Some(v) => format!("{v:.2}"),
        }
    }

    fn table(rows: &[Row]) -> String {
        let mut out = String::from(
            "| scenario | conc | ops/s | p50 µs | p99 µs | CPU µs/op client | server | broker | total | errors | box % | other % |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in rows {
            let ops = if r.local {
                format!(
                    "{} ({:.0} ns/op)",
                    thousands(r.ops_s()),
                    1e9 / r.ops_s().max(1e-9)
                )
            } else {
                thousands(r.ops_s())
            };
            let retried = if r.attempt > 1 {
                format!(" (attempt {})", r.attempt)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {}{retried} | {} | {ops} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.0} |",
                r.scenario,
                r.conc,
                us(r.p50),
                us(r.p99),
                us(r.cpu_per_op[0]),
                us(r.cpu_per_op[1]),
                us(r.cpu_per_op[2]),
                us(r.cpu_total()),
                r.errors,
                r.box_pct,
                r.other_pct(),
            );
        }
        out
    }

    fn ratio_table(rows: &[Row], concs: &[usize]) -> String {
        let find = |name: &str, conc: usize| {
            rows.iter()
                .find(|r| r.scenario == name && r.conc == conc && r.errors == 0)
        };
        let mut out = String::from("| Porticus ÷ peer | goal |");
        let mut rule = String::from("|---|---:|");
        for c in concs {
            let _ = write!(out, " ops/s × (conc {c}) |");
            rule.push_str("---:|");
        }
        for c in concs {
            let _ = write!(out, " p99 µs Porticus / peer (conc {c}) |");
            rule.push_str("---:|");
        }
        for c in concs {
            let _ = write!(out, " CPU µs/op Porticus / peer (conc {c}) |");
            rule.push_str("---:|");
        }
        out.push('\n');
        out.push_str(&rule);
        out.push('\n');
        for (ours, theirs, goal) in RATIOS {
            if !concs
                .iter()
                .any(|&c| find(ours, c).is_some() && find(theirs, c).is_some())
            {
                continue;
            }
            let goal_text = goal.map_or("–".to_owned(), |g| format!("≥ {g}"));
            let _ = write!(out, "| {ours} ÷ {theirs} | {goal_text} |");
            for &c in concs {
                let cell = match (find(ours, c), find(theirs, c)) {
                    (Some(a), Some(b)) => {
                        let x = a.ops_s() / b.ops_s().max(1e-9);
                        let mark = goal.map_or("", |g| if x >= g { " ✓" } else { " ✗" });
                        format!("{x:.2}{mark}")
                    }
                    _ => "–".to_owned(),
                };
                let _ = write!(out, " {cell} |");
            }
            for &c in concs {
                let cell = match (find(ours, c), find(theirs, c)) {
                    (Some(a), Some(b)) if a.p99.is_some() => {
                        format!("{} / {}", us(a.p99), us(b.p99))
                    }
                    _ => "–".to_owned(),
                };
                let _ = write!(out, " {cell} |");
            }
            for &c in concs {
                let cell = match (find(ours, c), find(theirs, c)) {
                    (Some(a), Some(b)) => format!("{} / {}", us(a.cpu_total()), us(b.cpu_total())),
                    _ => "–".to_owned(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        out
    }

    const LEGEND: &str = "
ops/s: correct replies per measured second (local rows also give ns/op = 1e9 / ops/s, for the \
whole process). p50 / p99: latency of one request. CPU µs/op: utime + stime of each process \
over the measured window (/proc/<pid>/stat) divided by the correct replies; broker = \
beam.smp (AMQP rows) or nats-server (NATS rows). box %: the whole machine's busy time (100 = \
every core); other %: CPU used by processes outside the measurement, in % of one core (a \
large one means a busy machine). Ratios: the Porticus row's ops/s divided by the peer's (✓: \
the goal of issue 10 is met); p99 and CPU µs/op are shown side by side (lower is better).
";

    fn loadavg() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    // -------------------------------------------------------------------------- main

    pub fn main() {
        let options = options();
        let settings = Settings::from_env();
        let selected: Vec<Scenario> = scenarios()
            .into_iter()
            .filter(|s| options.only.is_match(s.name))
            .filter(|s| !options.skip.as_ref().is_some_and(|r| r.is_match(s.name)))
            .collect();
        assert!(!selected.is_empty(), "ONLY/SKIP select no scenario");
        let root = target_dir().join("peers");
        std::fs::create_dir_all(&root).expect("create <target>/peers");
        let root = root.canonicalize().unwrap_or(root);
        let (results, logs) = (root.join("results"), root.join("logs"));
        std::fs::create_dir_all(&results).expect("create the results folder");
        std::fs::create_dir_all(&logs).expect("create the logs folder");
        if selected.iter().any(|s| s.node) {
            prepare_node(&root);
        }
        let amqp = amqp_url();
        let nats = nats_url();
        let runner = Runner {
            env: Env {
                settings: settings.clone(),
                exe: std::env::current_exe().expect("the bench's own path"),
                peers: root.clone(),
                amqp: amqp.clone(),
                nats: nats.clone(),
            },
            logs,
            label: options.label.clone(),
            clk_tck: shell("getconf", &["CLK_TCK"]).parse().unwrap_or(100.0),
            amqp_pid: listener_pid(url_port(&amqp, 5672))
                .or_else(|| shell("pgrep", &["-o", "beam.smp"]).parse().ok()),
            nats_pid: listener_pid(url_port(&nats, 4222))
                .or_else(|| shell("pgrep", &["-o", "nats-server"]).parse().ok()),
        };
        let started = Instant::now();
        let mut meta = String::new();
        let _ = writeln!(meta, "- label: {}", options.label);
        let _ = writeln!(
            meta,
            "- date: {}",
            shell("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        );
        let _ = writeln!(
            meta,
            "- machine: {} cores ({}), shared; load average at start {}",
            ncpu(),
            std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(
                    |c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                        .split(':')
                        .nth(1)
                        .unwrap_or("")
                        .trim()
                        .to_owned())
                )
                .unwrap_or_default(),
            loadavg()
        );
        let _ = writeln!(
            meta,
            "- workload: WARMUP={}s DURATION={}s CONCS={:?}; porticus {}; node {}",
            settings.warmup.as_secs_f64(),
            settings.duration.as_secs_f64(),
            settings.concs,
            shell(
                "git",
                &[
                    "-C",
                    env!("CARGO_MANIFEST_DIR"),
                    "describe",
                    "--always",
                    "--dirty"
                ]
            ),
            shell("node", &["-v"]),
        );
        let _ = writeln!(
            meta,
            "- brokers: RabbitMQ {} at {} (pid {}), nats-server {} at {} (pid {})",
            shell("rabbitmqctl", &["-q", "version"]),
            amqp.rsplit('@').next().unwrap_or(&amqp),
            runner.amqp_pid.map_or("?".to_owned(), |p| p.to_string()),
            shell("nats-server", &["--version"]).trim_start_matches("nats-server: "),
            nats,
            runner.nats_pid.map_or("?".to_owned(), |p| p.to_string()),
        );
        eprint!("{meta}");

        let mut rows: Vec<Row> = Vec::new();
        for s in &selected {
            let mut last = Vec::new();
            for attempt in 1..=options.retries + 1 {
                let busy = wait_quiet(options.quiet_pct, options.quiet_max);
                say(&format!(
                    "== {} (attempt {attempt}, machine {busy:.0}% busy before)",
                    s.name
                ));
                match runner.attempt(s, busy, attempt) {
                    Ok(got) if got.iter().all(|r| r.errors == 0) => {
                        last = got;
                        break;
                    }
                    Ok(got) => {
                        say(&format!(
                            "{}: errors: {:?}",
                            s.name,
                            got.iter().find_map(|r| r.last_error.clone())
                        ));
                        last = got;
                    }
                    Err(e) => say(&format!("{}: failed: {e}", s.name)),
                }
            }
            for r in &last {
                say(&format!(
                    "   conc {:>3}: {:>12} ops/s  p50 {} µs  p99 {} µs  CPU {} µs/op",
                    r.conc,
                    thousands(r.ops_s()),
                    us(r.p50),
                    us(r.p99),
                    us(r.cpu_total())
                ));
            }
            if last.is_empty() {
                say(&format!("{}: no result", s.name));
            }
            rows.extend(last);
        }
        let _ = writeln!(
            meta,
            "- load average at end {}; the run took {:.0} s",
            loadavg(),
            started.elapsed().as_secs_f64()
        );

        let mut report = format!("### Peer benchmark `{}`\n\n{meta}\n", options.label);
        report.push_str(&table(&rows));
        report.push('\n');
        report.push_str(&ratio_table(&rows, &settings.concs));
        report.push_str(LEGEND);
        report.push_str("\nScenarios:\n\n");
        for s in &selected {
            let _ = writeln!(report, "- `{}`: {}", s.name, s.what);
        }
        println!("\n{report}");
        let jsonl: String = rows
            .iter()
            .map(|r| format!("{}\n", r.json(&options.label)))
            .collect();
        let base = results.join(&options.label);
        let file = |ext: &str| PathBuf::from(format!("{}.{ext}", base.display()));
        std::fs::write(file("jsonl"), jsonl).expect("write the JSON lines");
        std::fs::write(file("md"), &report).expect("write the markdown");
        let _ = std::io::stdout().flush();
        eprintln!("results: {}.{{jsonl,md}}", base.display());
    }
}
