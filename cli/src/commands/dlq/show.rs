//! `porticus dlq show`: one dead letter, with its headers and body.

use serde_json::{json, Value};

use super::letter::{headers_json, Letter};
use super::queue::Target;
use crate::exit::Exit;

/// Shows one dead letter: its metadata, headers and body (pretty JSON). Nothing is removed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n\n  porticus dlq show MESSAGE_ID --service billing --via amqp://guest:guest@127.0.0.1:5672"
)]
pub struct Args {
    /// The dead letter's message id (as `dlq list` shows it).
    #[arg(value_name = "MESSAGE-ID")]
    pub id: String,
    #[command(flatten)]
    pub target: Target,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    if args.target.is_nats() {
        return nats(args).await;
    }
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
    print(
        Letter::read(&delivery).json(),
        headers_json(&delivery.properties),
        &delivery.data,
    );
    Ok(())
}

/// The letter on a NATS dead-letter stream, read by sequence (nothing removed).
async fn nats(args: Args) -> Result<(), Exit> {
    let mut dlq = args.target.open_nats().await?;
    let mut looked = 0u64;
    let found = async {
        while let Some(msg) = dlq.next().await? {
            looked += 1;
            if Letter::read_nats(&msg).id.as_deref() == Some(args.id.as_str()) {
                return Ok(Some(msg));
            }
        }
        Ok::<_, Exit>(None)
    }
    .await;
    let place = dlq.name.clone();
    dlq.close().await;
    let Some(msg) = found? else {
        return Err(Exit::usage(format!(
            "no dead letter with message id `{}` in {place} ({looked} looked at)",
            args.id
        )));
    };
    print(
        Letter::read_nats(&msg).json(),
        super::nats_letter::headers_json(&msg.headers),
        &msg.payload,
    );
    Ok(())
}

/// Prints the metadata with the headers and body, pretty.
fn print(mut shown: Value, headers: Value, data: &[u8]) {
    let body = serde_json::from_slice::<Value>(data)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(data)));
    shown["headers"] = headers;
    shown["body"] = body;
    println!(
        "{}",
        serde_json::to_string_pretty(&shown).unwrap_or_else(|_| shown.to_string())
    );
}
