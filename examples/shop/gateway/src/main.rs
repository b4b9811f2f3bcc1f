//! The gateway on its own: `cargo run -p gateway`. Its HTTP API binds `[gateway] bind` (default
//! 127.0.0.1:8080) and serves the `[[route]]`s of its config; the services it acts are reached
//! through the `[[client]]`s.

use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::Node;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load()?;
    porticus::telemetry::init(&config)?;
    let gateway = Gateway::from_config(&config)?;
    let node = Node::builder().config(&config).build()?;
    // Installed before anything listens, so an early SIGTERM drains instead of killing.
    let signal = porticus::shutdown_signal();
    let server = node.start(&config).await?;
    let (addr, task) = gateway.start(node).await?;
    tracing::info!(%addr, "gateway listening on http://{addr}");
    server.serve_until(signal).await?;
    task.await?;
    Ok(())
}
