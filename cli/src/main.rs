//! `porticus`: act and emit from a shell, over HTTP, AMQP or NATS; create a new service.
//!
//! ```text
//! porticus new greeter
//! porticus act 'role:math,cmd:sum' '{"left":1,"right":2}' --via amqp://guest:guest@127.0.0.1:5672
//! porticus emit '{"event":"order_shipped","order":"o-1"}' --via nats://127.0.0.1:4222
//! porticus dlq list --service billing --via amqp://guest:guest@127.0.0.1:5672
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
}

fn main() -> std::process::ExitCode {
    let command = match Cli::parse().command {
        // `new` only writes files: no runtime.
        Command::New(args) => return finish(commands::new::run(args)),
        command => command,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Exit::usage(format!("cannot start the runtime: {e}")).report(),
    };
    let outcome = runtime.block_on(async {
        match command {
            Command::Act(args) => commands::act::run(args).await,
            Command::Emit(args) => commands::emit::run(args).await,
            Command::New(args) => commands::new::run(args),
            Command::Dlq(args) => commands::dlq::run(args).await,
        }
    });
    finish(outcome)
}

/// The exit code of a command's outcome, its failure printed.
fn finish(outcome: Result<(), Exit>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(exit) => exit.report(),
    }
}
