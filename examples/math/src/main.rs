//! Runs the math service in-process and prints a few acts.
//!
//! `cargo run -p math`

use porticus::Node;
use serde_json::json;

// The handlers live in this package's library; name it so they are linked and registered.
porticus::link!(math);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let node = Node::builder().name("math").build()?;
    println!("math service up, actions: {}", node.patterns().join(" | "));

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
