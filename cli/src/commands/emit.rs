//! `porticus emit`: one event, handed over (confirmed by the broker where there is one).

use crate::exit::Exit;
use crate::input;
use crate::target::Via;

/// Emits one event; prints nothing when the transport accepted it.
///
/// Examples:
///
///   porticus emit '{"event":"order_shipped","order":"o-1"}' --via amqp://guest:guest@127.0.0.1:5672
///
///   porticus emit 'event:order_shipped' '{"order":"o-1"}' --via nats://127.0.0.1:4222
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A pattern (`event:order_shipped`), whose fields are added to the body; or the whole
    /// event as JSON, `@file.json` or `-` for stdin.
    #[arg(value_name = "PATTERN|JSON")]
    pub event: String,
    /// The body (JSON, `@file.json` or `-`), when the first argument is a pattern.
    #[arg(value_name = "JSON")]
    pub body: Option<String>,
    #[command(flatten)]
    pub via: Via,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    let (event, _pattern) = input::message(&args.event, args.body.as_deref()).await?;
    // Events are routed by their own keys: the client takes every one.
    let node = args.via.node("").await?;
    let handed = node.emit(event).await.map_err(Exit::from);
    node.close();
    handed
}
