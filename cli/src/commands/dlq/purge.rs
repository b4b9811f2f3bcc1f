//! `porticus dlq purge`: delete dead letters for good.

use std::io::{BufRead, IsTerminal, Write};

use super::queue::Target;
use super::select::Selection;
use crate::exit::Exit;

/// Deletes the selected dead letters. Asks first on a terminal; elsewhere it needs `--yes`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n\n  porticus dlq purge --id MESSAGE_ID --service billing --via amqp://guest:guest@127.0.0.1:5672\n\n  porticus dlq purge --all --yes --service billing --via nats://127.0.0.1:4222"
)]
pub struct Args {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub selection: Selection,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    let selector = args.selection.selector()?;
    if args.target.is_nats() {
        let mut dlq = args.target.open_nats().await?;
        let place = dlq.name.clone();
        if !args.yes {
            if let Err(exit) = confirm(args.selection.all, &place, dlq.count) {
                dlq.close().await;
                return Err(exit);
            }
            if !asked_yes() {
                dlq.close().await;
                eprintln!("nothing deleted");
                return Ok(());
            }
        }
        let only_all = args.selection.all;
        let deleted = super::nats_replay::purge(&mut dlq, &selector, only_all).await;
        dlq.close().await;
        println!("deleted {} dead letter(s) from {place}", deleted?);
        return Ok(());
    }
    let dlq = args.target.open().await?;
    let queue = dlq.queue.clone();
    if !args.yes {
        if let Err(exit) = confirm(
            args.selection.all,
            &format!("`{queue}`"),
            u64::from(dlq.count),
        ) {
            dlq.close().await;
            return Err(exit);
        }
        if !asked_yes() {
            dlq.close().await;
            eprintln!("nothing deleted");
            return Ok(());
        }
    }
    let mut deleted = 0u64;
    let outcome = async {
        for _ in 0..dlq.count {
            let Some(delivery) = dlq.next().await? else {
                break;
            };
            if selector.takes(&delivery) {
                delivery
                    .acker
                    .ack(lapin::options::BasicAckOptions::default())
                    .await
                    .map_err(|e| Exit::usage(format!("deleting failed: {e}")))?;
                deleted += 1;
            }
        }
        Ok::<_, Exit>(())
    }
    .await;
    dlq.close().await;
    outcome?;
    println!("deleted {deleted} dead letter(s) from `{queue}`");
    Ok(())
}

/// Asks whether to delete (on stderr); refuses off a terminal.
fn confirm(all: bool, place: &str, count: u64) -> Result<(), Exit> {
    if !std::io::stdin().is_terminal() {
        return Err(Exit::usage(
            "purge deletes dead letters for good: pass --yes (stdin is not a terminal, so it cannot ask)",
        ));
    }
    let what = if all {
        "every dead letter"
    } else {
        "the selected dead letters"
    };
    eprint!("delete {what} from {place} ({count} in it)? [y/N] ");
    let _ = std::io::stderr().flush();
    Ok(())
}

/// The answer to [`confirm`]'s question.
fn asked_yes() -> bool {
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    matches!(answer.trim(), "y" | "Y" | "yes")
}
