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
