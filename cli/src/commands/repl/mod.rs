//! `porticus repl`: an interactive shell that acts, emits and asks services about themselves,
//! on one target, with line editing, history and completion.

mod complete;
mod parse;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use porticus::Node;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Editor};
use tokio::runtime::Runtime;

use crate::commands::introspect::{self, Cmd};
use crate::exit::Exit;
use crate::target::Via;
use crate::{input, output};
use complete::{ReplHelper, Vocabulary};
use parse::Line;

const PROMPT: &str = "porticus> ";
/// The prompt while a JSON body is still open.
const MORE: &str = "     ...> ";

/// An interactive shell: `act`, `emit`, `ping`, `info`, `stats`, `help`, `quit`.
///
/// Example:
///
///   porticus repl --via http://127.0.0.1:10101/act --service math
///   porticus> act role:math,cmd:sum {"left": 1,
///        ...> "right": 2}
///   porticus> info math
///   porticus> quit
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub via: Via,
    /// The history file (default: `$XDG_DATA_HOME/porticus/history`, else
    /// `~/.local/share/porticus/history`).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Ask this service for its `info` at the start, to complete its patterns (repeatable).
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
}

/// Runs the shell until `quit` or end of input; a failed command prints and the shell goes on.
pub fn run(args: Args, runtime: &Runtime) -> Result<(), Exit> {
    let helper = ReplHelper::default();
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<ReplHelper, FileHistory> = Editor::with_config(config)
        .map_err(|e| Exit::usage(format!("cannot start the line editor: {e}")))?;
    let mut session = Session {
        via: args.via,
        nodes: HashMap::new(),
        vocabulary: Arc::clone(&helper.vocabulary),
    };
    editor.set_helper(Some(helper));
    let history = args.history.or_else(default_history);
    if let Some(path) = &history {
        // A first run has no history yet.
        let _ = editor.load_history(path);
    }
    for service in &args.service {
        if let Err(exit) = runtime.block_on(session.introspect(Cmd::Info, service, false)) {
            exit.print();
        }
    }
    while let Some(entry) = read_entry(&mut editor) {
        if entry.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(entry.as_str());
        match parse::parse(&entry) {
            Ok(Line::Quit) => break,
            Ok(line) => {
                if let Err(exit) = runtime.block_on(session.execute(line)) {
                    exit.print();
                }
            }
            Err(message) => eprintln!("porticus: {message}"),
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = editor.save_history(path) {
            eprintln!(
                "porticus: cannot save the history in {}: {e}",
                path.display()
            );
        }
    }
    session.close();
    Ok(())
}

/// One entry: a line, and the lines after it while its braces are open. `None` at the end of
/// input; an empty entry on ctrl-c.
fn read_entry(editor: &mut Editor<ReplHelper, FileHistory>) -> Option<String> {
    let mut entry = match editor.readline(PROMPT) {
        Ok(line) => line,
        Err(ReadlineError::Interrupted) => return Some(String::new()),
        Err(ReadlineError::Eof) => return None,
        Err(e) => {
            eprintln!("porticus: cannot read a line: {e}");
            return None;
        }
    };
    while parse::unbalanced(&entry) {
        match editor.readline(MORE) {
            Ok(line) => {
                entry.push('\n');
                entry.push_str(&line);
            }
            Err(ReadlineError::Interrupted) => return Some(String::new()),
            // Let the parser say what is missing.
            Err(_) => break,
        }
    }
    Some(entry)
}

/// `$XDG_DATA_HOME/porticus/history`, else `$HOME/.local/share/porticus/history`.
fn default_history() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data.join("porticus").join("history"))
}

/// The shell's connections (one node per client pin, kept for the session) and what
/// completion has learnt.
struct Session {
    via: Via,
    nodes: HashMap<String, Node>,
    vocabulary: Arc<Mutex<Vocabulary>>,
}

impl Session {
    /// A node whose client is pinned to `pin` (an AMQP client takes its routing key from it).
    async fn node(&mut self, pin: &str) -> Result<Node, Exit> {
        if let Some(node) = self.nodes.get(pin) {
            return Ok(node.clone());
        }
        let node = self.via.node(pin).await?;
        self.nodes.insert(pin.to_owned(), node.clone());
        Ok(node)
    }

    fn vocabulary(&self) -> std::sync::MutexGuard<'_, Vocabulary> {
        self.vocabulary.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn execute(&mut self, line: Line) -> Result<(), Exit> {
        match line {
            Line::Empty | Line::Quit => Ok(()),
            Line::Help => {
                println!("{}", parse::HELP);
                Ok(())
            }
            Line::Act { message, body } => {
                let (msg, pattern) = message_of(&message, body.as_deref()).await?;
                let node = self.node(pattern.as_deref().unwrap_or("")).await?;
                let reply = node.act(msg).await?;
                if let Some(pattern) = &pattern {
                    self.vocabulary().learn_pattern(pattern);
                }
                output::json(&reply);
                Ok(())
            }
            Line::Emit { event, body } => {
                let (event, _) = message_of(&event, body.as_deref()).await?;
                // Events are routed by their own keys: the client takes every one.
                self.node("").await?.emit(event).await?;
                println!("emitted");
                Ok(())
            }
            Line::Introspect(cmd, service) => self.introspect(cmd, &service, true).await,
        }
    }

    /// Asks `service` for `cmd`, learns from the reply, and prints it when `show`.
    async fn introspect(&mut self, cmd: Cmd, service: &str, show: bool) -> Result<(), Exit> {
        let node = self.node(&introspect::pin(service)).await?;
        let reply = node.act(introspect::message(service, cmd)).await?;
        if cmd == Cmd::Info {
            self.vocabulary().learn(&reply);
        } else {
            self.vocabulary().learn_service(service);
        }
        if show {
            introspect::print(cmd, &reply, false);
        }
        Ok(())
    }

    fn close(self) {
        for node in self.nodes.values() {
            node.close();
        }
    }
}

/// The message of an `act` or `emit` line; stdin (`-`) is the shell's own, so it is refused.
async fn message_of(
    first: &str,
    body: Option<&str>,
) -> Result<(serde_json::Value, Option<String>), Exit> {
    if first == "-" || body == Some("-") {
        return Err(Exit::usage(
            "in the shell, give the JSON inline or as @file.json (stdin is the shell's)",
        ));
    }
    input::message(first, body).await
}
