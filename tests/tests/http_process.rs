//! Two OS processes: the math example, started as an HTTP listener by configuration alone
//! (`PORTICUS_ENV=http` and a config folder), and this test acting it over HTTP.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use porticus::Code;
use porticus_tests::harness::http_caller;
use porticus_tests::raw::SOON;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Builds the math example (a no-op when it is up to date) and returns its executable, wherever
/// the target folder is: cargo says so in its JSON messages.
fn build_math() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["build", "-p", "math", "--message-format=json"])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build -p math failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "math")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reports the math executable")
}

/// A config folder holding the example's own files, with the HTTP port changed to 0.
fn config_dir() -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/math/config");
    let dir = std::env::temp_dir().join(format!("porticus-math-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(example.join("default.toml"), dir.join("default.toml")).unwrap();
    let http = std::fs::read_to_string(example.join("http.toml")).unwrap();
    assert!(
        http.contains("127.0.0.1:10101"),
        "the example serves on Seneca's port"
    );
    std::fs::write(
        dir.join("http.toml"),
        http.replace("127.0.0.1:10101", "127.0.0.1:0"),
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn math_example_serves_over_http_by_config_alone() {
    let bin = build_math();
    let dir = config_dir();
    let mut child = Command::new(&bin)
        .env("PORTICUS_ENV", "http")
        .env("PORTICUS_CONFIG_DIR", &dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the math example starts");

    // It prints its address once the listener is bound (and so accepting connections).
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(SOON, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("math service listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("the math example exited before listening");
    })
    .await
    .expect("listening within SOON");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/act"),
        "{url}"
    );

    let caller = http_caller(&url);
    let sum = caller
        .act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}))
        .await;
    assert_eq!(sum.expect("sum"), json!({"answer": 3.0}));
    let product = caller
        .act(json!({"role": "math", "cmd": "product", "left": 6, "right": 7}))
        .await;
    assert_eq!(product.expect("product"), json!({"answer": 42.0}));
    let floored = caller
        .act(json!({"role": "math", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7}))
        .await;
    assert_eq!(
        floored.expect("integer sum through its prior"),
        json!({"answer": 3.0})
    );

    let err = caller
        .act(json!({"role": "math", "cmd": "sum", "left": "one", "right": 2}))
        .await
        .expect_err("a string is not a number");
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert!(err.message().contains("`left`"), "{err}");
    assert_eq!(err.details()["field"], "left");
    let err = caller
        .act(json!({"role": "math", "cmd": "divide", "left": 1, "right": 0}))
        .await
        .expect_err("no such action");
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
    assert!(err.message().contains("cmd:divide"), "{err}");

    let pid = child.id().expect("still running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(SOON, child.wait())
        .await
        .expect("exits within SOON of SIGTERM")
        .unwrap();
    assert!(status.success(), "exit status {status}");
    std::fs::remove_dir_all(&dir).ok();
}
