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
    with: &dyn Fn(&[&str]) -> Output,
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

/// `porticus dlq <args…> <options…>`: the dead-letter commands of one service, `options`
/// naming it and its broker.
pub fn dlq_of(options: Vec<String>) -> impl Fn(&[&str]) -> Output {
    move |args: &[&str]| {
        let mut all: Vec<&str> = vec!["dlq"];
        all.extend_from_slice(args);
        all.extend(options.iter().map(String::as_str));
        porticus(&all)
    }
}

/// What both suites check of `list`: the service's three letters, refused permanently with
/// `act_invalid_msg` on their first attempt, as JSON lines (returned for the transport's own
/// checks).
pub fn list_shows_three_permanent_letters(with: &dyn Fn(&[&str]) -> Output) -> Vec<Value> {
    let listed = with(&["list", "--json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let letters = json_lines(&listed);
    assert_eq!(letters.len(), 3, "{letters:?}");
    for letter in &letters {
        assert_eq!(letter["reason"], "permanent", "{letter}");
        assert_eq!(letter["attempts"], 1);
        assert_eq!(letter["error_code"], "act_invalid_msg");
        assert!(letter["first_death"].as_str().unwrap().ends_with('Z'));
    }
    letters
}
