//! The math service. With no listener configured it acts a few messages in-process and prints
//! the replies; with listeners (`PORTICUS_ENV=http`) it serves until ctrl-c or SIGTERM.
//!
//! `cargo run -p math` · `PORTICUS_ENV=http cargo run -p math` · `PORTICUS_ENV=amqp cargo run -p math`

use porticus::config::Config;
use porticus::Node;
use serde_json::json;

// The handlers live in this package's library; name it so they are linked and registered.
porticus::link!(math);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load()?;
    porticus::telemetry::init(&config)?;
    let node = Node::builder().config(&config).build()?;
    if config.listen.is_empty() {
        return demo(&node).await;
    }
    // Listen for signals before serving: one that comes while it starts is not lost.
    let signal = porticus::shutdown_signal();
    let server = node.start(&config).await?;
    server.serve_until(signal).await?;
    Ok(())
}

/// Acts a few messages and prints what comes back, errors included.
async fn demo(node: &Node) -> anyhow::Result<()> {
    tracing::info!("math service in-process: acting a few messages");
    let acts = [
        json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}),
        json!({"role": "math", "cmd": "product", "left": 3, "right": 4}),
        json!({"role": "math", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7}),
        json!({"role": "math", "cmd": "sum", "left": "one", "right": 2}),
        json!({"role": "math", "cmd": "divide", "left": 1, "right": 0}),
    ];
    for msg in acts {
        match node.act(msg.clone()).await {
            Ok(reply) => tracing::info!(%msg, %reply, "{msg} -> {reply}"),
            Err(err) => {
                tracing::warn!(%msg, error.code = %err.code(), error = %err, "{msg} -> error {err}")
            }
        }
    }
    let typed: math::Answer = node
        .act_as(
            "role:math,cmd:product",
            math::Operands {
                left: 6.0,
                right: 7.0,
            },
        )
        .await?;
    tracing::info!(
        answer = typed.answer,
        "typed act_as(role:math,cmd:product, 6 x 7) -> {}",
        typed.answer
    );
    Ok(())
}
