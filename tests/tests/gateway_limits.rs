//! The gateway's connection limits, on raw sockets over 127.0.0.1: it is served by the HTTP
//! listener's connection loop, so `[gateway]`'s header and body read timeouts close slow
//! clients, and `max_connections` caps the connections open at once — and it keeps serving
//! everyone else.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::{ActError, Node};
use porticus_tests::raw::{self, read_reply, wait_closed, SOON};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

async fn serve(limits: &str) -> SocketAddr {
    let text = format!(
        "[gateway]\nbind = \"127.0.0.1:0\"\n{limits}\n\n[[route]]\nmethod = \"POST\"\npath = \"/ok\"\npattern = \"role:ok\"\n"
    );
    let config = Config::from_toml_str(&text).expect("the config parses");
    let node = Node::builder()
        .without_registered()
        .add("role:ok", |_: Value| async move {
            Ok::<_, ActError>(json!({"ok": true}))
        })
        .build()
        .unwrap();
    let (addr, _task) = Gateway::from_config(&config)
        .expect("valid")
        .start(node)
        .await
        .expect("bind 127.0.0.1");
    addr
}

/// A normal request through a real client succeeds: the gateway is still serving.
async fn still_serving(addr: SocketAddr) {
    let reply = tokio::time::timeout(
        SOON,
        reqwest::Client::new()
            .post(format!("http://{addr}/ok"))
            .send(),
    )
    .await
    .expect("answers within SOON")
    .expect("a response");
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn partial_headers_then_silence_are_closed_and_others_served() {
    let addr = serve("header_read_timeout_ms = 300").await;
    let url = format!("http://{addr}/");
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut stream = raw::connect(&url).await;
        stream
            .write_all(b"POST /ok HTTP/1.1\r\nhost: t\r\ncontent-le")
            .await
            .unwrap();
        slow.push(stream);
    }
    slow.push(raw::connect(&url).await);
    still_serving(addr).await;
    let started = Instant::now();
    for stream in &mut slow {
        // Closed by the header read timeout, never answered (axum::serve alone never closes
        // them: `wait_closed` would give up after SOON).
        let seen = wait_closed(stream).await;
        assert!(seen.is_empty(), "{}", String::from_utf8_lossy(&seen));
    }
    println!(
        "slow header connections closed {:?} after the first check (header_read_timeout_ms = 300)",
        started.elapsed()
    );
    still_serving(addr).await;
}

#[tokio::test]
async fn a_stalled_body_gets_408() {
    let addr = serve("body_read_timeout_ms = 300").await;
    let mut stream = raw::connect(&format!("http://{addr}/")).await;
    stream
        .write_all(b"POST /ok HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{\"a")
        .await
        .unwrap();
    let reply = read_reply(&mut stream).await.expect("a 408");
    assert_eq!(reply.status, 408);
    let body = reply.json();
    assert_eq!(body["code"], "request_timeout", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("body_read_timeout_ms"),
        "{body}"
    );
    still_serving(addr).await;
}

#[tokio::test]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    let addr = serve("max_connections = 1\nheader_read_timeout_ms = 60000").await;
    let occupying = raw::connect(&format!("http://{addr}/")).await;
    let request = tokio::spawn(
        reqwest::Client::new()
            .post(format!("http://{addr}/ok"))
            .send(),
    );
    tokio::pin!(request);
    // While the only slot is taken, the request waits in the accept queue.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut request)
            .await
            .is_err(),
        "served past max_connections = 1"
    );
    let freed = Instant::now();
    drop(occupying);
    let reply = tokio::time::timeout(SOON, request)
        .await
        .expect("served once the slot frees")
        .unwrap()
        .expect("a response");
    assert_eq!(reply.status(), 200);
    println!("served {:?} after the slot freed", freed.elapsed());
}

#[test]
fn zero_limits_are_config_errors() {
    let config =
        Config::from_toml_str("[gateway]\nmax_connections = 0\ndrain_timeout_ms = 0").unwrap();
    let err = Gateway::from_config(&config).unwrap_err().to_string();
    assert!(
        err.contains("[gateway] max_connections must be greater than 0")
            && err.contains("[gateway] drain_timeout_ms must be greater than 0"),
        "{err}"
    );
}
