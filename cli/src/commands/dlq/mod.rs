//! `porticus dlq`: read, replay and purge the dead-lettered events of a service (RabbitMQ or
//! NATS JetStream; the NATS side is in `nats*.rs`).
//!
//! On RabbitMQ, reading never loses a message: dead letters are taken with `basic.get` without an ack on
//! one channel and held unacknowledged; what is not replayed or purged goes back to the queue
//! when that channel closes (or when the process dies). A classic queue puts them back in
//! their places; they come back marked `redelivered`, which nothing here relies on.

mod letter;
mod list;
mod nats;
mod nats_letter;
mod nats_replay;
mod progress;
mod purge;
mod queue;
mod replay;
mod select;
mod show;

use crate::exit::Exit;

/// Lists, shows, replays or purges the dead-lettered events of a service.
///
/// RabbitMQ (--via amqp://…): the service's dead-letter queue,
/// `<event-queue-prefix>.<service><dead-letter-suffix>` (`porticus.events.billing.dlq`), or
/// `--queue NAME`. Listing every service's queue would need the management API, which the
/// command line does not use: name the service or the queue.
///
/// NATS (--via nats://…): the messages on `<subject-prefix>.dlq.<service>`
/// (`porticus.dlq.billing`) in the JetStream stream `--stream` (`PORTICUS_DLQ`). They are read
/// by sequence, never consumed; replay publishes a letter to the subject it was emitted on
/// (every subscribing service receives it again) and deletes it once JetStream acked the copy.
///
/// Examples:
///
///   porticus dlq list --service billing --via amqp://guest:guest@127.0.0.1:5672
///
///   porticus dlq show 0b9e…-id --service billing --via amqp://guest:guest@127.0.0.1:5672
///
///   porticus dlq replay --pattern 'event:order_shipped' --service billing --via amqp://…
///
///   porticus dlq purge --all --yes --service billing --via amqp://…
///
///   porticus dlq list --service billing --via nats://127.0.0.1:4222
///
///   porticus dlq replay --all --service billing --via nats://127.0.0.1:4222
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    List(list::Args),
    Show(show::Args),
    Replay(replay::Args),
    Purge(purge::Args),
}

/// Connects with `connect`, giving up after `timeout_ms`: an unreachable broker is a
/// connection error (exit 2) naming `url`.
async fn reach<T, E: std::fmt::Display>(
    url: &str,
    timeout_ms: u64,
    connect: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, Exit> {
    tokio::time::timeout(std::time::Duration::from_millis(timeout_ms), connect)
        .await
        .map_err(|_| {
            Exit::usage(format!(
                "cannot reach {url}: no connection within {timeout_ms} ms"
            ))
        })?
        .map_err(|e| Exit::usage(format!("cannot reach {url}: {e}")))
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    match args.command {
        Command::List(args) => list::run(args).await,
        Command::Show(args) => show::run(args).await,
        Command::Replay(args) => replay::run(args).await,
        Command::Purge(args) => purge::run(args).await,
    }
}
