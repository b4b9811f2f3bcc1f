//! A private three-node RabbitMQ cluster for the cluster fault tests: three nodes on this
//! machine, each with its own node name, ports and data directory, joined into one cluster,
//! loopback only; stopped and removed when dropped.
//!
//! Its nodes are started like [`crate::private_broker::PrivateBroker`]'s (same package
//! wrapper, same environment variables), but each can also be killed (`kill -9`), stopped
//! gracefully and started again with its data, which a single private broker never needs.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::free_port;

/// One node of a [`BrokerCluster`].
#[derive(Debug)]
pub struct ClusterNode {
    name: String,
    dir: PathBuf,
    port: u16,
    dist_port: u16,
}

/// Settings every node shares. Each node's Erlang VM keeps its schedulers from spinning
/// (`+sbwt none`): three idle nodes would otherwise burn a core of this 2-core machine.
const CONFIG: &str = "max_message_size = 16777216\nvm_memory_high_watermark.absolute = 450MB\n";
const ERL_ARGS: &str =
    "-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none";

impl ClusterNode {
    fn new(tag: &str, index: usize) -> ClusterNode {
        let pid = std::process::id();
        let name = format!("porticus-{tag}{index}-{pid}@localhost");
        let dir = std::env::temp_dir().join(format!("porticus-cluster-{tag}{index}-{pid}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the node's directory");
        let node = ClusterNode {
            name,
            dir,
            port: free_port(),
            dist_port: free_port(),
        };
        std::fs::write(node.dir.join("enabled_plugins"), "[].\n").expect("write enabled_plugins");
        std::fs::write(
            node.dir.join("rabbitmq.conf"),
            format!("listeners.tcp.default = 127.0.0.1:{}\n{CONFIG}", node.port),
        )
        .expect("write rabbitmq.conf");
        // The package's wrapper re-runs the server as user `rabbitmq` when started as root.
        let _ = Command::new("chown")
            .args(["-R", "rabbitmq:rabbitmq"])
            .arg(&node.dir)
            .status();
        node
    }

    /// The node's name, `porticus-<tag><n>-<pid>@localhost`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `amqp://guest:guest@127.0.0.1:<port>/%2f`.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Starts the node's VM (detached), with its data directory as it was left.
    fn launch(&self) {
        let status = Command::new("rabbitmq-server")
            .arg("-detached")
            .env("RABBITMQ_NODENAME", &self.name)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", self.dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", self.dir.join("log"))
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.dir.join("enabled_plugins"),
            )
            .env("RABBITMQ_PID_FILE", self.dir.join("pid"))
            .env("RABBITMQ_CONFIG_FILE", self.dir.join("rabbitmq.conf"))
            .env("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", ERL_ARGS)
            .status()
            .expect("rabbitmq-server is needed for the cluster tests");
        assert!(
            status.success(),
            "rabbitmq-server -detached failed for {}: {status}",
            self.name
        );
    }

    /// Runs `rabbitmqctl -n <node> -q <args>`: its standard output, or its error output.
    pub fn try_ctl(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("rabbitmqctl")
            .args(["-n", &self.name, "-q"])
            .args(args)
            .output()
            .map_err(|e| format!("rabbitmqctl does not run: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "rabbitmqctl -n {} {args:?} failed: {}{}",
                self.name,
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&output.stdout)
            ))
        }
    }

    /// Runs `rabbitmqctl -n <node> -q <args>` and returns its standard output.
    ///
    /// # Panics
    /// When the command fails.
    pub fn ctl(&self, args: &[&str]) -> String {
        self.try_ctl(args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits until the node runs its application and accepts AMQP connections.
    fn await_startup(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            let ok = self.try_ctl(&["await_startup", "--timeout", "30"]).is_ok();
            if ok && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("the cluster node {} did not start within 120 s", self.name);
    }

    /// The OS process id of the node's VM, from its pid file.
    fn os_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }

    /// `kill -9` of the node's VM: no goodbye to its peers or clients.
    ///
    /// # Panics
    /// When the node has no pid file or the signal cannot be sent.
    pub fn kill(&self) {
        let pid = self
            .os_pid()
            .unwrap_or_else(|| panic!("{} has no pid file", self.name));
        let status = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -9 {pid} ({}) failed", self.name);
        // Gone once its port refuses connections.
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{} still accepts connections after kill -9",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the node gracefully (`rabbitmqctl stop`: it hands over its queue leaders and
    /// closes its connections), waiting until its VM has exited.
    pub fn stop(&self) {
        self.ctl(&["stop"]);
    }

    /// Starts the node again (after [`kill`](Self::kill) or [`stop`](Self::stop)) with its
    /// data; it rejoins its cluster by itself. Returns once it accepts connections.
    pub fn restart(&self) {
        self.launch();
        self.await_startup();
    }

    /// Force-closes every client connection on this node (`320 CONNECTION_FORCED`).
    pub fn close_connections(&self) {
        self.ctl(&["close_all_connections", "fault injected by a test"]);
    }
}

/// Three private RabbitMQ nodes joined into one cluster.
#[derive(Debug)]
pub struct BrokerCluster {
    nodes: Vec<ClusterNode>,
}

impl BrokerCluster {
    /// Starts three nodes named `porticus-<tag>{1,2,3}-<pid>@localhost` on free ports and joins
    /// the second and third to the first (`join_cluster`); returns once all three run.
    ///
    /// # Panics
    /// When `rabbitmq-server` is missing, a node does not start within 120 s, or a join fails
    /// (tests never skip).
    pub fn start(tag: &str) -> BrokerCluster {
        let cluster = BrokerCluster {
            nodes: (1..=3).map(|i| ClusterNode::new(tag, i)).collect(),
        };
        for node in &cluster.nodes {
            node.launch();
        }
        for node in &cluster.nodes {
            node.await_startup();
        }
        let first = &cluster.nodes[0];
        for node in &cluster.nodes[1..] {
            node.ctl(&["stop_app"]);
            node.ctl(&["join_cluster", first.name()]);
            node.ctl(&["start_app"]);
            node.await_startup();
        }
        let status = first.ctl(&["cluster_status", "--formatter", "json"]);
        for node in &cluster.nodes {
            assert!(
                status.contains(node.name()),
                "{} is not in the cluster: {status}",
                node.name()
            );
        }
        cluster
    }

    /// The node `index` (0, 1 or 2).
    pub fn node(&self, index: usize) -> &ClusterNode {
        &self.nodes[index]
    }

    /// Every node's URL, in order (a listener's or client's `urls`).
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(ClusterNode::url).collect()
    }

    /// The index of the node named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name() == name.trim())
    }

    /// The node that leads quorum queue `queue`, asked of node `via` (a running one).
    pub fn leader_of(&self, queue: &str, via: usize) -> Option<usize> {
        let listed = self.nodes[via]
            .try_ctl(&["list_queues", "--no-table-headers", "name", "leader"])
            .ok()?;
        listed.lines().find_map(|line| {
            let (name, leader) = line.split_once('\t')?;
            (name == queue).then(|| self.index_of(leader)).flatten()
        })
    }

    /// The node holding a connection whose name (`connection_name`) starts with `prefix`,
    /// asked of node `via`.
    pub fn node_of_connection(&self, prefix: &str, via: usize) -> Option<usize> {
        let listed = self.nodes[via]
            .try_ctl(&[
                "list_connections",
                "--no-table-headers",
                "client_properties",
                "pid",
            ])
            .ok()?;
        let named = format!("{{\"connection_name\",\"{prefix}");
        // A connection's pid is `<node@host.n.n.n>`: its node is the part before the first dot.
        listed.lines().find_map(|line| {
            let (properties, pid) = line.rsplit_once('\t')?;
            let node = pid.trim().trim_start_matches('<').split('.').next()?;
            properties
                .contains(&named)
                .then(|| self.index_of(node))
                .flatten()
        })
    }
}

impl Drop for BrokerCluster {
    fn drop(&mut self) {
        for node in &self.nodes {
            if node.try_ctl(&["stop"]).is_err() {
                if let Some(pid) = node.os_pid() {
                    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                }
            }
            let _ = std::fs::remove_dir_all(&node.dir);
        }
    }
}
