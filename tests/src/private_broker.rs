//! A private RabbitMQ node for the fault tests that stop, block or close the whole broker
//! (reliability.md §3.1): loopback only, its own data directory, its own ports, so that
//! `stop_app` or a memory alarm touches nothing but the test that asked for it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::free_port;
use crate::tls::Pki;

/// A RabbitMQ node started for one test and stopped (its data removed) when dropped.
#[derive(Debug)]
pub struct PrivateBroker {
    node: String,
    dir: PathBuf,
    port: u16,
    /// The `amqps` listener's port, for a node started with [`PrivateBroker::start_tls`].
    tls_port: Option<u16>,
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
        Self::launch(tag, None)
    }

    /// Starts a node as [`start`](Self::start) does, with a TLS listener too: `pki`'s server
    /// certificate and key (copied into the node's directory, readable by user `rabbitmq`),
    /// no client certificate asked for. See [`amqps_url`](Self::amqps_url).
    ///
    /// # Panics
    /// As [`start`](Self::start), and when the certificates cannot be copied.
    pub fn start_tls(tag: &str, pki: &Pki) -> PrivateBroker {
        Self::launch(tag, Some(pki))
    }

    fn launch(tag: &str, pki: Option<&Pki>) -> PrivateBroker {
        let node = format!("porticus-{tag}-{}@localhost", std::process::id());
        let dir =
            std::env::temp_dir().join(format!("porticus-broker-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the broker's directory");
        let port = free_port();
        let dist_port = free_port();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").expect("write enabled_plugins");
        let tls_port = pki.map(|_| free_port());
        let tls = match (pki, tls_port) {
            (Some(pki), Some(tls_port)) => tls_config(pki, &dir, tls_port),
            _ => String::new(),
        };
        std::fs::write(
            dir.join("rabbitmq.conf"),
            format!("listeners.tcp.default = 127.0.0.1:{port}\n{CONFIG}{tls}"),
        )
        .expect("write rabbitmq.conf");
        // The package's wrapper re-runs the server as user `rabbitmq` when started as root.
        let _ = Command::new("chown")
            .args(["-R", "rabbitmq:rabbitmq"])
            .arg(&dir)
            .status();
        let broker = PrivateBroker {
            node,
            dir,
            port,
            tls_port,
        };
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

    /// `amqps://guest:guest@127.0.0.1:<tls port>/%2f`.
    ///
    /// # Panics
    /// When the node was started without TLS.
    pub fn amqps_url(&self) -> String {
        let port = self.tls_port.expect("a node started with start_tls");
        format!("amqps://guest:guest@127.0.0.1:{port}/%2f")
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
            let up = |port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if ok && up(self.port) && self.tls_port.is_none_or(up) {
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

/// The `rabbitmq.conf` lines of a TLS listener on `port` with `pki`'s server certificate,
/// copied into `dir` (the wrapper runs the server as user `rabbitmq`, who must read them).
fn tls_config(pki: &Pki, dir: &std::path::Path, port: u16) -> String {
    let copy = |from: PathBuf, name: &str| {
        let to = dir.join(name);
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
        to.display().to_string()
    };
    let ca = copy(pki.ca_file(), "tls-ca.pem");
    let cert = copy(pki.cert_file(), "tls-server.pem");
    let key = copy(pki.key_file(), "tls-server.key");
    format!(
        "listeners.ssl.default = 127.0.0.1:{port}\n\
         ssl_options.cacertfile = {ca}\n\
         ssl_options.certfile = {cert}\n\
         ssl_options.keyfile = {key}\n\
         ssl_options.verify = verify_none\n\
         ssl_options.fail_if_no_peer_cert = false\n"
    )
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl")
            .args(["-n", &self.node, "-q", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
