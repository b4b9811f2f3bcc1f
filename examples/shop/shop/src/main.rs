//! The whole shop in one process, on the in-process transport: `cargo run -p shop`.
//!
//! Starts every service's handlers in one node, serves the gateway's HTTP API on a free port,
//! and runs the [scenario](shop::run): orders placed through the gateway (one declined), the
//! placed ones shipped, and what the subscribers saw.
//!
//! `cargo run -p shop -- --serve` instead keeps the shop serving on `[app] serve`
//! (127.0.0.1:8080) until ctrl-c: the live page at `/`, the REST routes and Socket.IO
//! ([`shop::live`]).

use porticus::config::Config;
use porticus::Node;

// Each service is a library of handlers; naming them links their #[action]s and #[event]s.
porticus::link!(payments, orders, notifications, analytics, gateway);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load()?;
    porticus::telemetry::init(&config)?;
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("--serve") => return shop::live::serve(&config).await,
        Some(other) => {
            anyhow::bail!("unknown argument `{other}`: `--serve`, or nothing for the scripted demo")
        }
    }
    let node = Node::builder().config(&config).build()?;
    let server = node.start(&config).await?;
    let bind = config
        .app
        .get("bind")
        .and_then(|b| b.as_str())
        .unwrap_or("127.0.0.1:0");
    let (addr, gateway) = gateway::start(node.clone(), bind).await?;
    println!(
        "shop up: gateway on http://{addr}, actions: {}",
        node.patterns().join(" | ")
    );
    shop::run(&format!("http://{addr}"), &node).await?;
    server.shutdown().await?;
    gateway.await?;
    Ok(())
}
