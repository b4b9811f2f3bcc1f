//! docs/getting-started.md's "a service of your own" section, run as written: the fenced `sh`
//! blocks between its markers, in order, so that the doc and the command line cannot drift.
//!
//! What the test changes, and only that: `porticus` at the start of a command is the binary
//! under test; `porticus new` gets `--porticus-path <this repository>/framework` (the doc's
//! version, `0.1`, is what users get from crates.io); the service's name gets this run's pid,
//! so that runs do not share queues; cargo builds offline in this workspace's target folder
//! with its `Cargo.lock`. A block whose command is `cargo run` keeps running: it is started in
//! the background and stopped at the end. A line `# …` after a command is its expected output.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{repo, scratch, target_dir, until_answered, Running};

/// The markers around the section in docs/getting-started.md.
const START: &str = "<!-- getting-started:new-service";
const END: &str = "<!-- /getting-started:new-service -->";

/// The name the doc gives its service.
const NAME: &str = "greeter";

/// One fenced `sh` block: its commands and the output it shows.
#[derive(Debug)]
struct Block {
    commands: Vec<String>,
    expected: Vec<String>,
}

/// The `sh` blocks of the marked section, in order.
fn blocks(markdown: &str) -> Vec<Block> {
    let start = markdown.find(START).expect("the section's start marker");
    let end = markdown[start..]
        .find(END)
        .expect("the section's end marker")
        + start;
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in markdown[start..end].lines() {
        match (line.trim_end(), current.as_mut()) {
            ("```sh", None) => {
                current = Some(Block {
                    commands: Vec::new(),
                    expected: Vec::new(),
                })
            }
            ("```", Some(_)) => blocks.extend(current.take()),
            (line, Some(block)) if line.starts_with("# ") => {
                block.expected.push(line[2..].to_owned())
            }
            (line, Some(block)) if !line.is_empty() => block.commands.push(line.to_owned()),
            _ => {}
        }
    }
    blocks
}

/// `command` as this test runs it (see the module's doc).
fn localize(command: &str, name: &str) -> String {
    let porticus = env!("CARGO_BIN_EXE_porticus");
    let mut command = command.replace(NAME, name);
    if let Some(rest) = command.strip_prefix("porticus ") {
        command = format!("{porticus} {rest}");
    }
    if command.starts_with(&format!("{porticus} new ")) {
        command = format!(
            "{command} --porticus-path '{}'",
            repo().join("framework").display()
        );
    }
    command
}

/// `sh -c command` in `dir`, with cargo pointed at this workspace's build.
fn shell(command: &str, dir: &std::path::Path) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", command])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_NET_OFFLINE", "true");
    sh
}

#[test]
fn the_getting_started_commands_work_as_written() {
    let started = Instant::now();
    let doc = std::fs::read_to_string(repo().join("docs/getting-started.md")).expect("the doc");
    let blocks = blocks(&doc);
    let commands: usize = blocks.iter().map(|b| b.commands.len()).sum();
    assert!(
        commands <= 4,
        "the doc promises at most four commands, it has {commands}"
    );
    assert!(
        blocks.iter().any(|b| !b.expected.is_empty()),
        "the section shows what comes back"
    );

    let root = scratch("getting-started");
    let name = format!("{NAME}_{}", std::process::id());
    let mut servers = Vec::new();
    for block in &blocks {
        for command in &block.commands {
            let local = localize(command, &name);
            if command.contains("cargo run") {
                // The generated crate resolves to the versions this workspace built.
                std::fs::copy(
                    repo().join("Cargo.lock"),
                    root.join(&name).join("Cargo.lock"),
                )
                .expect("copy Cargo.lock");
                let server = shell(&local, &root)
                    .stdout(Stdio::null())
                    .process_group(0)
                    .spawn()
                    .expect("the service starts");
                servers.push(Running(server));
            } else if servers.is_empty() {
                let out = shell(&local, &root).output().expect("sh runs");
                assert!(
                    out.status.success(),
                    "`{command}` failed:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            } else {
                // The service may still be building, or declaring its queue.
                let stdout = until_answered(|| shell(&local, &root), Duration::from_secs(600));
                assert_eq!(
                    stdout,
                    block.expected.join("\n"),
                    "`{command}` printed something else than the doc shows"
                );
            }
        }
    }
    assert!(!servers.is_empty(), "the section starts a service");
    eprintln!("the doc's commands ran in {:?}", started.elapsed());

    drop(servers);
    common::delete_queues(&name);
    std::fs::remove_file(target_dir().join("debug").join(&name)).ok();
    std::fs::remove_dir_all(&root).ok();
}
