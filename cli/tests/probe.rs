//! `porticus probe` against a real admin endpoint: found through the service's config folder
//! (`0.0.0.0` probed on the loopback) or given as a URL; 0 for a 2xx answer, 1 for every
//! failure (an error status, nothing listening, no admin endpoint, a target that is no path).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use porticus::config::Config;
use porticus::{Node, Shutdown};
use porticus_tests::process::free_port;
use porticus_tests::service_process::scratch;

/// `porticus probe args…` with `PORTICUS_CONFIG_DIR=dir` and no other Porticus variable.
fn probe(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_porticus"));
    command
        .arg("probe")
        .args(args)
        .env("PORTICUS_CONFIG_DIR", dir)
        .env_remove("PORTICUS_ENV")
        .env_remove("PORTICUS__ADMIN__BIND")
        .stdin(Stdio::null());
    command.output().expect("porticus runs")
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_passes_a_live_endpoint_and_fails_everything_else_with_exit_1() {
    let port = free_port();
    let dir = scratch("cli-probe");
    let toml = format!("[service]\nname = \"probed\"\n\n[admin]\nbind = \"0.0.0.0:{port}\"\n");
    std::fs::write(dir.join("default.toml"), &toml).unwrap();
    let config = Config::from_toml_str(&toml).unwrap();
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .build()
        .unwrap();
    let server = node.start(&config).await.expect("the admin endpoint binds");

    let live = probe(&dir, &[]);
    assert_eq!(live.status.code(), Some(0), "{}", said(&live));
    let body: serde_json::Value = serde_json::from_slice(&live.stdout).expect("JSON");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "probed");
    let ready = probe(&dir, &["/readyz"]);
    assert_eq!(ready.status.code(), Some(0), "{}", said(&ready));
    let url = format!("http://127.0.0.1:{port}/readyz");
    assert_eq!(probe(&dir, &[&url]).status.code(), Some(0));

    let missing = probe(&dir, &["/nothing-here"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        said(&missing).contains("answered 404 Not Found"),
        "{}",
        said(&missing)
    );
    let no_path = probe(&dir, &["livez"]);
    assert_eq!(no_path.status.code(), Some(1));
    assert!(
        said(&no_path).contains("`livez` is neither a path"),
        "{}",
        said(&no_path)
    );

    server.serve_until(async { Shutdown::Now }).await.unwrap();
    let gone = probe(&dir, &[]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        said(&gone).contains("nothing answers there"),
        "{}",
        said(&gone)
    );

    std::fs::write(dir.join("default.toml"), "[service]\nname = \"probed\"\n").unwrap();
    let off = probe(&dir, &[]);
    assert_eq!(off.status.code(), Some(1));
    assert!(
        said(&off).contains("the service has no admin endpoint"),
        "{}",
        said(&off)
    );
}
