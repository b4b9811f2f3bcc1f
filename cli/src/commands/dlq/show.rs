//! `porticus dlq show`: one dead letter, with its headers and body.

use serde_json::{json, Value};

use super::letter::{headers_json, Letter};
use super::queue::Target;
use crate::exit::Exit;

/// Shows one dead letter: its metadata, headers and body (pretty JSON). Nothing is removed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dead letter's message id (as `dlq list` shows it).
    #[arg(value_name = "MESSAGE-ID")]
    pub id: String,
    #[command(flatten)]
    pub target: Target,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    let dlq = args.target.open().await?;
    let mut found = None;
    let mut looked = 0u32;
    let outcome = async {
        while looked < dlq.count {
            let Some(delivery) = dlq.next().await? else {
                break;
            };
            looked += 1;
            if Letter::read(&delivery).id.as_deref() == Some(args.id.as_str()) {
                found = Some(delivery);
                break;
            }
        }
        Ok::<_, Exit>(())
    }
    .await;
    let queue = dlq.queue.clone();
    dlq.close().await;
    outcome?;
    let Some(delivery) = found else {
        return Err(Exit::usage(format!(
            "no dead letter with message id `{}` in `{queue}` ({looked} looked at)",
            args.id
        )));
    };
    let mut shown = Letter::read(&delivery).json();
    let body = serde_json::from_slice::<Value>(&delivery.data)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(&delivery.data)));
    shown["headers"] = headers_json(&delivery.properties);
    shown["body"] = body;
    println!(
        "{}",
        serde_json::to_string_pretty(&shown).unwrap_or_else(|_| shown.to_string())
    );
    Ok(())
}
