//! Many sockets and a slow one, with the real Node.js `socket.io-client`: 1,000 concurrent
//! sockets each receive a broadcast event (time and memory printed, not asserted), and a client
//! that never reads is disconnected while the others keep receiving everything.

use std::time::{Duration, Instant};

use porticus::config::Config;
use porticus::socketio::Sockets;
use porticus::{Node, Server};
use porticus_tests::scrape;
use porticus_tests::socketio::{rss_kib, Clients, STEP};
use serde_json::json;

/// Sockets of `toml` on a node with an admin endpoint (for the metrics); the client URL.
async fn serve(toml: &str) -> (String, Node, Sockets, Server) {
    let config = Config::from_toml_str(toml).expect("valid config");
    let sockets = Sockets::from_config(&config).expect("valid [socketio]");
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .sockets(&sockets)
        .build()
        .expect("builds");
    let server = node.start(&config).await.expect("starts");
    let app = sockets.router(node.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("an address");
    let (serving, until) = (sockets.clone(), node.clone());
    tokio::spawn(async move { serving.serve(listener, app, until).await });
    (format!("http://{addr}"), node, sockets, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sockets_each_receive_a_broadcast_event() {
    const SOCKETS: usize = 1_000;
    let (url, node, sockets, _server) = serve(
        "[service]\nname = \"swarm\"\n[socketio]\nevents = [\"role:news\"]\nsubscribe = [\"role:news\"]",
    )
    .await;
    let rss_before = rss_kib();
    let mut clients = Clients::start().await;
    let started = Instant::now();
    clients
        .send(json!({"op": "swarm", "prefix": "s", "count": SOCKETS, "url": url, "subscribe": "role:news"}))
        .await;
    let ready = clients.wait(|v| v["type"] == "swarm_ready", STEP * 3).await;
    let connected_in = started.elapsed();
    assert_eq!(ready["subscribed"], SOCKETS, "{ready}");
    assert_eq!(sockets.connections(), SOCKETS);
    let rss_connected = rss_kib();

    let emitted = Instant::now();
    node.emit(json!({"role": "news", "headline": "porticus goes live"}))
        .await
        .expect("emits");
    clients
        .send(json!({"op": "swarm_wait", "prefix": "s", "events": 1}))
        .await;
    let received = clients
        .wait(|v| v["type"] == "swarm_received", STEP * 3)
        .await;
    let fanned_in = emitted.elapsed();
    assert_eq!(received["sockets"], SOCKETS, "{received}");
    assert_eq!(
        received["events"], SOCKETS,
        "each socket got the event once: {received}"
    );
    println!(
        "RESULT {SOCKETS} sockets: connected and subscribed in {connected_in:?}; one event reached all in {fanned_in:?}; test process RSS {} MiB before, {} MiB with the sockets (+{} KiB per socket, clients run in node)",
        rss_before / 1024,
        rss_connected / 1024,
        rss_connected.saturating_sub(rss_before) / SOCKETS as u64,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_disconnected_and_the_others_keep_receiving() {
    const EVENTS: usize = 400;
    let (url, node, sockets, server) = serve(
        "[service]\nname = \"slow\"\n[admin]\nbind = \"127.0.0.1:0\"\n[socketio]\nevents = [\"role:feed\"]\nsubscribe = [\"role:feed\"]\nmax_buffered = 16\nping_interval_ms = 1000\nping_timeout_ms = 5000",
    )
    .await;
    let mut clients = Clients::start().await;
    clients
        .send(json!({"op": "swarm", "prefix": "good", "count": 3, "url": url, "subscribe": "role:feed"}))
        .await;
    clients.wait(|v| v["type"] == "swarm_ready", STEP).await;
    clients
        .connect("slow", &url, json!({}))
        .await
        .expect("connects");
    clients.subscribe("slow", json!("role:feed")).await;
    clients.send(json!({"op": "pause", "id": "slow"})).await;
    clients.wait(|v| v["type"] == "paused", STEP).await;
    assert_eq!(sockets.connections(), 4);

    // 400 events of 32 KiB: far more than the kernel's socket buffers and 16 packets hold. They
    // go in batches of 8, each once the readers have the one before, so that only the client
    // that does not read falls behind by more than its 16 packets.
    let rss_before = rss_kib();
    let blob = "x".repeat(32 * 1024);
    let started = Instant::now();
    for batch in 0..EVENTS / 8 {
        for n in batch * 8..(batch + 1) * 8 {
            node.emit(json!({"role": "feed", "n": n, "blob": blob}))
                .await
                .expect("emits");
        }
        clients
            .send(json!({"op": "swarm_wait", "prefix": "good", "events": (batch + 1) * 8}))
            .await;
        let received = clients.wait(|v| v["type"] == "swarm_received", STEP).await;
        assert_eq!(received["sockets"], 3, "{received}");
    }
    let delivered_in = started.elapsed();

    let deadline = Instant::now() + STEP;
    while sockets.connections() > 3 {
        if Instant::now() > deadline {
            let page = scrape::text(server.admin_address().expect("admin")).await;
            let socketio: Vec<&str> = page
                .lines()
                .filter(|l| l.starts_with("porticus_socketio"))
                .collect();
            panic!("the slow client was never disconnected: {socketio:#?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let gone_in = started.elapsed();
    let page = scrape::text(server.admin_address().expect("admin")).await;
    let dropped = scrape::sample(
        &page,
        "porticus_socketio_events_dropped_total",
        &["reason=\"slow_client\""],
    );
    let slow = scrape::sample(
        &page,
        "porticus_socketio_disconnects_total",
        &["reason=\"slow_client\""],
    );
    let reasons: Vec<String> = ["slow_client", "ping_timeout"]
        .iter()
        .map(|r| {
            let n = scrape::sample(
                &page,
                "porticus_socketio_disconnects_total",
                &[&format!("reason=\"{r}\"")],
            );
            format!("{r}={}", n.unwrap_or_default())
        })
        .collect();
    assert!(
        dropped >= Some(1.0),
        "the full buffer was never met: {page}"
    );
    assert_eq!(
        slow,
        Some(1.0),
        "the disconnection is put down to the full buffer: {page}"
    );
    println!(
        "RESULT slow client: {EVENTS} events of 32 KiB to 3 readers in {delivered_in:?}; the non-reader disconnected after {gone_in:?} ({}), {} events dropped for it; RSS {} MiB before, {} MiB after",
        reasons.join(", "),
        dropped.unwrap_or_default(),
        rss_before / 1024,
        rss_kib() / 1024,
    );
    // The readers are unaffected: one more event reaches each.
    node.emit(json!({"role": "feed", "n": "last"}))
        .await
        .expect("emits");
    clients
        .send(json!({"op": "swarm_wait", "prefix": "good", "events": EVENTS + 1}))
        .await;
    clients.wait(|v| v["type"] == "swarm_received", STEP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_answers_no_ping_is_disconnected() {
    let (url, _node, sockets, server) = serve(
        "[service]\nname = \"quiet\"\n[admin]\nbind = \"127.0.0.1:0\"\n[socketio]\nping_interval_ms = 300\nping_timeout_ms = 300",
    )
    .await;
    let mut clients = Clients::start().await;
    clients
        .connect("quiet", &url, json!({}))
        .await
        .expect("connects");
    clients
        .connect("lively", &url, json!({}))
        .await
        .expect("connects");
    // Paused, it reads no ping, so it answers none.
    clients.send(json!({"op": "pause", "id": "quiet"})).await;
    clients.wait(|v| v["type"] == "paused", STEP).await;
    let started = Instant::now();
    let deadline = started + STEP;
    while sockets.connections() > 1 {
        assert!(
            Instant::now() < deadline,
            "the silent client was never disconnected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let gone_in = started.elapsed();
    clients.disconnected("quiet", STEP).await;
    let page = scrape::text(server.admin_address().expect("admin")).await;
    let timeouts = scrape::sample(
        &page,
        "porticus_socketio_disconnects_total",
        &["reason=\"ping_timeout\""],
    );
    assert!(timeouts >= Some(1.0), "{page}");
    println!("RESULT a client that answers no ping (interval 300 ms, timeout 300 ms) was disconnected after {gone_in:?}");
    // The client that answers its pings went through the same ping rounds and stays.
    let reply = clients
        .ask("lively", "act", json!([{"role": "echo"}]))
        .await;
    assert_eq!(reply["error"]["code"], "forbidden", "{reply}");
    assert!(!clients.saw(|v| v["id"] == "lively" && v["type"] == "disconnect"));
    assert_eq!(sockets.connections(), 1);
}
