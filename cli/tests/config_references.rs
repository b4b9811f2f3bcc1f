//! `porticus act --config DIR` loads the service's folder with the services' own loader, so
//! `${…}` references in it resolve from the shell's environment; a missing variable is named;
//! a `--via` URL's password never shows in an error.

mod services;

use std::process::{Command, Output, Stdio};

use porticus_tests::service_process::scratch;
use services::{start_math, stdout_json};

/// The variable the config folder refers to.
const VARIABLE: &str = "PORTICUS_CLI_TEST_MATH_URL";

/// `porticus args…` with `variable` set to `value`, or removed when `None`.
fn porticus_with(args: &[&str], value: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_porticus"));
    command.args(args).stdin(Stdio::null());
    match value {
        Some(value) => command.env(VARIABLE, value),
        None => command.env_remove(VARIABLE),
    };
    command.output().expect("porticus runs")
}

#[test]
fn a_config_folder_s_references_resolve_from_the_shell_s_environment() {
    let math = start_math("http");
    let dir = scratch("cli-config-references");
    std::fs::write(
        dir.join("default.toml"),
        format!("[[client]]\ntype = \"http\"\nurl = \"${{{VARIABLE}}}\"\n"),
    )
    .expect("write the config");
    let config = dir.to_str().expect("a UTF-8 path");
    let args = [
        "act",
        "role:math,cmd:sum",
        r#"{"left":1,"right":2}"#,
        "--config",
        config,
    ];

    let out = porticus_with(&args, Some(&math.via));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout_json(&out)["answer"], 3.0);

    let out = porticus_with(&args, None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    println!("RESULT {err}");
    assert!(
        err.contains(&format!(
            "config value `client[0].url` uses `${{{VARIABLE}}}`, which is not set"
        )),
        "{err}"
    );
    assert!(math.process.terminate(), "math exits 0 on SIGTERM");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_via_url_s_password_is_masked_in_errors() {
    let port = porticus_tests::process::free_port();
    let via = format!("amqp://guest:Sekr1t-cli-m4rk3r@127.0.0.1:{port}/%2f");
    let out = porticus_with(
        &[
            "ping",
            "--service",
            "math",
            "--via",
            &via,
            "--timeout",
            "2000",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    println!("RESULT {err}");
    assert!(
        err.contains(&format!(
            "cannot reach amqp://guest:***@127.0.0.1:{port}/%2f"
        )),
        "{err}"
    );
    assert!(!err.contains("Sekr1t-cli-m4rk3r"), "{err}");
}
