//! The gateway on its own: `cargo run -p gateway`. Its HTTP API binds `[app] bind` (default
//! 127.0.0.1:8080); the services it acts are reached through the `[[client]]`s of its config.

use porticus::config::Config;
use porticus::Node;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load()?;
    porticus::telemetry::init(&config)?;
    let node = Node::builder().config(&config).build()?;
    let bind = config
        .app
        .get("bind")
        .and_then(|b| b.as_str())
        .unwrap_or("127.0.0.1:8080");
    // Installed before anything listens, so an early SIGTERM drains instead of killing.
    let signal = porticus::shutdown_signal();
    let server = node.start(&config).await?;
    let (addr, gateway) = gateway::start(node, bind).await?;
    tracing::info!(%addr, "gateway listening on http://{addr}");
    server.serve_until(signal).await?;
    gateway.await?;
    Ok(())
}
