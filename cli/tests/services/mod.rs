//! What the command line's tests share: the math example started as its own process on one
//! transport (under a service name of its own, and, over AMQP, a queue of its own), and
//! `porticus` run against it.

#![allow(dead_code)] // Each test binary uses a part.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use porticus_tests::process;
use porticus_tests::service_process::{scratch, Service};
use serde_json::Value;

/// The math example, running.
pub struct Math {
    /// Its process, killed when dropped.
    pub process: Service,
    /// What `--via` takes to reach it.
    pub via: String,
    /// Its `[service] name`, unique to the test.
    pub name: String,
}

/// The math binary, built once per test binary (a no-op when it is up to date).
fn math_bin() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| process::build(&["math"])["math"].clone())
}

/// Starts math with `PORTICUS_ENV=env` (`http`, `amqp` or `nats`) from a copy of its config
/// folder: HTTP on a free port, the broker or server of the test environment, an AMQP queue
/// that no other test shares; waits until its listener is up.
pub fn start_math(env: &str) -> Math {
    let name = format!("math-cli-{env}-{}", std::process::id());
    let dir = scratch(&format!("cli-{env}-config"));
    let example = process::workspace().join("examples/math/config");
    let amqp = porticus_tests::harness::amqp_url();
    let nats = porticus_tests::jetstream::nats_url();
    for file in ["default.toml", &format!("{env}.toml")] {
        let mut text = std::fs::read_to_string(example.join(file)).expect("the example's config");
        text = text
            .replace("127.0.0.1:10101", "127.0.0.1:0")
            .replace(porticus::config::DEFAULT_AMQP_URL, &amqp)
            .replace(porticus::config::DEFAULT_NATS_URL, &nats);
        if env == "amqp" {
            // Its own request and dead-letter queues, gone a minute after the test; the
            // request exchange stays Seneca's (the one `--via` uses), the dead-letter
            // exchange is one that only these tests declare.
            let own = format!(
                "pin = \"role:math,cmd:*\"\nqueue_prefix = \"pt.{name}\"\n\
                 dead_letter_exchange = \"pt.cli.dlx\"\ndead_letter_queue = \"pt.{name}.dlq\"\n\
                 queue_expires_ms = 60000"
            );
            text = text.replace("pin = \"role:math,cmd:*\"", &own);
        }
        std::fs::write(dir.join(file), text).expect("write the config");
    }
    let mut command = Command::new(math_bin());
    command
        .env("PORTICUS_CONFIG_DIR", &dir)
        .env("PORTICUS_ENV", env)
        .env("PORTICUS__SERVICE__NAME", &name)
        .env("PORTICUS__ADMIN__BIND", "127.0.0.1:0")
        .env("PORTICUS__ADMIN__DRAIN_DELAY_MS", "0")
        .env("RUST_LOG", process::QUIET_LOGS);
    let process = Service::start_when(command, &format!("{env} listener on "));
    let via = match env {
        // What follows "http listener on ": its URL.
        "http" => process.instance.clone(),
        "amqp" => amqp,
        _ => nats,
    };
    Math { process, via, name }
}

/// `porticus args…`, stdin empty, stdout and stderr captured.
pub fn porticus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_porticus"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("porticus runs")
}

/// Its stdout as JSON (it prints one JSON line when stdout is not a terminal).
pub fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Its stderr as JSON (an `ActError`).
pub fn stderr_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "stderr is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Checks what the command line says over `math.via`: a sum, two act errors (exit 1),
/// and ping, info and stats.
pub fn acts_and_introspects(math: &Math) {
    let via = math.via.as_str();
    let out = porticus(&[
        "act",
        "role:math,cmd:sum",
        r#"{"left":1,"right":2}"#,
        "--via",
        via,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout_json(&out)["answer"], 3.0);

    let out = porticus(&[
        "act",
        "role:math,cmd:sum",
        r#"{"left":"one","right":2}"#,
        "--via",
        via,
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stderr_json(&out)["code"], "act_invalid_msg");

    let name = math.name.as_str();
    let out = porticus(&["ping", "--service", name, "--via", via]);
    assert!(out.status.success(), "{out:?}");
    let pong = stdout_json(&out);
    assert_eq!(pong["service"], name);
    assert!(pong["uptime_ms"].is_u64(), "{pong}");

    let out = porticus(&["info", "--service", name, "--via", via]);
    assert!(out.status.success(), "{out:?}");
    let info = stdout_json(&out);
    let patterns: Vec<&str> = info["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["pattern"].as_str())
        .collect();
    assert!(patterns.contains(&"cmd:sum,role:math"), "{patterns:?}");

    let out = porticus(&["stats", "--service", name, "--via", via, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let stats = stdout_json(&out);
    let sum = stats["acts"]
        .as_array()
        .expect("acts")
        .iter()
        .find(|a| a["pattern"] == "cmd:sum,role:math")
        .expect("the sum's counters");
    assert!(sum["count"].as_u64() >= Some(2), "{sum}");
}
