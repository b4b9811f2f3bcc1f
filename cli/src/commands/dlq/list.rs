//! `porticus dlq list`: the dead letters of a queue, as a table or JSON lines.

use serde_json::Value;

use super::letter::Letter;
use super::queue::Target;
use crate::exit::Exit;

/// Lists the dead letters (reason, attempts, first death, where they were going, message id).
/// Nothing is removed: the letters are read without an ack and go back when it ends.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n\n  porticus dlq list --service billing --via amqp://guest:guest@127.0.0.1:5672\n\n  porticus dlq list --service billing --via nats://127.0.0.1:4222 --json"
)]
pub struct Args {
    #[command(flatten)]
    pub target: Target,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show at most this many.
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    let (letters, place) = if args.target.is_nats() {
        nats(&args).await?
    } else {
        let mut dlq = args.target.open().await?;
        if let Some(limit) = args.limit {
            dlq.count = dlq.count.min(limit);
        }
        let taken = dlq.take_all().await;
        let queue = dlq.queue.clone();
        dlq.close().await;
        let letters: Vec<Letter> = taken?.iter().map(Letter::read).collect();
        (letters, format!("`{queue}`"))
    };
    if args.json {
        for letter in &letters {
            println!("{}", letter.json());
        }
    } else {
        print!("{}", table(&letters));
        eprintln!("{} dead letter(s) in {place}", letters.len());
    }
    Ok(())
}

/// The letters of a NATS dead-letter stream, read by sequence (nothing removed).
async fn nats(args: &Args) -> Result<(Vec<Letter>, String), Exit> {
    let mut dlq = args.target.open_nats().await?;
    let limit = args.limit.map_or(usize::MAX, |n| n as usize);
    let mut letters = Vec::new();
    let read = async {
        while letters.len() < limit {
            match dlq.next().await? {
                Some(msg) => letters.push(Letter::read_nats(&msg)),
                None => break,
            }
        }
        Ok::<_, Exit>(())
    }
    .await;
    let place = dlq.name.clone();
    dlq.close().await;
    read.map(|()| (letters, place))
}

const NATS_COLUMNS: [&str; 7] = [
    "ID",
    "REASON",
    "ATTEMPTS",
    "FIRST DEATH",
    "SERVICE",
    "SUBJECT",
    "ERROR",
];

const COLUMNS: [&str; 7] = [
    "ID",
    "REASON",
    "ATTEMPTS",
    "FIRST DEATH",
    "EXCHANGE",
    "ROUTING KEY",
    "ERROR",
];

fn table(letters: &[Letter]) -> String {
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
    let rows: Vec<[String; 7]> = letters
        .iter()
        .map(|l| {
            let json = l.json();
            [
                or_dash(&l.id),
                l.reason.clone(),
                l.attempts.map_or("-".to_owned(), |n| n.to_string()),
                json["first_death"]
                    .as_str()
                    .map_or("-".to_owned(), str::to_owned),
                match &l.nats {
                    Some(place) => or_dash(&place.service),
                    None => l
                        .exchange
                        .clone()
                        .map(|e| {
                            if e.is_empty() {
                                "(default)".to_owned()
                            } else {
                                e
                            }
                        })
                        .unwrap_or_else(|| "-".to_owned()),
                },
                match &l.nats {
                    Some(place) => or_dash(&place.subject),
                    None => or_dash(&l.routing_key),
                },
                match (
                    &l.error_code,
                    json.get("error_message").and_then(Value::as_str),
                ) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    (Some(code), None) => code.clone(),
                    _ => "-".to_owned(),
                },
            ]
        })
        .collect();
    let columns = if letters.iter().any(|l| l.nats.is_some()) {
        NATS_COLUMNS
    } else {
        COLUMNS
    };
    let mut widths = columns.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push('\n');
    };
    line(&columns.map(str::to_owned));
    for row in &rows {
        line(row);
    }
    out
}
