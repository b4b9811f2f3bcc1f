//! Broker URLs and credentials from `${…}` references in the config files, resolved from the
//! environment (as a Kubernetes Secret exposed as variables provides them): a real service whose
//! AMQP listener and client URLs come from variables serves and relays acts, while a
//! password-like marker — in a secret key, an `[app]` value, a `PORTICUS__APP__…` variable and
//! the URL of a second client whose broker is not there — never shows in its startup summary,
//! its logs (at trace level, the dependencies' included), its introspection reply or its
//! errors. A missing variable, and a referenced value of the wrong type, stop the start naming
//! the key.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use porticus::config::Config;
use porticus::{ActError, Node};
use porticus_tests::harness::{
    amqp_caller, amqp_configs, amqp_url, broker_down, listen_toml, listening, unique_prefix,
};
use porticus_tests::process::{free_port, message_of};
use porticus_tests::service_process::scratch;
use serde_json::{json, Value};

/// The secret the service must never show; it reaches no broker.
const MARKER: &str = "Sekr1t-m4rk3r-7f3c9";

const SOON: Duration = Duration::from_secs(60);

/// `url` with the password of its user info as `***` (what the service may show).
fn masked(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

/// A `bare-service` process (`porticus::run()`, nothing linked) with stdout and stderr read
/// line by line.
struct Running {
    child: std::process::Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(config_dir: &Path, variables: &[(&str, &str)]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bare-service"))
            .env("PORTICUS_CONFIG_DIR", config_dir)
            .env_remove("PORTICUS_ENV")
            .env("RUST_LOG", "trace")
            .envs(variables.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the bare service starts");
        let (tx, lines) = mpsc::channel();
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("piped stdout"));
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("piped stderr"));
        for stream in [stdout, stderr] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line whose message starts with `prefix`.
    fn wait_for(&mut self, prefix: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(SOON)
                .unwrap_or_else(|e| panic!("no `{prefix}` line ({e}):\n{}", self.seen.join("\n")));
            self.seen.push(line.clone());
            if message_of(&line).starts_with(prefix) {
                return line;
            }
        }
    }

    /// Everything it printed, once it exited (after SIGTERM when `terminate`).
    fn finish(mut self, terminate: bool) -> (ExitStatus, Vec<String>) {
        if terminate {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
        }
        let status = self.child.wait().expect("it exits");
        // The readers end with the streams.
        self.seen.extend(self.lines.iter());
        (status, self.seen)
    }
}

/// The error's code, message and details, as a caller could see them.
fn shown(error: &ActError) -> String {
    format!("{} {} {}", error.code(), error.message(), error.details())
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_urls_come_from_the_environment_and_secrets_never_show() {
    let prefix = unique_prefix("secrets");
    let name = format!("secrets-{}", std::process::id());
    // The service's listener; the client the test acts through.
    let (mut listen, caller_client) = amqp_configs(&prefix);
    listen.url = "${SECRETS_TEST_AMQP_URL}".into();
    listen.pin = "role:secrets".into();
    // A responder on exchanges of its own, which the service's client reaches.
    let (mut back, relay) = amqp_configs(&format!("{prefix}.back"));
    back.pin = "role:secrets,cmd:relay".into();
    let responder = Node::builder()
        .without_registered()
        .add("role:secrets,cmd:relay", |m: Value| async move {
            Ok::<_, ActError>(json!({ "relayed": m["n"] }))
        })
        .build()
        .expect("the responder builds");
    let _responding = responder
        .start(&listening("secrets-responder", back))
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));

    let closed = free_port();
    let mut toml = listen_toml("${SECRETS_TEST_SERVICE}", "amqp", &listen);
    toml.push_str(&format!(
        r#"
[[client]]
type = "amqp"
url = "${{SECRETS_TEST_CLIENT_URL}}"
pin = "role:secrets,cmd:relay"
exchange = "{exchange}"
events_exchange = "{events}"
reply_queue_prefix = "{replies}"
exchange_auto_delete = true

[[client]]
type = "amqp"
url = "amqp://porticus:${{SECRETS_TEST_PASSWORD}}@127.0.0.1:{closed}/%2f"
pin = "role:secrets,cmd:unreachable"
connect_timeout_ms = 1000

[nats]
password = "${{SECRETS_TEST_PASSWORD}}"

[app]
api_key = "${{SECRETS_TEST_PASSWORD}}"
"#,
        exchange = relay.exchange,
        events = relay.events_exchange,
        replies = relay.reply_queue_prefix,
    ));
    let dir = scratch("config-secrets");
    std::fs::write(dir.join("default.toml"), &toml).expect("write the config");
    assert!(!toml.contains(MARKER) && !toml.contains("guest"), "{toml}");

    let broker = amqp_url();
    let mut service = Running::start(
        &dir,
        &[
            ("SECRETS_TEST_AMQP_URL", &broker),
            ("SECRETS_TEST_CLIENT_URL", &broker),
            ("SECRETS_TEST_SERVICE", &name),
            ("SECRETS_TEST_PASSWORD", MARKER),
            ("PORTICUS__APP__TOKEN", MARKER),
        ],
    );
    let listening_line = service.wait_for("amqp listener on ");
    assert!(
        message_of(&listening_line).starts_with(&format!("amqp listener on {}", masked(&broker))),
        "{listening_line}"
    );

    let (caller, _client) = amqp_caller(&caller_client, "secrets-caller", "").await;
    // Through the listener whose URL came from a variable, and on through the client whose
    // URL did.
    let relayed = caller
        .act(json!({ "role": "secrets", "cmd": "relay", "n": 7 }))
        .await
        .expect("the service relays");
    assert_eq!(relayed, json!({ "relayed": 7 }));

    let info = caller
        .act(json!({ "role": "porticus", "service": name, "cmd": "info" }))
        .await
        .expect("info answers");
    let config = &info["config"];
    println!("RESULT introspection config: {config}");
    assert_eq!(config["service"]["name"], "${SECRETS_TEST_SERVICE}");
    assert_eq!(config["listen"][0]["url"], masked(&broker));
    assert_eq!(config["client"][0]["url"], masked(&broker));
    assert_eq!(
        config["client"][1]["url"],
        format!("amqp://porticus:***@127.0.0.1:{closed}/%2f")
    );
    assert_eq!(config["nats"]["password"], "***");
    assert_eq!(config["app"], json!(["api_key", "token"]));
    assert!(!info.to_string().contains(MARKER), "{info}");

    let unreachable = caller
        .act(json!({ "role": "secrets", "cmd": "unreachable", "timeout$": 10_000 }))
        .await
        .expect_err("its broker is not there");
    let error = shown(&unreachable);
    println!("RESULT error of the unreachable client: {error}");
    assert!(
        error.contains(&format!("amqp://porticus:***@127.0.0.1:{closed}")),
        "{error}"
    );
    assert!(!error.contains(MARKER), "{error}");

    caller.close();
    let (status, lines) = service.finish(true);
    assert!(
        status.success(),
        "exit status {status}:\n{}",
        lines.join("\n")
    );
    let leaks: Vec<&String> = lines.iter().filter(|l| l.contains(MARKER)).collect();
    println!(
        "RESULT {} lines logged at trace level, {} holding the marker",
        lines.len(),
        leaks.len()
    );
    assert!(leaks.is_empty(), "{leaks:#?}");
    assert!(
        lines.iter().any(
            |l| message_of(l) == "configuration from the environment: PORTICUS__APP__TOKEN=***"
        ),
        "{}",
        lines.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the bare service on `default_toml` with `variables`; it must fail to start. Returns
/// what it printed.
fn failed_start(tag: &str, default_toml: &str, variables: &[(&str, &str)]) -> String {
    let dir = scratch(tag);
    std::fs::write(dir.join("default.toml"), default_toml).expect("write the config");
    let (status, lines) = Running::start(&dir, variables).finish(false);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !status.success(),
        "it must not start:\n{}",
        lines.join("\n")
    );
    lines.join("\n")
}

#[test]
fn a_missing_variable_stops_the_start_naming_it_and_its_key() {
    let out = failed_start(
        "config-secrets-missing",
        "[[listen]]\ntype = \"amqp\"\nurl = \"${SECRETS_TEST_SURELY_UNSET_URL}\"\n",
        &[],
    );
    println!("RESULT {out}");
    assert!(
        out.contains(
            "config value `listen[0].url` uses `${SECRETS_TEST_SURELY_UNSET_URL}`, which is not set"
        ),
        "{out}"
    );
}

#[test]
fn a_referenced_value_of_the_wrong_type_is_named_not_shown() {
    let out = failed_start(
        "config-secrets-type",
        "[[listen]]\ntype = \"amqp\"\nprefetch = \"${SECRETS_TEST_PREFETCH}\"\n",
        &[("SECRETS_TEST_PREFETCH", MARKER)],
    );
    println!("RESULT {out}");
    assert!(
        out.contains(
            "config value `listen[0].prefetch` uses `${SECRETS_TEST_PREFETCH}`, whose value does not fit there"
        ),
        "{out}"
    );
    assert!(!out.contains(MARKER), "{out}");
}

#[test]
fn a_password_in_an_http_client_url_is_refused_without_being_shown() {
    // Set for this test only: no other test reads it.
    std::env::set_var("SECRETS_TEST_HTTP_PASSWORD", MARKER);
    let config = Config::from_toml_str(
        "[[client]]\ntype = \"http\"\nurl = \"http://porticus:${SECRETS_TEST_HTTP_PASSWORD}@127.0.0.1:1/act\"\n",
    )
    .expect("the reference resolves");
    assert_eq!(
        config.summary()["client"][0]["url"],
        "http://porticus:***@127.0.0.1:1/act"
    );
    let error = Node::builder()
        .without_registered()
        .config(&config)
        .build()
        .expect_err("the http transport sends no user info")
        .to_string();
    println!("RESULT {error}");
    assert!(
        error.contains(
            "http client `url` `http://porticus:***@127.0.0.1:1/act` carries a user and password"
        ),
        "{error}"
    );
    assert!(!error.contains(MARKER), "{error}");
}
