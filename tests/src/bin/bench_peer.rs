//! The far side of the HTTP benchmark, in its own process: a Porticus node serving
//! `role:bench,cmd:echo` on the HTTP transport, and beside it a raw axum echo doing the least an
//! HTTP JSON service can do (parse the body, serialize it back).
//!
//! Prints `READY <porticus url> <raw url>`, then serves until its standard input closes.

use axum::body::Bytes;
use axum::routing::post;
use porticus::config::HttpListenConfig;
use porticus::transport::http::HttpListener;
use porticus::transport::Listener;
use porticus::{ActError, Node};
use serde_json::Value;
use tokio::io::AsyncReadExt;

async fn echo(msg: Value) -> Result<Value, ActError> {
    Ok(msg)
}

async fn raw_echo(body: Bytes) -> Vec<u8> {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    serde_json::to_vec(&value).unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::builder()
        .without_registered()
        .name("bench-peer")
        .add("role:bench,cmd:echo", echo)
        .build()?;
    let mut config = HttpListenConfig::default();
    config.bind = "127.0.0.1:0".into();
    config.max_concurrent_requests = 4096;
    let listener = HttpListener::bind(&config).await?;
    let porticus_url = listener.url();
    let serving = tokio::spawn(Box::new(listener).serve(node.clone()));

    let raw = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let raw_url = format!("http://{}/echo", raw.local_addr()?);
    let app = axum::Router::new().route("/echo", post(raw_echo));
    tokio::spawn(async move { axum::serve(raw, app).await });

    println!("READY {porticus_url} {raw_url}");
    // Serve until the benchmark (our parent) closes our standard input or exits.
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    node.close();
    serving.await??;
    Ok(())
}
