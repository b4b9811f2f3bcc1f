//! The HTTP listener against bad and slow clients, on raw sockets: each gets a clear error or a
//! closed connection within its timeout, and the listener keeps serving everyone else.

use std::sync::Arc;
use std::time::Duration;

use porticus::config::HttpListenConfig;
use porticus::{ActError, Code, Node};
use porticus_tests::harness::{http_caller, serve_http, server};
use porticus_tests::raw::{self, post, read_reply, send, wait_closed, Reply, SOON};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

/// Small limits, so that every timeout in this file is quick.
fn limits() -> HttpListenConfig {
    let mut config = HttpListenConfig::default();
    config.max_body_bytes = 4 * 1024;
    config.header_read_timeout_ms = 300;
    config.body_read_timeout_ms = 300;
    config
}

async fn serve(config: HttpListenConfig) -> (Node, String) {
    let node = server();
    let url = serve_http(&node, config).await;
    (node, url)
}

fn assert_error(reply: &Reply, status: u16, code: &str) -> Value {
    let body = reply.json();
    assert_eq!(reply.status, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(reply.header("content-type"), Some("application/json"));
    body
}

/// A normal act through a real client succeeds: the listener is still serving.
async fn still_serving(url: &str) {
    let reply = tokio::time::timeout(
        SOON,
        http_caller(url).act(json!({"role": "suite", "cmd": "sum", "left": 1, "right": 2})),
    )
    .await
    .expect("answers within SOON");
    assert_eq!(reply.expect("sum replies"), json!({"answer": 3}));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (_node, url) = serve(limits()).await;
    let reply = send(&url, &post("/act", b"{bad json", &[])).await;
    let body = assert_error(&reply, 400, "act_invalid_msg");
    assert!(
        body["message"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );
    let empty = send(&url, &post("/act", b"", &[])).await;
    assert_error(&empty, 400, "act_invalid_msg");
    still_serving(&url).await;
}

#[tokio::test]
async fn non_object_json_is_400() {
    let (_node, url) = serve(limits()).await;
    for (body, says) in [
        (&b"[1,2]"[..], "an array"),
        (b"42", "a number"),
        (b"null", "null"),
    ] {
        let reply = send(&url, &post("/act", body, &[])).await;
        let json = assert_error(&reply, 400, "act_invalid_msg");
        assert!(json["message"].as_str().unwrap().contains(says), "{json}");
    }
    still_serving(&url).await;
}

#[tokio::test]
async fn wrong_field_types_are_400_naming_the_field() {
    let (_node, url) = serve(limits()).await;
    let msg = br#"{"role":"suite","cmd":"sum","left":"one","right":2}"#;
    let reply = send(&url, &post("/act", msg, &[])).await;
    let body = assert_error(&reply, 400, "act_invalid_msg");
    assert!(
        body["message"].as_str().unwrap().contains("`left`"),
        "{body}"
    );
    still_serving(&url).await;
}

#[tokio::test]
async fn unknown_pattern_is_404_naming_it() {
    let (_node, url) = serve(limits()).await;
    let reply = send(
        &url,
        &post("/act", br#"{"role":"suite","cmd":"nope"}"#, &[]),
    )
    .await;
    let body = assert_error(&reply, 404, "act_not_found");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cmd:nope,role:suite"),
        "{body}"
    );
    still_serving(&url).await;
}

#[tokio::test]
async fn oversized_body_is_413_naming_the_limit() {
    let (_node, url) = serve(limits()).await;
    let big = format!(
        r#"{{"role":"suite","cmd":"sum","pad":"{}"}}"#,
        "x".repeat(8 * 1024)
    );
    let reply = send(&url, &post("/act", big.as_bytes(), &[])).await;
    let body = assert_error(&reply, 413, "payload_too_large");
    assert!(
        body["message"].as_str().unwrap().contains("4096 bytes"),
        "{body}"
    );
    assert_eq!(body["details"]["limit"], 4096);

    // Without a content-length (chunked), the limit holds while reading.
    let mut chunked =
        b"POST /act HTTP/1.1\r\nhost: t\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(format!("{:x}\r\n{}\r\n", 2048, "x".repeat(2048)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let reply = send(&url, &chunked).await;
    assert_error(&reply, 413, "payload_too_large");
    still_serving(&url).await;
}

#[tokio::test]
async fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut config = limits();
    config.max_body_bytes = 64 * 1024;
    let (_node, url) = serve(config).await;
    let depth = 10_000;
    let nested = format!(
        r#"{{"role":"suite","cmd":"sum","x":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let reply = send(&url, &post("/act", nested.as_bytes(), &[])).await;
    let body = assert_error(&reply, 400, "act_invalid_msg");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("recursion limit"),
        "{body}"
    );
    still_serving(&url).await;
}

#[tokio::test]
async fn wrong_path_and_wrong_method_are_json_errors() {
    let (_node, url) = serve(limits()).await;
    let reply = send(&url, &post("/nope", b"{}", &["seneca-id: m1/t1"])).await;
    let body = assert_error(&reply, 404, "no_route");
    assert!(body["message"].as_str().unwrap().contains("/act"), "{body}");
    assert_eq!(
        reply.header("seneca-id"),
        Some("m1/t1"),
        "echoed on errors too"
    );

    let get = b"GET /act HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n";
    let reply = send(&url, get).await;
    assert_error(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
    still_serving(&url).await;
}

#[tokio::test]
async fn truncated_body_is_an_error_or_a_close() {
    let (_node, url) = serve(limits()).await;
    let mut stream = raw::connect(&url).await;
    stream
        .write_all(b"POST /act HTTP/1.1\r\nhost: t\r\ncontent-length: 100\r\n\r\n{\"role\":\"su")
        .await
        .unwrap();
    stream.shutdown().await.unwrap(); // no more bytes: the body stays 90 bytes short
    if let Some(reply) = read_reply(&mut stream).await {
        assert_error(&reply, 400, "act_invalid_msg");
    }
    still_serving(&url).await;
}

#[tokio::test]
async fn partial_headers_then_silence_are_closed_and_others_served() {
    let (_node, url) = serve(limits()).await;
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut stream = raw::connect(&url).await;
        stream
            .write_all(b"POST /act HTTP/1.1\r\nhost: t\r\ncontent-le")
            .await
            .unwrap();
        slow.push(stream);
    }
    // A connection that sends nothing at all is a slow client too.
    slow.push(raw::connect(&url).await);
    still_serving(&url).await;
    let started = std::time::Instant::now();
    for stream in &mut slow {
        // Closed by the header read timeout (300 ms), never answered.
        let seen = wait_closed(stream).await;
        assert!(seen.is_empty(), "{}", String::from_utf8_lossy(&seen));
    }
    // Generous for a loaded machine, yet well below the 5 s default: the configured timeout
    // is the one applied.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    still_serving(&url).await;
}

#[tokio::test]
async fn stalled_body_gets_408_and_a_close_while_others_are_served() {
    let (_node, url) = serve(limits()).await;
    let mut stream = raw::connect(&url).await;
    stream
        .write_all(b"POST /act HTTP/1.1\r\nhost: t\r\ncontent-length: 10\r\n\r\n{\"a")
        .await
        .unwrap();
    still_serving(&url).await;
    let seen = wait_closed(&mut stream).await;
    let reply = raw::parse(&seen).expect("a 408 before the close");
    assert_error(&reply, 408, "request_timeout");
    still_serving(&url).await;
}

#[tokio::test]
async fn any_content_type_is_read_as_json() {
    let (_node, url) = serve(limits()).await;
    let msg = br#"{"role":"suite","cmd":"sum","left":1,"right":2}"#;
    // What `curl -d` sends.
    let reply = send(
        &url,
        &post(
            "/act",
            msg,
            &["content-type: application/x-www-form-urlencoded"],
        ),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"answer": 3}));
}

#[tokio::test]
async fn seneca_headers_are_honoured_and_echoed() {
    let (node, url) = serve(limits()).await;
    let msg = br#"{"role":"suite","cmd":"inspect","custom$":{},"id$":"body/ignored"}"#;
    let origin = "docokgydzifw/1795703664890/28149/3.38.0/client";
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let reply = send(
        &url,
        &post(
            "/act",
            msg,
            &[
                "seneca-id: c54xbkpiupyw/14xebrzc00em",
                "seneca-kind: req",
                &format!("seneca-origin: {origin}"),
                "seneca-track: [\"x\"]",
                &format!("traceparent: {traceparent}"),
                "porticus-timeout-ms: 2000",
            ],
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body = reply.json();
    assert_eq!(body["msg"], json!({"role": "suite", "cmd": "inspect"}));
    assert_eq!(
        body["id"], "c54xbkpiupyw/14xebrzc00em",
        "the header's id wins"
    );
    assert_eq!(body["tx"], "14xebrzc00em");
    assert!(body["remaining_ms"].as_u64().unwrap() <= 2_000, "{body}");
    assert_eq!(reply.header("seneca-id"), Some("c54xbkpiupyw/14xebrzc00em"));
    assert_eq!(reply.header("seneca-origin"), Some(origin));
    assert_eq!(reply.header("seneca-kind"), Some("res"));
    assert_eq!(reply.header("seneca-accept"), Some(node.instance()));
    assert_eq!(
        reply.header("traceparent"),
        None,
        "a request header, not echoed"
    );
}

#[tokio::test]
async fn deadline_header_bounds_the_act() {
    let (_node, url) = serve(limits()).await;
    let msg = br#"{"role":"suite","cmd":"sleep","ms":5000}"#;
    let reply = send(&url, &post("/act", msg, &["porticus-timeout-ms: 50"])).await;
    assert_error(&reply, 504, "action_timeout");
    let reply = send(&url, &post("/act", msg, &["porticus-timeout-ms: soon"])).await;
    let body = assert_error(&reply, 400, "act_invalid_msg");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("porticus-timeout-ms"),
        "{body}"
    );
}

#[tokio::test]
async fn events_are_accepted_with_202() {
    let (_node, url) = serve(limits()).await;
    let id = format!("raw-event-{}", std::process::id());
    let event = format!(r#"{{"event":"suite_ping","id":"{id}"}}"#);
    let reply = send(
        &url,
        &post("/act", event.as_bytes(), &["porticus-kind: event"]),
    )
    .await;
    assert_eq!(reply.status, 202);
    let got = porticus_tests::handlers::wait_for(&id, 2, SOON).await;
    assert_eq!(got, vec!["audit", "mail"]);
    let reply = send(&url, &post("/act", b"{}", &["porticus-kind: gossip"])).await;
    assert_error(&reply, 400, "act_invalid_msg");
}

/// A `role:gate` action that says when it started and finishes when told.
#[derive(Default)]
struct Gate {
    entered: Notify,
    release: Notify,
}

fn gated() -> (Node, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let inside = gate.clone();
    let node = Node::builder()
        .without_registered()
        .add("role:suite,cmd:sum", |m: Value| async move {
            Ok::<_, ActError>(json!({"answer": m["left"].as_i64().unwrap_or(0) + m["right"].as_i64().unwrap_or(0)}))
        })
        .add("role:gate", move |_m: Value| {
            let gate = inside.clone();
            async move {
                gate.entered.notify_one();
                gate.release.notified().await;
                Ok::<_, ActError>(json!({"released": true}))
            }
        })
        .build()
        .expect("builds");
    (node, gate)
}

#[tokio::test]
async fn requests_over_the_limit_are_503_overloaded() {
    let (node, gate) = gated();
    let mut config = limits();
    config.max_concurrent_requests = 1;
    let url = serve_http(&node, config).await;
    let caller = http_caller(&url);
    let held = tokio::spawn({
        let caller = caller.clone();
        async move { caller.act(json!({"role": "gate"})).await }
    });
    gate.entered.notified().await;
    let err = caller
        .act(json!({"role": "suite", "cmd": "sum", "left": 1, "right": 2}))
        .await
        .expect_err("no request slot left");
    assert_eq!(err.code(), &Code::OVERLOADED);
    assert!(err.message().contains("max_concurrent_requests"), "{err}");
    gate.release.notify_one();
    assert_eq!(
        held.await.unwrap().expect("released"),
        json!({"released": true})
    );
    still_serving(&url).await;
}

#[tokio::test]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    let mut config = limits();
    config.max_connections = 1;
    config.header_read_timeout_ms = 60_000;
    let (_node, url) = serve(config).await;
    let occupying = raw::connect(&url).await;
    let caller = http_caller(&url);
    let act = tokio::spawn(async move {
        caller
            .act(json!({"role": "suite", "cmd": "sum", "left": 1, "right": 2}))
            .await
    });
    tokio::pin!(act);
    // While the only slot is taken, the act cannot be served (it waits in the accept queue).
    assert!(tokio::time::timeout(Duration::from_millis(300), &mut act)
        .await
        .is_err());
    drop(occupying);
    let reply = tokio::time::timeout(SOON, act)
        .await
        .expect("served once the slot frees");
    assert_eq!(reply.unwrap().expect("sum replies"), json!({"answer": 3}));
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let mut config = limits();
    config.keep_alive_idle_ms = 200;
    let (_node, url) = serve(config).await;
    let mut stream = raw::connect(&url).await;
    let msg = br#"{"role":"suite","cmd":"sum","left":1,"right":2}"#;
    let request = post("/act", msg, &[]);
    let keep_alive = String::from_utf8(request)
        .unwrap()
        .replace("connection: close", "connection: keep-alive");
    stream.write_all(keep_alive.as_bytes()).await.unwrap();
    let reply = read_reply(&mut stream).await.expect("a reply");
    assert_eq!(reply.json(), json!({"answer": 3}));
    // The same connection serves a second request…
    stream.write_all(keep_alive.as_bytes()).await.unwrap();
    assert_eq!(read_reply(&mut stream).await.expect("a reply").status, 200);
    // …and is closed once idle for keep_alive_idle_ms (well before the 75 s default).
    let idle = std::time::Instant::now();
    assert!(wait_closed(&mut stream).await.is_empty());
    assert!(
        idle.elapsed() < Duration::from_secs(3),
        "{:?}",
        idle.elapsed()
    );
}

#[tokio::test]
async fn a_connection_past_its_max_age_closes_after_its_request() {
    let (node, gate) = gated();
    let mut config = limits();
    config.connection_max_age_ms = 100;
    let url = serve_http(&node, config).await;
    let mut stream = raw::connect(&url).await;
    let request = String::from_utf8(post("/act", br#"{"role":"gate"}"#, &[]))
        .unwrap()
        .replace("connection: close", "connection: keep-alive");
    stream.write_all(request.as_bytes()).await.unwrap();
    gate.entered.notified().await;
    // Let the connection outlive its maximum age while its request is in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;
    gate.release.notify_one();
    let seen = wait_closed(&mut stream).await;
    let reply = raw::parse(&seen).expect("the request in flight is answered");
    assert_eq!(reply.json(), json!({"released": true}));
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_then_stops() {
    use porticus::transport::http::HttpListener;
    use porticus::transport::Listener;

    let (node, gate) = gated();
    let mut config = limits();
    config.bind = "127.0.0.1:0".into();
    let listener = HttpListener::bind(&config).await.unwrap();
    let url = listener.url();
    let serving = tokio::spawn(Box::new(listener).serve(node.clone()));
    let caller = http_caller(&url);
    let in_flight = tokio::spawn(async move { caller.act(json!({"role": "gate"})).await });
    gate.entered.notified().await;
    node.close();
    gate.release.notify_one();
    let reply = tokio::time::timeout(SOON, in_flight)
        .await
        .expect("answered");
    assert_eq!(reply.unwrap().expect("finished"), json!({"released": true}));
    let stopped = tokio::time::timeout(SOON, serving).await.expect("stops");
    stopped.unwrap().expect("stops cleanly");
    let refused = tokio::net::TcpStream::connect(raw::addr_of(&url)).await;
    assert!(refused.is_err(), "no longer accepting");
}

#[tokio::test]
async fn absurd_deadlines_do_not_break_the_listener() {
    let (_node, url) = serve(limits()).await;
    let msg = br#"{"role":"suite","cmd":"sum","left":1,"right":2}"#;
    let reply = send(
        &url,
        &post("/act", msg, &["porticus-timeout-ms: 18446744073709551615"]),
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let msg = br#"{"role":"suite","cmd":"sum","left":1,"right":2,"timeout$":1e300}"#;
    let reply = send(&url, &post("/act", msg, &[])).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json(), json!({"answer": 3}));
}

#[tokio::test]
async fn clients_trickling_their_bodies_hold_no_request_slot() {
    let mut config = limits();
    config.max_concurrent_requests = 2;
    config.body_read_timeout_ms = 5_000;
    let (_node, url) = serve(config).await;
    let mut trickling = Vec::new();
    for _ in 0..4 {
        let mut stream = raw::connect(&url).await;
        stream
            .write_all(b"POST /act HTTP/1.1\r\nhost: t\r\ncontent-length: 50\r\n\r\n{")
            .await
            .unwrap();
        trickling.push(stream);
    }
    // Four bodies in progress, two request slots: others are still served.
    still_serving(&url).await;
    still_serving(&url).await;
    drop(trickling);
}

#[tokio::test]
async fn a_caller_s_deadline_is_cut_to_max_request_timeout() {
    let mut config = limits();
    config.max_request_timeout_ms = 300;
    let (_node, url) = serve(config).await;
    let msg = br#"{"role":"suite","cmd":"sleep","ms":5000}"#;
    let started = std::time::Instant::now();
    let reply = send(&url, &post("/act", msg, &["porticus-timeout-ms: 60000"])).await;
    assert_error(&reply, 504, "action_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cut to 300 ms, not the 60 s asked for: {:?}",
        started.elapsed()
    );
    let msg = br#"{"role":"suite","cmd":"inspect"}"#;
    let reply = send(&url, &post("/act", msg, &["porticus-timeout-ms: 60000"])).await;
    assert!(reply.json()["remaining_ms"].as_u64().unwrap() <= 300);
}

#[tokio::test]
async fn every_act_carries_a_trace_context() {
    let (_node, url) = serve(limits()).await;
    let inspect = json!({"role": "suite", "cmd": "inspect"});
    // A caller with none: the client starts a trace.
    let reply = http_caller(&url)
        .act(inspect.clone())
        .await
        .expect("inspect");
    let started = reply["traceparent"]
        .as_str()
        .expect("a traceparent")
        .to_owned();
    assert!(is_traceparent(&started), "{started}");
    // A raw request with none (curl): the listener starts one.
    let msg = serde_json::to_vec(&inspect).unwrap();
    let reply = send(&url, &post("/act", &msg, &[])).await.json();
    let made = reply["traceparent"].as_str().expect("a traceparent");
    assert!(is_traceparent(made), "{made}");
    assert_ne!(made, started);
    // One that carries a trace keeps it.
    let given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let header = format!("traceparent: {given}");
    let reply = send(&url, &post("/act", &msg, &[header.as_str()]))
        .await
        .json();
    assert_eq!(reply["traceparent"], given);
}

fn is_traceparent(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 4
        && [2, 32, 16, 2]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test]
async fn hundreds_of_half_open_connections_do_not_slow_the_others() {
    // reliability.md H9: 500 connections holding half-sent headers.
    let mut config = limits();
    config.header_read_timeout_ms = 30_000;
    let (_node, url) = serve(config).await;
    let mut idle = Vec::new();
    for _ in 0..500 {
        let mut stream = raw::connect(&url).await;
        stream
            .write_all(b"POST /act HTTP/1.1\r\nhost: t\r\n")
            .await
            .unwrap();
        idle.push(stream);
    }
    still_serving(&url).await;
    still_serving(&url).await;
    drop(idle);
}
