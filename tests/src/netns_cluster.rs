//! A private three-node RabbitMQ cluster whose nodes each live in a network namespace of their
//! own, so that the network between them can be cut (a partition) while every node keeps
//! running — what `tests/tests/amqp_partition.rs` needs and the loopback-only
//! [`crate::broker_cluster::BrokerCluster`] cannot do.
//!
//! Layout, unique to the test process (`<pid>`): namespaces `pt-<pid>-a`, `-b`, `-c`, each with
//! its loopback up and one end of a veth pair (`eth0`, address `10.213.<k>.1`, `.2`, `.3`); the
//! other ends are ports of a bridge `pt<pid>br` in the root namespace with address
//! `10.213.<k>.254`, so the test process reaches every node's AMQP port (5672) on its address.
//! `<k>` is the first subnet from `100 + pid % 150` that no interface of this machine uses yet.
//! Each node is `rabbit@10.213.<k>.<n>` (long names), started by the Debian package's
//! `rabbitmq-server` (which runs it as user `rabbitmq` and starts an epmd in its namespace) with
//! its own data directory, `cluster_partition_handling = pause_minority` and `net_ticktime` 10 s;
//! the second and third join the first (`join_cluster`).
//!
//! A partition ([`NetnsCluster::partition`]) puts blackhole routes inside the namespaces: the
//! cut-off node's packets to its two peers, and theirs to it, are silently dropped, while the
//! root namespace — the clients — still reaches all three. That is the partition
//! `pause_minority` exists for: broker nodes that lose each other (a failed inter-zone link)
//! while clients still reach both sides. Only `iproute2` is needed, no firewall.
//!
//! Dropping the cluster kills every process in its namespaces (the nodes, their epmd, their
//! helpers), deletes the namespaces, the veth pairs, the bridge and the data directory — also
//! when the test panics.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every node's VM: a 10 s tick (a lost peer is noticed within 10–12.5 s, the default is 60 s)
/// and schedulers that do not spin (three idle nodes would otherwise burn a core of this
/// 2-core machine).
const ERL_ARGS: &str = "-kernel net_ticktime 10 +sbwt none +sbwtdcpu none +sbwtdio none";

/// Every node's `rabbitmq.conf`: all addresses of its namespace, `guest` from the bridge
/// (not loopback), and `pause_minority`.
const CONFIG: &str = "listeners.tcp.default = 5672\n\
    loopback_users.guest = false\n\
    cluster_partition_handling = pause_minority\n\
    max_message_size = 16777216\n\
    vm_memory_high_watermark.absolute = 450MB\n";

/// How long one `rabbitmqctl` or `rabbitmq-queues` call may take before it is killed.
const CLI_LIMIT: Duration = Duration::from_secs(30);

/// Three RabbitMQ nodes in three network namespaces, clustered with `pause_minority`.
#[derive(Debug)]
pub struct NetnsCluster {
    pid: u32,
    subnet: u16,
    dir: PathBuf,
}

/// Runs `program args`, killing its process group after `limit`; its output, or an error
/// naming the command and what it printed.
fn run_limited(mut command: Command, limit: Duration) -> Result<Output, String> {
    let shown = format!("{command:?}");
    let mut child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{shown} does not run: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = Command::new("kill")
                    .args(["-9", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
                return Err(format!("{shown} did not finish within {limit:?}"));
            }
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{shown}: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{shown} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            String::from_utf8_lossy(&output.stdout).trim()
        ))
    }
}

/// `ip args`, which must succeed.
fn ip(args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("ip");
    command.args(args);
    run_limited(command, Duration::from_secs(10))
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Fails with the reason when this process cannot build namespaces: `ip` missing, not root.
fn check_prerequisites() -> Result<(), String> {
    ip(&["-V"]).map_err(|e| {
        format!("the partition test needs `ip` from iproute2 (apt-get install iproute2): {e}")
    })?;
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    let uid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .unwrap_or("unknown");
    if uid != "0" {
        return Err(format!(
            "the partition test creates network namespaces and must run as root (effective uid {uid})"
        ));
    }
    Ok(())
}

impl NetnsCluster {
    /// Creates the bridge and the three namespaces, starts a node in each, joins the second
    /// and third to the first and returns once the cluster has three running nodes.
    ///
    /// # Panics
    /// When `ip` is missing, the process is not root, a link or namespace cannot be created,
    /// or a node does not start or join (tests never skip); whatever was created is removed.
    pub fn start() -> NetnsCluster {
        if let Err(reason) = check_prerequisites() {
            panic!("{reason}");
        }
        let pid = std::process::id();
        let used = ip(&["-4", "-o", "addr", "show"]).unwrap_or_else(|e| panic!("{e}"));
        let subnet = (0..150)
            .map(|i| 100 + (pid as u16 % 150 + i) % 150)
            .find(|k| !used.contains(&format!("10.213.{k}.")))
            .expect("a free 10.213.<k>.0/24 subnet among 100–249");
        let cluster = NetnsCluster {
            pid,
            subnet,
            dir: std::env::temp_dir().join(format!("porticus-netns-{pid}")),
        };
        // From here on, a panic drops `cluster`, which removes whatever exists.
        cluster.set_up().unwrap_or_else(|e| panic!("{e}"));
        cluster
    }

    fn set_up(&self) -> Result<(), String> {
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("create {:?}: {e}", self.dir))?;
        // An empty `rabbitmq-env.conf` for the server and the CLI: the package's binds epmd and
        // the distribution to 127.0.0.1, which would keep the namespaces' nodes apart.
        std::fs::write(self.env_file(), "").map_err(|e| format!("write env file: {e}"))?;
        let bridge = self.bridge();
        ip(&["link", "add", "name", &bridge, "type", "bridge"])?;
        ip(&[
            "addr",
            "add",
            &format!("10.213.{}.254/24", self.subnet),
            "dev",
            &bridge,
        ])?;
        ip(&["link", "set", &bridge, "up"])?;
        for i in 0..3 {
            self.set_up_namespace(i)?;
        }
        for i in 0..3 {
            self.launch(i)?;
        }
        for i in 0..3 {
            self.await_startup(i)?;
        }
        let first = self.name(0);
        for i in 1..3 {
            self.try_ctl(i, &["stop_app"])?;
            self.try_ctl(i, &["join_cluster", &first])?;
            self.try_ctl(i, &["start_app"])?;
            self.await_startup(i)?;
        }
        let running = self.running_nodes(0)?;
        if running.len() != 3 {
            return Err(format!("the cluster runs {running:?}, not three nodes"));
        }
        Ok(())
    }

    fn bridge(&self) -> String {
        format!("pt{}br", self.pid)
    }

    fn letter(i: usize) -> char {
        ['a', 'b', 'c'][i]
    }

    /// The network namespace of node `i` (0, 1 or 2): `pt-<pid>-a`, `-b`, `-c`.
    pub fn namespace(&self, i: usize) -> String {
        format!("pt-{}-{}", self.pid, Self::letter(i))
    }

    /// The root namespace's end of node `i`'s veth pair (a port of the bridge).
    fn veth(&self, i: usize) -> String {
        format!("pt{}{}", self.pid, Self::letter(i))
    }

    /// Node `i`'s address, `10.213.<k>.<i + 1>`.
    pub fn address(&self, i: usize) -> String {
        format!("10.213.{}.{}", self.subnet, i + 1)
    }

    /// Node `i`'s name, `rabbit@10.213.<k>.<i + 1>`.
    pub fn name(&self, i: usize) -> String {
        format!("rabbit@{}", self.address(i))
    }

    /// The index of the node named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        (0..3).find(|i| self.name(*i) == name.trim())
    }

    /// `amqp://guest:guest@10.213.<k>.<i + 1>:5672/%2f`.
    pub fn url(&self, i: usize) -> String {
        format!("amqp://guest:guest@{}:5672/%2f", self.address(i))
    }

    /// The three nodes' URLs, in order (a listener's or client's `urls`).
    pub fn urls(&self) -> Vec<String> {
        (0..3).map(|i| self.url(i)).collect()
    }

    fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.join(Self::letter(i).to_string())
    }

    fn env_file(&self) -> PathBuf {
        self.dir.join("rabbitmq-env.conf")
    }

    fn set_up_namespace(&self, i: usize) -> Result<(), String> {
        let ns = self.namespace(i);
        let veth = self.veth(i);
        ip(&["netns", "add", &ns])?;
        ip(&[
            "link", "add", "name", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ])?;
        ip(&["link", "set", &veth, "master", &self.bridge()])?;
        ip(&["link", "set", &veth, "up"])?;
        let address = format!("{}/24", self.address(i));
        ip(&["-n", &ns, "addr", "add", &address, "dev", "eth0"])?;
        ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        Ok(())
    }

    /// Starts node `i`'s VM in its namespace (detached).
    fn launch(&self, i: usize) -> Result<(), String> {
        let dir = self.node_dir(i);
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {dir:?}: {e}"))?;
        std::fs::write(dir.join("enabled_plugins"), "[].\n")
            .map_err(|e| format!("write enabled_plugins: {e}"))?;
        std::fs::write(dir.join("rabbitmq.conf"), CONFIG)
            .map_err(|e| format!("write rabbitmq.conf: {e}"))?;
        // The package's wrapper re-runs the server as user `rabbitmq` when started as root.
        let _ = Command::new("chown")
            .args(["-R", "rabbitmq:rabbitmq"])
            .arg(&self.dir)
            .status();
        let mut command = Command::new("ip");
        command
            .args([
                "netns",
                "exec",
                &self.namespace(i),
                "rabbitmq-server",
                "-detached",
            ])
            .env("RABBITMQ_CONF_ENV_FILE", self.env_file())
            .env("RABBITMQ_USE_LONGNAME", "true")
            .env("RABBITMQ_NODENAME", self.name(i))
            .env("RABBITMQ_NODE_PORT", "5672")
            .env("RABBITMQ_DIST_PORT", "25672")
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_PID_FILE", dir.join("pid"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq.conf"))
            .env("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", ERL_ARGS);
        // Not through pipes: the detached VM would hold them open.
        let status = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("rabbitmq-server is needed for the partition test: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "rabbitmq-server -detached failed in {}: {status}",
                self.namespace(i)
            ))
        }
    }

    fn cli(&self, tool: &str, i: usize, args: &[&str]) -> Result<String, String> {
        let ns = self.namespace(i);
        let name = self.name(i);
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &ns, tool, "--longnames", "-n", &name, "-q"])
            .args(args)
            .env("RABBITMQ_CONF_ENV_FILE", self.env_file())
            .env("RABBITMQ_USE_LONGNAME", "true");
        run_limited(command, CLI_LIMIT).map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs `rabbitmqctl <args>` for node `i`, inside its namespace (so it reaches the node
    /// even when the node is cut off): its standard output, or an error naming the command.
    pub fn try_ctl(&self, i: usize, args: &[&str]) -> Result<String, String> {
        self.cli("rabbitmqctl", i, args)
    }

    fn await_startup(&self, i: usize) -> Result<(), String> {
        let started = Instant::now();
        loop {
            match self.try_ctl(i, &["await_startup", "--timeout", "30"]) {
                Ok(_) => return Ok(()),
                Err(e) if started.elapsed() > Duration::from_secs(120) => {
                    return Err(format!(
                        "node {} did not start within 120 s: {e}\n{}",
                        self.name(i),
                        self.log_tail(i, 30)
                    ))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(300)),
            }
        }
    }

    /// Whether node `i`'s `rabbit` application runs (a node paused by `pause_minority` does
    /// not, while its VM does).
    pub fn is_running(&self, i: usize) -> bool {
        self.try_ctl(i, &["eval", "rabbit:is_running()."])
            .is_ok_and(|out| out.trim() == "true")
    }

    /// The cluster's running nodes and its partitions as node `i` sees them
    /// (`rabbitmqctl cluster_status`); the running nodes' indices, sorted.
    pub fn running_nodes(&self, i: usize) -> Result<Vec<usize>, String> {
        let (running, partitions) = self.cluster_status(i)?;
        if !partitions.is_empty() {
            return Err(format!("{} lists partitions {partitions:?}", self.name(i)));
        }
        Ok(running)
    }

    /// Node `i`'s view: (running node indices, sorted; the `partitions` entries).
    pub fn cluster_status(&self, i: usize) -> Result<(Vec<usize>, Vec<String>), String> {
        let out = self.try_ctl(i, &["cluster_status", "--formatter", "json"])?;
        let status: serde_json::Value = serde_json::from_str(&out)
            .map_err(|e| format!("cluster_status is JSON: {e}: {out}"))?;
        let mut running: Vec<usize> = status["running_nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().and_then(|n| self.index_of(n)))
            .collect();
        running.sort_unstable();
        let partitions = match &status["partitions"] {
            serde_json::Value::Object(map) => {
                map.iter().map(|(k, v)| format!("{k}: {v}")).collect()
            }
            serde_json::Value::Array(list) => list.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        };
        Ok((running, partitions))
    }

    /// The node leading quorum queue `queue`, asked of node `via` (`rabbitmq-queues
    /// quorum_status`: the queue's members answer, an unreachable one does not).
    pub fn leader_of(&self, queue: &str, via: usize) -> Option<usize> {
        let out = self
            .cli(
                "rabbitmq-queues",
                via,
                &["quorum_status", queue, "--formatter", "json"],
            )
            .ok()?;
        let members: Vec<serde_json::Value> = serde_json::from_str(&out).ok()?;
        let leader = members.iter().find(|m| m["Raft State"] == "leader")?;
        self.index_of(leader["Node Name"].as_str()?)
    }

    /// The client-provided names of the AMQP connections node `i` accepted, in order, one
    /// entry per connection (from its log: no CLI call, which could wait for an unreachable
    /// peer).
    pub fn accepted_clients(&self, i: usize) -> Vec<String> {
        const MARK: &str = "has a client-provided name: ";
        self.log_lines(i, MARK)
            .iter()
            .filter_map(|line| {
                line.split_once(MARK)
                    .map(|(_, name)| name.trim().to_owned())
            })
            .collect()
    }

    /// The partition routes: (namespace, destination) for `cut` and each of its peers.
    fn partition_routes(&self, cut: usize) -> Vec<(String, String)> {
        let mut routes = Vec::new();
        for peer in (0..3).filter(|p| *p != cut) {
            routes.push((self.namespace(cut), format!("{}/32", self.address(peer))));
            routes.push((self.namespace(peer), format!("{}/32", self.address(cut))));
        }
        routes
    }

    /// Cuts node `cut` off from the other two: blackhole routes both ways, inside the
    /// namespaces; the clients (root namespace) still reach every node.
    ///
    /// # Panics
    /// When a route cannot be added.
    pub fn partition(&self, cut: usize) {
        for (ns, destination) in self.partition_routes(cut) {
            ip(&["-n", &ns, "route", "add", "blackhole", &destination])
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// Undoes [`partition`](Self::partition).
    ///
    /// # Panics
    /// When a route cannot be removed.
    pub fn heal(&self, cut: usize) {
        for (ns, destination) in self.partition_routes(cut) {
            ip(&["-n", &ns, "route", "del", "blackhole", &destination])
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// The last `lines` lines of node `i`'s log (for failure messages and reports).
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        let log = self
            .node_dir(i)
            .join("log")
            .join(format!("{}.log", self.name(i)));
        let text = std::fs::read_to_string(&log).unwrap_or_else(|e| format!("{log:?}: {e}"));
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Node `i`'s log lines that contain `needle`.
    pub fn log_lines(&self, i: usize, needle: &str) -> Vec<String> {
        let log = self
            .node_dir(i)
            .join("log")
            .join(format!("{}.log", self.name(i)));
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for NetnsCluster {
    fn drop(&mut self) {
        for i in 0..3 {
            let ns = self.namespace(i);
            // Every process of the namespace — the node's VM, its epmd and helpers — was
            // started by this cluster: a paused node may not answer `rabbitmqctl stop`.
            if let Ok(pids) = ip(&["netns", "pids", &ns]) {
                for pid in pids.split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = ip(&["netns", "del", &ns]);
            let _ = ip(&["link", "del", &self.veth(i)]);
        }
        let _ = ip(&["link", "del", &self.bridge()]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
