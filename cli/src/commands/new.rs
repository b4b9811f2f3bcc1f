//! `porticus new`: a new service crate, standalone, ready to build, test and serve.

use std::path::{Path, PathBuf};

use crate::exit::Exit;
use crate::scaffold::{self, Scaffold, Source};

/// Creates a new service: a crate of its own with one action, one event subscriber, configs for
/// each transport, tests and a README.
///
/// Examples:
///
///   porticus new greeter
///
///   porticus new greeter --transport nats --path services
///
///   porticus new greeter --porticus-path ~/src/porticus/framework
///
/// Then, in greeter/: `cargo test`, `PORTICUS_ENV=amqp cargo run`, and from another terminal
///
///   porticus act 'role:greeter,cmd:hello' '{"name":"ada"}' --via amqp://guest:guest@127.0.0.1:5672
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The service's name: the package name, `[service] name` and the `role` of its actions.
    pub name: String,
    /// The transport its `porticus` dependency is built with (all three configs are written).
    #[arg(long, value_name = "TRANSPORT", default_value = "amqp", value_parser = ["amqp", "http", "nats"])]
    pub transport: String,
    /// The folder to create it in (as `DIR/<name>`).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub path: PathBuf,
    /// Depend on a local copy of the framework (the `framework/` folder of a clone) instead of
    /// `version = "0.1"`.
    #[arg(long, value_name = "PATH", conflicts_with = "git")]
    pub porticus_path: Option<PathBuf>,
    /// Depend on the framework's git repository instead of `version = "0.1"`.
    #[arg(long, value_name = "URL")]
    pub git: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Exit> {
    scaffold::check_name(&args.name).map_err(Exit::usage)?;
    let source = match (args.porticus_path, args.git) {
        (Some(path), _) => Source::Path(framework(&path)?),
        (None, Some(url)) => Source::Git(url),
        (None, None) => Source::Version,
    };
    let dir = args.path.join(&args.name);
    refuse_non_empty(&dir)?;
    let scaffold = Scaffold {
        name: args.name,
        transport: args.transport,
        source,
    };
    scaffold
        .write(&dir)
        .map_err(|e| Exit::usage(format!("cannot write `{}`: {e}", dir.display())))?;
    println!("created `{}` in {}", scaffold.name, dir.display());
    Ok(())
}

/// The framework's folder as an absolute path, checked to hold the `porticus` crate.
fn framework(path: &Path) -> Result<PathBuf, Exit> {
    let absolute = path
        .canonicalize()
        .map_err(|e| Exit::usage(format!("--porticus-path `{}`: {e}", path.display())))?;
    if !absolute.join("Cargo.toml").is_file() {
        return Err(Exit::usage(format!(
            "--porticus-path `{}` has no Cargo.toml: give the framework/ folder of a clone",
            path.display()
        )));
    }
    Ok(absolute)
}

/// Fails when `dir` exists and is not an empty folder.
fn refuse_non_empty(dir: &Path) -> Result<(), Exit> {
    if !dir.exists() {
        return Ok(());
    }
    let empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
    if empty {
        Ok(())
    } else {
        Err(Exit::usage(format!(
            "`{}` already exists and is not an empty folder: nothing written",
            dir.display()
        )))
    }
}
