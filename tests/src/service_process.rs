//! Porticus services as separate OS processes (the `amqp-node` test binary, the math
//! example), with the signals the durability tests need.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::process::message_of;

/// A service process, killed when dropped.
#[derive(Debug)]
pub struct Service {
    child: Child,
    lines: Receiver<String>,
    /// What it printed after `READY` (its instance id).
    pub instance: String,
}

impl Service {
    /// Starts `command` and waits (up to 60 s) for a line starting with `READY`.
    ///
    /// # Panics
    /// When it does not start, or exits before it is ready.
    pub fn start(command: Command) -> Service {
        Service::start_when(command, "READY")
    }

    /// Starts `command` and waits (up to 60 s) for a line starting with `ready`; the rest of
    /// that line is kept as [`instance`](Self::instance).
    ///
    /// # Panics
    /// When it does not start, or exits before it is ready.
    pub fn start_when(mut command: Command, ready: &str) -> Service {
        let shown = format!("{command:?}");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if message_of(&line).starts_with(ready) => {
                    let instance = message_of(&line)[ready.len()..].trim().to_owned();
                    return Service {
                        child,
                        lines,
                        instance,
                    };
                }
                Ok(_) => continue,
                Err(e) => {
                    let _ = child.kill();
                    panic!("{shown} did not become ready: {e}");
                }
            }
        }
    }

    /// `kill -9`: no chance to ack or requeue anything.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit; returns whether it exited successfully.
    pub fn terminate(mut self) -> bool {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (`"STOP"`, `"CONT"`, …) with `kill`.
    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
    }

    /// Waits (up to `within`) for a line it prints that starts with `prefix`, and returns it.
    ///
    /// # Panics
    /// When no such line comes in time.
    pub fn wait_line(&self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if message_of(&line).starts_with(prefix) => return line,
                Ok(_) => continue,
                Err(e) => panic!("no line starting with `{prefix}` within {within:?}: {e}"),
            }
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its resident memory (`VmRSS` in `/proc/<pid>/status`), in KiB.
    ///
    /// # Panics
    /// When `/proc` cannot be read (Linux only).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("a VmRSS line")
    }

    /// Lines it printed after `READY`, so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `amqp-node` binary (`bin`: `env!("CARGO_BIN_EXE_amqp-node")` in an integration test)
/// with `args`.
pub fn amqp_node(bin: &str, args: &[&str]) -> Command {
    let mut command = Command::new(bin);
    command
        .args(args)
        .env("RUST_LOG", crate::process::QUIET_LOGS);
    command
}

/// A scratch directory for one test, removed first if it exists.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("porticus-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// How many times each number appears in a record file written by `amqp-node subscriber`.
pub fn recorded(path: &Path) -> HashMap<u64, u32> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut counts = HashMap::new();
    for line in text.lines() {
        if let Ok(n) = line.trim().parse::<u64>() {
            *counts.entry(n).or_insert(0) += 1;
        }
    }
    counts
}

/// Waits (up to `within`) until the record file holds `count` distinct numbers.
pub fn wait_recorded(path: &Path, count: usize, within: Duration) -> HashMap<u64, u32> {
    let deadline = Instant::now() + within;
    loop {
        let counts = recorded(path);
        if counts.len() >= count || Instant::now() >= deadline {
            return counts;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
