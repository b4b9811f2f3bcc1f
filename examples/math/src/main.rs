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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Config::load()?;
    let node = Node::builder().config(&config).build()?;
    if config.listen.is_empty() {
        return demo(&node).await;
    }
    let server = node.start(&config).await?;
    println!(
        "math service listening on {}",
        server.addresses().join(", ")
    );
    server.serve_until(porticus::shutdown_signal()).await?;
    Ok(())
}

/// Acts a few messages and prints what comes back, errors included.
async fn demo(node: &Node) -> anyhow::Result<()> {
    println!(
        "math service (in-process), actions: {}",
        node.patterns().join(" | ")
    );
    let acts = [
        json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}),
        json!({"role": "math", "cmd": "product", "left": 3, "right": 4}),
        json!({"role": "math", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7}),
        json!({"role": "math", "cmd": "sum", "left": "one", "right": 2}),
        json!({"role": "math", "cmd": "divide", "left": 1, "right": 0}),
    ];
    for msg in acts {
        match node.act(msg.clone()).await {
            Ok(reply) => println!("{msg} -> {reply}"),
            Err(err) => println!("{msg} -> error {err}"),
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
    println!(
        "typed act_as(role:math,cmd:product, 6 x 7) -> {}",
        typed.answer
    );
    Ok(())
}
