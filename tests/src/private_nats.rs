//! A private nats-server (JetStream on) for the fault tests that kill and restart the server:
//! loopback only, a free port, its own store directory (kept across restarts), so that nothing
//! but the test that asked for it is disturbed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::free_port;

/// A nats-server started for one test; killed (its store removed) when dropped.
#[derive(Debug)]
pub struct PrivateNats {
    dir: PathBuf,
    port: u16,
    auth: Option<(String, String)>,
    child: Option<Child>,
}

impl PrivateNats {
    /// Starts `nats-server -js` on a free port of 127.0.0.1 with its store under a fresh
    /// directory, and waits until it accepts connections.
    ///
    /// # Panics
    /// When `nats-server` is missing or does not start within 20 s (tests never skip).
    pub fn start(tag: &str) -> PrivateNats {
        PrivateNats::launch(tag, None)
    }

    /// As [`start`](Self::start), requiring `user` and `password` from every client.
    pub fn start_with_user(tag: &str, user: &str, password: &str) -> PrivateNats {
        PrivateNats::launch(tag, Some((user.to_owned(), password.to_owned())))
    }

    fn launch(tag: &str, auth: Option<(String, String)>) -> PrivateNats {
        let dir = std::env::temp_dir().join(format!("porticus-nats-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the server's directory");
        let mut server = PrivateNats {
            dir,
            port: free_port(),
            auth,
            child: None,
        };
        server.restart();
        server
    }

    /// `nats://127.0.0.1:<port>` (no credentials).
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL: no goodbye to the clients), keeping its store.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and store; returns once it accepts
    /// connections.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn restart(&mut self) {
        self.kill();
        let mut command = Command::new("nats-server");
        command
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.dir.join("store"))
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((user, password)) = &self.auth {
            command.args(["--user", user, "--pass", password]);
        }
        let child = command
            .spawn()
            .expect("nats-server is needed for the NATS fault tests");
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the private nats-server on port {} did not start within 20 s",
            self.port
        );
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
