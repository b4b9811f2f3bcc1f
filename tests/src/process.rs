//! Services as separate OS processes: build the example binaries, start them with a config
//! folder of their own, stop them with SIGTERM.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The log filter service processes run with: warnings, plus the startup summary (which
/// names the listeners' addresses, what the tests wait for) and the gateway's address line.
pub const QUIET_LOGS: &str = "warn,porticus::telemetry=info,gateway=info";

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds `packages` (a no-op when up to date) and returns each binary's path by name, wherever
/// the target folder is: cargo says so in its JSON messages.
///
/// # Panics
/// When the build fails.
pub fn build(packages: &[&str]) -> HashMap<String, PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = std::process::Command::new(cargo);
    command.args(["build", "--message-format=json", "--manifest-path"]);
    command.arg(workspace().join("Cargo.toml"));
    for package in packages {
        command.args(["-p", package]);
    }
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build {packages:?} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| {
            let name = m["target"]["name"].as_str()?.to_owned();
            let exe = m["executable"].as_str()?;
            packages
                .contains(&name.as_str())
                .then(|| (name, PathBuf::from(exe)))
        })
        .collect()
}

/// A copy of the config folder `from` (relative to the workspace) in a fresh temporary folder,
/// with every `(old, new)` text replacement applied to each file — to move ports.
///
/// # Panics
/// When a file cannot be read or written.
pub fn config_copy(from: &str, replacements: &[(String, String)]) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("porticus-config-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary config folder");
    for entry in std::fs::read_dir(workspace().join(from)).expect("read the config folder") {
        let path = entry.expect("an entry").path();
        let mut text = std::fs::read_to_string(&path).expect("read a config file");
        for (old, new) in replacements {
            text = text.replace(old.as_str(), new);
        }
        std::fs::write(dir.join(path.file_name().expect("a file name")), text).expect("write");
    }
    dir
}

/// A free port on 127.0.0.1 (free a moment ago).
pub fn free_port() -> u16 {
    crate::interop::free_port()
}

/// A service process, killed when dropped.
#[derive(Debug)]
pub struct Service {
    name: String,
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Service {
    /// Starts `bin` with `PORTICUS_ENV=env` and `PORTICUS_CONFIG_DIR=config`, its admin
    /// endpoint (if its config has one) moved to a free port and without a drain delay — so
    /// that tests never collide on the examples' admin ports and SIGTERM stops at once.
    ///
    /// # Panics
    /// When it cannot start.
    pub fn start(name: &str, bin: &Path, env: &str, config: &Path) -> Service {
        Service::start_with(
            name,
            bin,
            env,
            config,
            &[
                ("PORTICUS__ADMIN__BIND", "127.0.0.1:0"),
                ("PORTICUS__ADMIN__DRAIN_DELAY_MS", "0"),
            ],
        )
    }

    /// Starts `bin` with `PORTICUS_ENV=env`, `PORTICUS_CONFIG_DIR=config` and the environment
    /// variables `vars` (`PORTICUS__ADMIN__DRAIN_DELAY_MS`, …).
    ///
    /// # Panics
    /// When it cannot start.
    pub fn start_with(
        name: &str,
        bin: &Path,
        env: &str,
        config: &Path,
        vars: &[(&str, &str)],
    ) -> Service {
        let mut child = Command::new(bin)
            .env("PORTICUS_ENV", env)
            .env("PORTICUS_CONFIG_DIR", config)
            .env("RUST_LOG", QUIET_LOGS)
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        Service {
            name: name.to_owned(),
            child,
            stdout,
        }
    }

    /// Sends SIGTERM without waiting for the exit (see [`wait`](Self::wait)).
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends `signal` (`"INT"`, `"TERM"`) with `kill`, without waiting.
    pub fn signal(&self, signal: &str) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args([&format!("-{signal}"), &pid.to_string()])
                .status();
        }
    }

    /// Waits (up to `within`) for the process to exit; returns whether it exited 0.
    ///
    /// # Panics
    /// When it does not exit in time.
    pub async fn wait(&mut self, within: Duration) -> bool {
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not exit within {within:?}", self.name))
            .expect("wait for the service");
        status.success()
    }

    /// Whether it has exited already (without waiting).
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().expect("poll the service").is_some()
    }

    /// Waits (up to `within`) for a stdout line containing `needle` (log lines included).
    ///
    /// # Panics
    /// When the process exits first or the time runs out.
    pub async fn line_containing(&mut self, needle: &str, within: Duration) -> String {
        let name = self.name.clone();
        tokio::time::timeout(within, async {
            while let Some(line) = self.stdout.next_line().await.expect("read stdout") {
                if line.contains(needle) || message_of(&line).contains(needle) {
                    return line;
                }
            }
            panic!("{name} exited before printing {needle:?}");
        })
        .await
        .unwrap_or_else(|_| panic!("{name} printed no {needle:?} within {within:?}"))
    }

    /// Waits (up to `within`) for a stdout line starting with `prefix`; returns the rest.
    ///
    /// # Panics
    /// When the process exits first or the time runs out.
    pub async fn line_after(&mut self, prefix: &str, within: Duration) -> String {
        let name = self.name.clone();
        tokio::time::timeout(within, async {
            while let Some(line) = self.stdout.next_line().await.expect("read stdout") {
                if let Some(rest) = message_of(&line).strip_prefix(prefix) {
                    return rest.trim().to_owned();
                }
            }
            panic!("{name} exited before printing {prefix:?}");
        })
        .await
        .unwrap_or_else(|_| panic!("{name} printed no {prefix:?} within {within:?}"))
    }

    /// Waits (up to `within`) until something accepts TCP connections at `addr`.
    ///
    /// # Panics
    /// When the process exits first, or nothing listens in time.
    pub async fn wait_for_port(&mut self, addr: SocketAddr, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if let Some(status) = self.child.try_wait().expect("poll the service") {
                panic!("{} exited ({status}) before listening on {addr}", self.name);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} does not listen on {addr} after {within:?}",
                self.name
            );
            // Nothing to await for a port that is not open yet: poll briefly.
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Sends SIGTERM and waits (up to `within`) for the exit; returns whether it exited 0.
    ///
    /// # Panics
    /// When it does not exit in time.
    pub async fn stop(mut self, within: Duration) -> bool {
        self.terminate();
        self.wait(within).await
    }
}

/// What a printed line says: the `message` of a JSON log line (a service whose stdout is not a
/// terminal logs JSON lines), else the line itself.
pub fn message_of(line: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(fields)) => match fields.get("message") {
            Some(serde_json::Value::String(message)) => message.clone(),
            _ => line.to_owned(),
        },
        _ => line.to_owned(),
    }
}
