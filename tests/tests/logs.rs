//! What a service prints: JSON lines with Elastic Common Schema names when stdout is not a
//! terminal, a startup summary, and a warning when it can do nothing — run as real processes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use porticus_tests::process;
use serde_json::Value;

const SOON: Duration = Duration::from_secs(60);

/// Parses every line of `out`, failing on one that is not a JSON object with the ECS basics.
fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|line| {
            let json: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            for field in ["@timestamp", "log.level", "message", "service.name"] {
                assert!(json[field].is_string(), "no `{field}` in {line}");
            }
            json
        })
        .collect()
}

#[test]
fn math_prints_json_lines_when_stdout_is_not_a_terminal() {
    let bins = process::build(&["math"]);
    // As `cargo run -p math` from the repository root: in-process, its config found by the
    // manifest folder.
    let out = Command::new(&bins["math"])
        .current_dir(process::workspace())
        .env(
            "CARGO_MANIFEST_DIR",
            process::workspace().join("examples/math"),
        )
        .env_remove("PORTICUS_ENV")
        .env_remove("PORTICUS_CONFIG_DIR")
        .env_remove("RUST_LOG")
        .stderr(Stdio::inherit())
        .output()
        .expect("math runs");
    assert!(out.status.success(), "math exits 0: {}", out.status);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines = json_lines(&text);
    assert!(lines.len() >= 6, "{text}");
    assert!(lines.iter().all(|l| l["service.name"] == "math"), "{text}");
    let failed = lines
        .iter()
        .find(|l| l["error.code"] == "act_invalid_msg")
        .unwrap_or_else(|| panic!("the bad act logged with its error code:\n{text}"));
    assert_eq!(failed["log.level"], "warn");
    assert!(
        failed["error.message"]
            .as_str()
            .is_some_and(|m| m.contains("field `left`")),
        "{failed}"
    );
}

#[test]
fn a_service_with_nothing_linked_says_so_and_masks_secrets() {
    let dir = std::env::temp_dir().join(format!("porticus-bare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a config folder");
    std::fs::write(
        dir.join("default.toml"),
        "[service]\nname = \"bare\"\n\n[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"\n",
    )
    .expect("write the config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bare-service"))
        .env("PORTICUS_CONFIG_DIR", &dir)
        .env("PORTICUS__NATS__PASSWORD", "hunter2")
        .env_remove("PORTICUS_ENV")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the bare service starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = String::new();
    loop {
        let line = rx
            .recv_timeout(SOON)
            .expect("the service logs its listener");
        out.push_str(&line);
        out.push('\n');
        if line.contains("http listener on") {
            break;
        }
    }
    // ctrl-c: it shuts down cleanly. The summary is logged as the node starts, a moment before
    // `run` listens for signals: give it that moment, or the default action would kill it.
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().expect("it exits");
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) {
        out.push_str(&line);
        out.push('\n');
    }
    assert!(status.success(), "exit status {status}:\n{out}");
    let _ = std::fs::remove_dir_all(&dir);

    let lines = json_lines(&out);
    let said: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    assert!(said[0].starts_with("starting service `bare`"), "{out}");
    assert!(
        said.iter()
            .any(|m| m.starts_with("configuration file ") && m.ends_with("default.toml")),
        "{out}"
    );
    assert!(
        said.contains(&"configuration from the environment: PORTICUS__NATS__PASSWORD=***"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "the password leaked:\n{out}");
    let warning = lines
        .iter()
        .find(|l| l["log.level"] == "warn")
        .unwrap_or_else(|| panic!("a warning:\n{out}"));
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.contains("porticus::link!")),
        "{warning}"
    );
    assert!(
        lines.iter().all(|l| l["service.instance.id"]
            .as_str()
            .is_some_and(|i| i.starts_with("bare-"))),
        "{out}"
    );
}
