//! Real Seneca.js peers for the wire-compatibility tests: installs the pinned npm packages
//! once (under `target/interop`), starts Node.js scripts from `tests/interop/` and reads their
//! JSON-lines output.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::npm;

/// Installs the pinned Seneca packages of `tests/interop` (once, see [`npm::prepare`]) and
/// returns the folder the scripts run in.
///
/// # Panics
/// When npm is missing or the install fails: interop tests must run, never skip.
pub fn prepare() -> PathBuf {
    npm::prepare("interop")
}

/// A port that was free a moment ago on 127.0.0.1 (for peers that cannot bind port 0).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

/// A Node.js process, killed when dropped.
#[derive(Debug)]
pub struct NodeProcess {
    child: Child,
}

/// Starts `script` in the install folder; its stdout lines arrive on the returned channel,
/// which closes when the script exits.
fn spawn(script: &str, args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(prepare())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

impl NodeProcess {
    /// Starts `script` with `args` and waits (up to 30 s) for it to print a line starting with
    /// `READY`.
    ///
    /// # Panics
    /// When the script does not start or exits before it is ready.
    pub fn start(script: &str, args: &[&str]) -> NodeProcess {
        let (child, lines) = spawn(script, args);
        let process = NodeProcess { child };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.starts_with("READY") => return process,
                Ok(_) => continue,
                Err(e) => panic!("{script} {args:?} did not become ready: {e}"),
            }
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script` to completion (up to 60 s) and returns every JSON line it printed.
///
/// # Panics
/// When the script fails, times out or prints a line that is not JSON.
pub fn run(script: &str, args: &[&str]) -> Vec<Value> {
    let (child, rx) = spawn(script, args);
    let mut process = NodeProcess { child };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => lines.push(line),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("{script} {args:?} ran over 60 s"),
        }
    }
    let status = process.child.wait().expect("wait for node");
    assert!(
        status.success(),
        "{script} {args:?} failed: {status}; output: {lines:?}"
    );
    lines
        .iter()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{script} printed non-JSON {l:?}: {e}"))
        })
        .collect()
}
