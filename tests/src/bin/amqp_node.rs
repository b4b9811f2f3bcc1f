//! A Porticus node for the multi-process tests, configured by a TOML file (AMQP or NATS: the
//! file decides).
//!
//! ```text
//! amqp-node subscriber <config.toml> <record-file> [delay-ms]
//!     subscribes to `event:tick`; appends each event's `n` to <record-file> (one line per
//!     delivery, written before the ack), sleeping delay-ms first
//! amqp-node responder <config.toml>
//!     serves `role:load,cmd:whoami`, replying with its instance id, and `role:load,cmd:slow`
//!     (prints `STARTED <i>`, sleeps the message's `ms`, replies with its instance id and `i`)
//! ```
//!
//! Prints `READY <instance>` once its listeners are bound, then serves until SIGTERM/ctrl-c.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use porticus::config::Config;
use porticus::{ActError, Context, Node};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, config_path) = match &args[..] {
        [mode, config, ..] => (mode.as_str(), config),
        _ => {
            return Err(
                "usage: amqp-node subscriber|responder <config.toml> [record-file] [delay-ms]"
                    .into(),
            )
        }
    };
    let config = Config::from_toml_str(&std::fs::read_to_string(config_path)?)?;
    let builder = Node::builder().config(&config).without_registered();
    let node = match mode {
        "subscriber" => {
            let path = args.get(2).ok_or("subscriber needs a record file")?;
            let delay = Duration::from_millis(args.get(3).map_or(Ok(0), |d| d.parse())?);
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            let file = Arc::new(Mutex::new(file));
            builder
                .subscribe("event:tick", move |ev: Value| {
                    let file = file.clone();
                    async move {
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        let line = format!("{}\n", ev["n"]);
                        let mut file = file
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        file.write_all(line.as_bytes())
                            .map_err(|e| ActError::execute(format!("record: {e}")))
                    }
                })
                .build()?
        }
        "responder" => builder
            .add(
                "role:load,cmd:whoami",
                |_msg: Value, ctx: Context| async move {
                    Ok::<_, ActError>(json!({ "instance": ctx.node().instance() }))
                },
            )
            .add(
                "role:load,cmd:slow",
                |msg: Value, ctx: Context| async move {
                    println!("STARTED {}", msg["i"]);
                    let _ = std::io::stdout().flush();
                    let ms = msg["ms"].as_u64().unwrap_or(0);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok::<_, ActError>(json!({ "instance": ctx.node().instance(), "i": msg["i"] }))
                },
            )
            .build()?,
        other => return Err(format!("unknown mode `{other}`").into()),
    };
    // Installed before READY: a SIGTERM sent the moment READY is read must drain, not kill.
    let signal = porticus::shutdown_signal();
    let server = node.start(&config).await?;
    println!("READY {}", node.instance());
    server.serve_until(signal).await?;
    Ok(())
}
