//! A private RabbitMQ node for the fault tests that stop, block or close the whole broker
//! (reliability.md §3.1): loopback only, its own data directory, its own ports, so that
//! `stop_app` or a memory alarm touches nothing but the test that asked for it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::free_port;

/// A RabbitMQ node started for one test and stopped (its data removed) when dropped.
#[derive(Debug)]
pub struct PrivateBroker {
    node: String,
    dir: PathBuf,
    port: u16,
}

const CONFIG: &str = "max_message_size = 16777216\n";

impl PrivateBroker {
    /// Starts a node named `porticus-<tag>-<pid>@localhost` on a free port and waits until it
    /// accepts connections.
    ///
    /// # Panics
    /// When `rabbitmq-server` is missing or the node does not start within 90 s (tests never
    /// skip).
    pub fn start(tag: &str) -> PrivateBroker {
        let node = format!("porticus-{tag}-{}@localhost", std::process::id());
        let dir =
            std::env::temp_dir().join(format!("porticus-broker-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the broker's directory");
        let port = free_port();
        let dist_port = free_port();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").expect("write enabled_plugins");
        std::fs::write(
            dir.join("rabbitmq.conf"),
            format!("listeners.tcp.default = 127.0.0.1:{port}\n{CONFIG}"),
        )
        .expect("write rabbitmq.conf");
        // The package's wrapper re-runs the server as user `rabbitmq` when started as root.
        let _ = Command::new("chown")
            .args(["-R", "rabbitmq:rabbitmq"])
            .arg(&dir)
            .status();
        let broker = PrivateBroker { node, dir, port };
        let status = Command::new("rabbitmq-server")
            .arg("-detached")
            .env("RABBITMQ_NODENAME", &broker.node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", port.to_string())
            .env("RABBITMQ_DIST_PORT", dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", broker.dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", broker.dir.join("log"))
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                broker.dir.join("enabled_plugins"),
            )
            .env("RABBITMQ_PID_FILE", broker.dir.join("pid"))
            .env("RABBITMQ_CONFIG_FILE", broker.dir.join("rabbitmq.conf"))
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}",
            )
            .status()
            .expect("rabbitmq-server is needed for the fault tests");
        assert!(
            status.success(),
            "rabbitmq-server -detached failed: {status}"
        );
        broker.await_startup();
        broker
    }

    /// `amqp://guest:guest@127.0.0.1:<port>/%2f`.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Runs `rabbitmqctl -n <node> -q <args>` and returns its standard output.
    ///
    /// # Panics
    /// When the command fails.
    pub fn ctl(&self, args: &[&str]) -> String {
        let output = Command::new("rabbitmqctl")
            .args(["-n", &self.node, "-q"])
            .args(args)
            .output()
            .expect("rabbitmqctl runs");
        assert!(
            output.status.success(),
            "rabbitmqctl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn await_startup(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(90) {
            let ok = Command::new("rabbitmqctl")
                .args(["-n", &self.node, "-q", "await_startup", "--timeout", "30"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("the private broker {} did not start within 90 s", self.node);
    }

    /// `stop_app`: the port refuses connections; durable data is kept.
    pub fn stop_app(&self) {
        self.ctl(&["stop_app"]);
    }

    /// `start_app`, returning once the node accepts connections again.
    pub fn start_app(&self) {
        self.ctl(&["start_app"]);
        self.await_startup();
    }

    /// Closes every client connection (`320 CONNECTION_FORCED`).
    pub fn close_all_connections(&self) {
        self.ctl(&["close_all_connections", "fault injected by a test"]);
    }

    /// Sets the memory high watermark (`0.000001` raises the memory alarm at once and blocks
    /// every publisher; `0.4` is the default).
    pub fn memory_watermark(&self, fraction: &str) {
        self.ctl(&["set_vm_memory_high_watermark", fraction]);
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl")
            .args(["-n", &self.node, "-q", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
