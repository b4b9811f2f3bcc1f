//! `porticus`: act and emit from a shell, over HTTP, AMQP or NATS; create a new service.
//!
//! ```text
//! porticus new greeter
//! porticus act 'role:math,cmd:sum' '{"left":1,"right":2}' --via amqp://guest:guest@127.0.0.1:5672
//! porticus emit '{"event":"order_shipped","order":"o-1"}' --via nats://127.0.0.1:4222
//! porticus dlq list --service billing --via amqp://guest:guest@127.0.0.1:5672
//! porticus stats --service math --via http://127.0.0.1:10101/act
//! porticus repl --via http://127.0.0.1:10101/act
//! ```
//!
//! Exit codes: 0 done; 1 the act or emit failed with an `ActError` (printed as JSON on stderr);
//! 2 a usage or connection error (for `dlq`: an unknown queue, the broker down). `dlq replay`
//! exits 1 when some dead letters could not be republished (they stay in the queue).

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
    Act(commands::act::Args),
    Emit(commands::emit::Args),
    New(commands::new::Args),
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
    Repl(commands::repl::Args),
}

fn main() -> std::process::ExitCode {
    use commands::introspect::{self, Cmd};

    let command = match Cli::parse().command {
        // `new` only writes files: no runtime.
        Command::New(args) => return finish(commands::new::run(args)),
        command => command,
    };
    // The shell waits for input between commands: a worker thread keeps the connections'
    // own tasks (AMQP heartbeats) running meanwhile.
    let built = if matches!(command, Command::Repl(_)) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match built {
        Ok(runtime) => runtime,
        Err(e) => return Exit::usage(format!("cannot start the runtime: {e}")).report(),
    };
    let outcome = match command {
        Command::Repl(args) => commands::repl::run(args, &runtime),
        command => runtime.block_on(async {
            match command {
                Command::Act(args) => commands::act::run(args).await,
                Command::Emit(args) => commands::emit::run(args).await,
                Command::Dlq(args) => commands::dlq::run(args).await,
                Command::Ping(args) => introspect::run(Cmd::Ping, args).await,
                Command::Info(args) => introspect::run(Cmd::Info, args).await,
                Command::Stats(args) => introspect::run(Cmd::Stats, args).await,
                // Handled above.
                Command::New(_) | Command::Repl(_) => Ok(()),
            }
        }),
    };
    finish(outcome)
}

/// The exit code of a command's outcome, its failure printed.
fn finish(outcome: Result<(), Exit>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(exit) => exit.report(),
    }
}
