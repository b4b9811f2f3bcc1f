//! The HTTP client against listeners that are down, slow or foreign, and the transport built
//! from configuration alone.

use std::time::Duration;

use porticus::config::{Config, HttpClientConfig};
use porticus::transport::http::HttpClient;
use porticus::transport::{Client, Inbound};
use porticus::{Code, ErrorKind, Meta, Node};
use porticus_tests::raw::{self, SOON};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn client(url: &str) -> HttpClient {
    let mut config = HttpClientConfig::default();
    config.url = url.to_owned();
    HttpClient::new(&config).expect("a valid url")
}

/// Reads one request (head and content-length body) from `stream`.
async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return text;
            }
        }
        assert!(n > 0, "the client closed mid-request");
    }
}

/// An HTTP response with `status` and `body`, and a correct content-length.
fn response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A one-shot foreign listener: answers the first request with `response` and returns the
/// request it received.
async fn foreign(response: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/act", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let request = read_request(&mut stream).await;
        stream.write_all(&response).await.unwrap();
        stream.shutdown().await.unwrap();
        request
    });
    (url, task)
}

fn meta(timeout_ms: u64) -> Meta {
    Inbound {
        id: Some("m1/t1"),
        timeout: Some(Duration::from_millis(timeout_ms)),
        ..Inbound::default()
    }
    .meta(Duration::from_millis(timeout_ms))
}

#[tokio::test]
async fn a_refused_connection_is_transport_unavailable_naming_the_url() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/act", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&url)
        .act(json!({"role": "math"}), meta(5_000))
        .await
        .expect_err("nobody listens");
    assert_eq!(err.code(), &Code::TRANSPORT_UNAVAILABLE);
    assert!(err.message().contains(&url), "{err}");
    assert!(err.message().to_lowercase().contains("refused"), "{err}");
}

#[tokio::test]
async fn the_request_carries_the_wire_headers() {
    let (url, request) = foreign(response("200 OK", r#"{"answer":3}"#)).await;
    let mut meta = meta(5_000);
    meta.set_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    let reply = client(&url)
        .act(
            json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}),
            meta,
        )
        .await
        .expect("a reply");
    assert_eq!(reply, json!({"answer": 3}));
    let request = request.await.unwrap().to_ascii_lowercase();
    assert!(request.starts_with("post /act http/1.1\r\n"), "{request}");
    for expected in [
        "content-type: application/json",
        "seneca-id: m1/t1",
        "seneca-origin: ",
        "porticus-timeout-ms: ",
        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ] {
        assert!(
            request.contains(expected),
            "missing `{expected}` in {request}"
        );
    }
    for unread in ["seneca-kind", "porticus-kind"] {
        assert!(!request.contains(unread), "`{unread}` sent: {request}");
    }
    let body = &request[request.find("\r\n\r\n").unwrap() + 4..];
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        json!({"role": "math", "cmd": "sum", "left": 1, "right": 2})
    );
}

#[tokio::test]
async fn a_seneca_error_keeps_its_code_and_message() {
    let body = json!({"eraro": true, "code": "custom_code", "seneca": true,
        "message": "seneca: Action cmd:fail,role:math failed: x.", "details": {"why": "x"},
        "name": "Error"});
    let (url, _) = foreign(response("500 Internal Server Error", &body.to_string())).await;
    let err = client(&url)
        .act(json!({"role": "math"}), meta(5_000))
        .await
        .expect_err("500");
    assert_eq!(err.code(), "custom_code");
    assert_eq!(
        err.message(),
        "seneca: Action cmd:fail,role:math failed: x."
    );
    assert_eq!(err.details()["body"]["details"], json!({"why": "x"}));
}

#[tokio::test]
async fn a_plain_text_error_becomes_a_sensible_act_error() {
    let (url, _) = foreign(response("503 Service Unavailable", "maintenance")).await;
    let err = client(&url)
        .act(json!({"role": "math"}), meta(5_000))
        .await
        .expect_err("503");
    assert_eq!(err.code(), &Code::OVERLOADED);
    assert!(err.message().contains("503"), "{err}");
    assert_eq!(err.details()["body"], "maintenance");
}

#[tokio::test]
async fn an_empty_or_null_reply_is_null_and_garbage_is_reply_invalid() {
    let (url, _) = foreign(response("200 OK", "null")).await;
    assert_eq!(
        client(&url).act(json!({}), meta(5_000)).await.unwrap(),
        Value::Null
    );
    let (url, _) = foreign(response("200 OK", "")).await;
    assert_eq!(
        client(&url).act(json!({}), meta(5_000)).await.unwrap(),
        Value::Null
    );
    let (url, _) = foreign(response("200 OK", "hello")).await;
    let err = client(&url)
        .act(json!({}), meta(5_000))
        .await
        .expect_err("not JSON");
    assert_eq!(err.code(), &Code::REPLY_INVALID);
}

#[tokio::test]
async fn a_silent_listener_is_action_timeout_at_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/act", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
        drop(stream);
    });
    let err = tokio::time::timeout(SOON, client(&url).act(json!({"role": "math"}), meta(100)))
        .await
        .expect("does not hang")
        .expect_err("no reply");
    assert_eq!(err.code(), &Code::ACTION_TIMEOUT);
    assert!(err.message().contains(&url), "{err}");
    hold.abort();
}

#[test]
fn urls_are_checked_when_the_client_is_made() {
    let mut config = HttpClientConfig::default();
    config.url = "ftp://example.invalid/act".into();
    let err = HttpClient::new(&config).expect_err("neither http nor https");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.to_string()
            .contains("`ftp://example.invalid/act` must start with `http://` or `https://`"),
        "{err}"
    );
    config.url = "not a url".into();
    let err = HttpClient::new(&config).expect_err("malformed");
    assert!(err.to_string().contains("not a url"), "{err}");
}

#[tokio::test]
async fn listener_and_client_come_from_configuration() {
    let server_config = Config::from_toml_str(
        r#"
        [service]
        name = "configured"
        [[listen]]
        type = "http"
        bind = "127.0.0.1:0"
        path = "/rpc/act"
        "#,
    )
    .unwrap();
    let server = Node::builder().config(&server_config).build().unwrap();
    let running = server.start(&server_config).await.expect("binds");
    let url = running.addresses().pop().expect("one listener");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/rpc/act"),
        "{url}"
    );

    let caller_config = Config::from_toml_str(&format!(
        "[[client]]\ntype = \"http\"\nurl = \"{url}\"\npin = \"role:suite\"\n"
    ))
    .unwrap();
    let caller = Node::builder()
        .without_registered()
        .config(&caller_config)
        .build()
        .unwrap();
    let reply = caller
        .act(json!({"role": "suite", "cmd": "sum", "left": 2, "right": 3}))
        .await;
    assert_eq!(reply.expect("over http"), json!({"answer": 5}));
    // Outside the pin, nothing routes.
    let err = caller
        .act(json!({"role": "other"}))
        .await
        .expect_err("not pinned");
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);

    // The same address again is an error naming it.
    let taken = raw::addr_of(&url).to_string();
    let clash = Config::from_toml_str(&format!(
        "[[listen]]\ntype = \"http\"\nbind = \"{taken}\"\n"
    ))
    .unwrap();
    let err = server.start(&clash).await.expect_err("port taken");
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.to_string().contains(&taken), "{err}");

    running.shutdown().await.expect("stops cleanly");
    let err = caller
        .act(json!({"role": "suite", "cmd": "sum", "left": 2, "right": 3}))
        .await
        .expect_err("down");
    assert_eq!(err.code(), &Code::TRANSPORT_UNAVAILABLE);
}

#[tokio::test]
async fn acts_reuse_one_keep_alive_connection() {
    // This listener accepts a single connection: a second act on a new one would never be
    // answered.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/act", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        for n in 0..3 {
            read_request(&mut stream).await;
            stream
                .write_all(&response("200 OK", &n.to_string()))
                .await
                .unwrap();
        }
    });
    let client = client(&url);
    for n in 0..3 {
        let reply = client.act(json!({"n": n}), meta(5_000)).await;
        assert_eq!(reply.expect("answered on the same connection"), json!(n));
    }
    server.await.unwrap();
}

#[tokio::test]
async fn a_connection_the_listener_closed_while_idle_is_replaced() {
    // The listener answers once per connection, then closes it: every act after the first
    // finds its pooled connection closed and must go out on a new one, never failing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/act", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        for n in 0..3 {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await;
            stream
                .write_all(&response("200 OK", &n.to_string()))
                .await
                .unwrap();
            stream.shutdown().await.unwrap();
        }
    });
    let client = client(&url);
    for n in 0..3 {
        let reply = client.act(json!({"n": n}), meta(5_000)).await;
        assert_eq!(reply.expect("answered on a new connection"), json!(n));
        // Let the closed connection's end reach the client, as an idle one's would.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.await.unwrap();
}
