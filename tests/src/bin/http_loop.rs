//! A fixed HTTP workload for instruction-count profiles: `http_loop [N]` starts a service with
//! an HTTP listener serving `role:math,cmd:sum` and a caller with an HTTP client, both in this
//! process on one current-thread runtime, acts N times (default 20,000) one after the other
//! over 127.0.0.1, and prints the answers' checksum. Both sides' instructions are counted
//! (the kernel's are not). `http_loop N raw` does the same with the peer benchmark's ceiling:
//! a bare hyper server (body → `serde_json::Value` → answer) and a bare hyper client on one
//! keep-alive connection.
//!
//! ```text
//! cargo build --release -p porticus-tests --bin http_loop
//! valgrind --tool=callgrind target/release/http_loop 20000
//! valgrind --tool=callgrind target/release/http_loop 20000 raw
//! ```

use porticus::config::Config;
use porticus::Node;
use porticus_tests::handlers;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: i64 = std::env::args().nth(1).map_or(Ok(20_000), |n| n.parse())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if std::env::args().nth(2).is_some_and(|m| m == "raw") {
        let checksum = runtime.block_on(raw::run(n))?;
        println!("{checksum}");
        return Ok(());
    }
    let checksum = runtime.block_on(async {
        let config = Config::from_toml_str(
            "[service]\nname = \"math\"\n[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"",
        )?;
        let service = Node::builder()
            .without_registered()
            .add("role:math,cmd:sum", handlers::sum)
            .build()?;
        let server = service.start(&config).await?;
        let url = server
            .addresses()
            .into_iter()
            .next()
            .ok_or("no listener address")?;
        let caller = Config::from_toml_str(&format!(
            "[service]\nname = \"caller\"\n[[client]]\ntype = \"http\"\nurl = \"{url}\"\npin = \"role:math,cmd:*\""
        ))?;
        let caller = Node::builder()
            .without_registered()
            .config(&caller)
            .build()?;
        let mut checksum = 0i64;
        for i in 0..n {
            let reply = caller
                .act(json!({"role": "math", "cmd": "sum", "left": i, "right": 1}))
                .await?;
            checksum += reply["answer"].as_i64().unwrap_or(0);
        }
        Ok::<_, Box<dyn std::error::Error>>(checksum)
    })?;
    println!("{checksum}");
    Ok(())
}

mod raw {
    //! The ceiling: hyper alone on both sides.

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use serde_json::{json, Value};

    async fn handle(
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let msg: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let answer = msg["left"].as_i64().unwrap_or(0) + msg["right"].as_i64().unwrap_or(0);
        let out = serde_json::to_vec(&json!({ "answer": answer })).unwrap_or_default();
        Ok(hyper::Response::builder()
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(out)))
            .expect("a response"))
    }

    pub(super) async fn run(n: i64) -> Result<i64, Box<dyn std::error::Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(
                    hyper_util::rt::TokioIo::new(stream),
                    hyper::service::service_fn(handle),
                ));
            }
        });
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let mut checksum = 0i64;
        for i in 0..n {
            let body =
                serde_json::to_vec(&json!({"role": "math", "cmd": "sum", "left": i, "right": 1}))?;
            let request = hyper::Request::post("/act")
                .header("host", "127.0.0.1")
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))?;
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let body = response.into_body().collect().await?.to_bytes();
            let reply: Value = serde_json::from_slice(&body)?;
            checksum += reply["answer"].as_i64().unwrap_or(0);
        }
        Ok(checksum)
    }
}
