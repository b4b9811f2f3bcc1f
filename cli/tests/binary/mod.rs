//! Running the built `porticus` binary and reading what it printed (the dead-letter tests).

#![allow(dead_code)] // each test binary uses part of it

use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Runs `porticus args…` to the end, with no stdin.
pub fn porticus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_porticus"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// What it printed on stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What it printed on stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Its stdout as one JSON value per line.
pub fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// What both dead-letter suites check of `show`: one letter of a service whose subscriber
/// refused events `{n: 0..3}` with `act_invalid_msg` prints its id, body and error header
/// (`error_header`, the transport's name for it); an unknown id exits 2 naming it.
pub fn show_prints_one_letter_and_refuses_an_unknown_id(
    with: impl Fn(&[&str]) -> Output,
    id: &str,
    error_header: &str,
) {
    let shown = with(&["show", id]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("JSON");
    assert_eq!(shown["id"], id);
    // The subscriber handles events concurrently: dead-letter order need not be emit order.
    assert!(
        shown["body"]["n"].as_u64().is_some_and(|n| n < 3),
        "{shown}"
    );
    assert_eq!(shown["headers"][error_header], "act_invalid_msg");
    let missing = with(&["show", "no-such-id"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no-such-id"));
}
