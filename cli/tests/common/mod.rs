//! What the `porticus new` tests share: the built binary, the workspace's target folder,
//! scratch folders outside the repository, and acting on a service until it answers.

#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// RabbitMQ as `.ci/run` starts it.
pub const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672";

/// The `porticus` binary under test.
pub fn porticus() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_porticus"))
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository")
}

/// The target folder the `porticus` binary was built in (`<target>/<profile>/porticus`):
/// the generated crates build there too, reusing the dependencies compiled already.
pub fn target_dir() -> PathBuf {
    porticus()
        .parent()
        .and_then(Path::parent)
        .expect("the target folder")
        .to_path_buf()
}

/// A fresh, empty folder outside the repository, unique to this test run.
pub fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("porticus-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// A `cargo` command run in `dir` against the shared target folder, offline: the generated
/// crate gets the workspace's `Cargo.lock`, so it resolves to the versions built already.
pub fn cargo(dir: &Path, args: &[&str]) -> Command {
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_NET_OFFLINE", "true");
    command
}

/// Runs `command`, failing the test with its output when it fails.
pub fn run_ok(command: &mut Command) -> Output {
    let out = command.output().expect("the command starts");
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `command` until it succeeds — a service just started may not have declared its queue
/// yet, or may still be building — and returns its stdout; fails the test after `within`.
pub fn until_answered(mut command: impl FnMut() -> Command, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let out = command().output().expect("the command starts");
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).trim().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no answer within {within:?}; last attempt:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A child process (with its process group), stopped when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        // The group: `sh -c '… cargo run'` has children of its own.
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Removes the queues a generated service `name` declared in RabbitMQ (best effort: needs
/// `rabbitmqctl`), so that test runs leave none behind.
pub fn delete_queues(name: &str) {
    for queue in [
        format!("seneca.add.role:{name}.cmd:any"),
        format!("porticus.events.{name}"),
        format!("porticus.events.{name}.dlq"),
    ] {
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_queue", &queue])
            .output();
    }
}
