//! `porticus dlq purge`: delete dead letters for good.

use std::io::{BufRead, IsTerminal, Write};

use super::queue::Target;
use super::select::Selection;
use crate::exit::Exit;

/// Deletes the selected dead letters. Asks first on a terminal; elsewhere it needs `--yes`.
#[derive(Debug, clap::Args)]
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
    let dlq = args.target.open().await?;
    let queue = dlq.queue.clone();
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            dlq.close().await;
            return Err(Exit::usage(
                "purge deletes dead letters for good: pass --yes (stdin is not a terminal, so it cannot ask)",
            ));
        }
        let what = if args.selection.all {
            "every dead letter".to_owned()
        } else {
            "the selected dead letters".to_owned()
        };
        eprint!("delete {what} from `{queue}` ({} in it)? [y/N] ", dlq.count);
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
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
