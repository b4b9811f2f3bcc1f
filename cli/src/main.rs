//! `porticus`: act and emit from a shell, over HTTP, AMQP or NATS; create a new service.
//!
//! ```text
//! porticus new greeter
//! porticus act 'role:math,cmd:sum' '{"left":1,"right":2}' --via amqp://guest:guest@127.0.0.1:5672
//! porticus emit '{"event":"order_shipped","order":"o-1"}' --via nats://127.0.0.1:4222
//! porticus dlq list --service billing --via amqp://guest:guest@127.0.0.1:5672
//! porticus stats --service math --via http://127.0.0.1:10101/act
//! porticus repl --via http://127.0.0.1:10101/act
//! porticus probe /readyz
//! ```
//!
//! Exit codes: 0 done; 1 the act or emit failed with an `ActError` (printed as JSON on stderr);
//! 2 a usage or connection error (for `dlq`: an unknown queue, the broker down). `dlq replay`
//! exits 1 when some dead letters could not be republished (they stay in the queue). `probe`
//! exits 1 for every failure (Docker's `HEALTHCHECK` reserves 2).

mod commands;
mod exit;
mod input;
mod output;
mod scaffold;
mod target;

use clap::{Parser, Subcommand};

use exit::Exit;

/// The Porticus command line.
#[derive(Debug, Parser)]
#[command(name = "porticus", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Once(Once),
    New(commands::new::Args),
    Repl(commands::repl::Args),
}

/// The commands that reach a service once and end.
#[derive(Debug, Subcommand)]
enum Once {
    Act(commands::act::Args),
    Emit(commands::emit::Args),
    Dlq(commands::dlq::Args),
    /// Asks a service who answers: instance, versions, uptime.
    #[command(
        after_help = "Example:\n\n  porticus ping --service math --via amqp://guest:guest@127.0.0.1:5672"
    )]
    Ping(commands::introspect::Args),
    /// Asks a service what it serves and calls: actions, subscriptions, listeners, clients,
    /// configuration.
    #[command(
        after_help = "Example:\n\n  porticus info --service math --via http://127.0.0.1:10101/act --json"
    )]
    Info(commands::introspect::Args),
    /// Asks a service what it has done since it started: counts, errors, latency per pattern.
    #[command(
        after_help = "Example:\n\n  porticus stats --service math --via nats://127.0.0.1:4222"
    )]
    Stats(commands::introspect::Args),
    /// Asks a service's admin endpoint whether it is alive or ready (a container's
    /// healthcheck): exit 0 on a 2xx answer, 1 otherwise.
    Probe(commands::probe::Args),
}

fn main() -> std::process::ExitCode {
    let outcome = match Cli::parse().command {
        // `new` only writes files: no runtime.
        Command::New(args) => commands::new::run(args),
        // The shell waits for input between commands: a worker thread keeps the connections'
        // own tasks (AMQP heartbeats) running meanwhile.
        Command::Repl(args) => {
            runtime(tokio::runtime::Builder::new_multi_thread().worker_threads(1))
                .and_then(|runtime| commands::repl::run(args, &runtime))
        }
        Command::Once(command) => runtime(&mut tokio::runtime::Builder::new_current_thread())
            .and_then(|runtime| runtime.block_on(once(command))),
    };
    finish(outcome)
}

/// A runtime from `builder`, with its timers and I/O.
fn runtime(builder: &mut tokio::runtime::Builder) -> Result<tokio::runtime::Runtime, Exit> {
    builder
        .enable_all()
        .build()
        .map_err(|e| Exit::usage(format!("cannot start the runtime: {e}")))
}

async fn once(command: Once) -> Result<(), Exit> {
    use commands::introspect::{self, Cmd};

    match command {
        Once::Act(args) => commands::act::run(args).await,
        Once::Emit(args) => commands::emit::run(args).await,
        Once::Dlq(args) => commands::dlq::run(args).await,
        Once::Ping(args) => introspect::run(Cmd::Ping, args).await,
        Once::Info(args) => introspect::run(Cmd::Info, args).await,
        Once::Stats(args) => introspect::run(Cmd::Stats, args).await,
        Once::Probe(args) => commands::probe::run(args).await,
    }
}

/// The exit code of a command's outcome, its failure printed.
fn finish(outcome: Result<(), Exit>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(exit) => exit.report(),
    }
}
