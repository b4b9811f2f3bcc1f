//! A fixed HTTP workload for instruction-count profiles: `http_loop [N]` starts a service with
//! an HTTP listener serving `role:math,cmd:sum` and a caller with an HTTP client, both in this
//! process on one current-thread runtime, acts N times (default 20,000) one after the other
//! over 127.0.0.1, and prints the answers' checksum. Both sides' instructions are counted
//! (the kernel's are not).
//!
//! ```text
//! cargo build --release -p porticus-tests --bin http_loop
//! valgrind --tool=callgrind target/release/http_loop 20000
//! ```

use porticus::config::Config;
use porticus::{ActError, Node};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize)]
struct Sum {
    left: i64,
    right: i64,
}

#[derive(Serialize)]
struct Total {
    answer: i64,
}

async fn sum(req: Sum) -> Result<Total, ActError> {
    Ok(Total {
        answer: req.left + req.right,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: i64 = std::env::args().nth(1).map_or(Ok(20_000), |n| n.parse())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let checksum = runtime.block_on(async {
        let config = Config::from_toml_str(
            "[service]\nname = \"math\"\n[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"",
        )?;
        let service = Node::builder()
            .without_registered()
            .add("role:math,cmd:sum", sum)
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
