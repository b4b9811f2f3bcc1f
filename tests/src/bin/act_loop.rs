//! A fixed in-process workload for instruction-count profiles: `act_loop [N] [metrics]` acts
//! `{role:math,cmd:sum,left,right}` N times (default 100,000) on a typed handler, on a
//! current-thread runtime, and prints the answer's checksum. With `metrics`, the node is first
//! started with an admin endpoint, which installs the Prometheus recorder, so every act is
//! recorded.
//!
//! ```text
//! cargo build --release -p porticus-tests --bin act_loop
//! valgrind --tool=callgrind target/release/act_loop 100000
//! valgrind --tool=callgrind target/release/act_loop 100000 metrics
//! ```
//!
//! Instructions do not depend on what else the machine is doing, so two builds compare
//! exactly (docs/performance.md has the breakdown).

use porticus::{ActError, Node};
use porticus_tests::handlers;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: i64 = std::env::args().nth(1).map_or(Ok(100_000), |n| n.parse())?;
    let metrics = std::env::args().nth(2).is_some_and(|a| a == "metrics");
    let node = Node::builder()
        .without_registered()
        .add("role:math,cmd:sum", handlers::sum)
        .add("role:math,cmd:product", handlers::sum)
        .build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let config = porticus::config::Config::from_toml_str("[admin]\nbind = \"127.0.0.1:0\"")?;
    let _server = match metrics {
        true => Some(runtime.block_on(node.start(&config))?),
        false => None,
    };
    let checksum = runtime.block_on(async {
        let mut checksum = 0i64;
        for i in 0..n {
            let reply = node
                .act(json!({"role": "math", "cmd": "sum", "left": i, "right": 1}))
                .await?;
            checksum += reply["answer"].as_i64().unwrap_or(0);
        }
        Ok::<_, ActError>(checksum)
    })?;
    println!("{checksum}");
    Ok(())
}
