//! `cargo run -p shop`: the `shop` binary itself, with its default config (in-process
//! transport), runs the scenario, shows the flow and exits 0.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

/// Far more than the scenario needs (about a second), for a loaded machine.
const WITHIN: Duration = Duration::from_secs(120);

#[test]
fn the_shop_binary_runs_the_scenario_and_exits_0() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shop"))
        // As `cargo run -p shop` would: ./config is the shop's default config.
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("PORTICUS_ENV")
        .env_remove("PORTICUS_CONFIG_DIR")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the shop binary starts");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).map(|_| text)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the shop") {
            break status;
        }
        if started.elapsed() > WITHIN {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the shop did not exit within {WITHIN:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = plain(&stdout.join().expect("stdout").expect("utf-8 stdout"));
    let err = stderr.join().expect("stderr").expect("utf-8 stderr");
    println!("{out}");
    eprintln!("{err}");
    assert!(status.success(), "the shop exits 0, not {status}");

    // The flow as printed: the gateway up, three orders posted (two placed, one declined), the
    // placed ones shipped, what the subscribers saw and their own log lines.
    assert!(
        out.lines()
            .any(|l| l.starts_with("shop up: gateway on http://")),
        "{out}"
    );
    let mut placed = Vec::new();
    let mut declined = None;
    for line in out.lines().filter(|l| l.starts_with("POST /orders for ")) {
        let (_, reply) = line.split_once(" -> ").expect("a status");
        let (status, body) = reply.split_once(' ').expect("a body");
        let body: Value = serde_json::from_str(body).expect("a JSON body");
        match status {
            "201" => placed.push(body["id"].as_str().expect("an id").to_owned()),
            _ => {
                assert!(declined.is_none(), "one order declined:\n{out}");
                declined = Some((status.parse().expect("a status code"), body));
            }
        }
    }
    for id in &placed {
        let shipped = format!("POST /orders/{id}/ship -> 200 status=\"shipped\"");
        assert!(out.lines().any(|l| l == shipped), "{id} shipped:\n{out}");
    }
    let printed = |prefix: &str| -> Value {
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line:\n{out}"));
        serde_json::from_str(line).expect("JSON")
    };
    let outcome = shop::Outcome {
        placed,
        declined: declined.unwrap_or_else(|| panic!("no order declined:\n{out}")),
        notified: printed("notifications sent: "),
        stats: printed("analytics stats: "),
    };
    common::assert_outcome(&outcome);
    common::assert_handled_once_in_log(&out, &outcome);
}

/// `text` without ANSI colour sequences (the log lines are coloured even when piped).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ parameters… final letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
