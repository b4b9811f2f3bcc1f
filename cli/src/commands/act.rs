//! `porticus act`: one act, its reply printed as JSON.

use crate::exit::Exit;
use crate::target::Via;
use crate::{input, output};

/// Acts once and prints the reply.
///
/// Examples:
///
///   porticus act 'role:math,cmd:sum' '{"left":1,"right":2}' --via http://127.0.0.1:10101/act
///
///   porticus act 'role:math,cmd:sum' @sum.json --via amqp://guest:guest@127.0.0.1:5672
///
///   echo '{"role":"math","cmd":"sum","left":1,"right":2}' | porticus act - --via nats://127.0.0.1:4222
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A pattern (`role:math,cmd:sum`), whose fields are added to the body and which routes it;
    /// or the whole message as JSON, `@file.json` or `-` for stdin.
    #[arg(value_name = "PATTERN|JSON")]
    pub message: String,
    /// The body (JSON, `@file.json` or `-`), when the first argument is a pattern.
    #[arg(value_name = "JSON")]
    pub body: Option<String>,
    #[command(flatten)]
    pub via: Via,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    let (msg, pattern) = input::message(&args.message, args.body.as_deref()).await?;
    let node = args.via.node(pattern.as_deref().unwrap_or("")).await?;
    let reply = node.act(msg).await.map_err(Exit::from);
    node.close();
    output::json(&reply?);
    Ok(())
}
