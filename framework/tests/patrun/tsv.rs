//! patrun's data-driven tests (test/tsv.test.js over test/data/*.tsv, copied to tests/data/).
//!
//! Each `.tsv` line is `op<TAB>pattern-json<TAB>data-or-expected[<TAB>options-json]`; `clear`
//! starts a new section (with the options of its fourth column). Skipped sections are listed
//! in `tests/patrun.rs`.

use porticus::pattern::{Pattern, PatternIndex};
use serde_json::Value;

struct Op {
    op: String,
    pattern: Value,
    data: Option<String>,
    line: usize,
}

struct Section {
    options: Value,
    ops: Vec<Op>,
}

/// Why a section is skipped, if it is.
fn skip_reason(section: &Section) -> Option<&'static str> {
    if section.options.get("interval") == Some(&Value::Bool(true)) {
        return Some("interval matcher");
    }
    let null_data = |op: &Op| op.op == "add" && op.data.as_deref() == Some("null");
    if section.ops.iter().any(null_data) {
        return Some("null data");
    }
    None
}

fn parse(tsv: &str) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut current = Section {
        options: Value::Object(Default::default()),
        ops: Vec::new(),
    };
    for (i, raw) in tsv.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split('\t').collect();
        let op = parts[0].to_owned();
        if op == "clear" {
            let options = parts
                .get(3)
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or(Value::Object(Default::default()));
            let done = std::mem::replace(
                &mut current,
                Section {
                    options,
                    ops: Vec::new(),
                },
            );
            if !done.ops.is_empty() {
                sections.push(done);
            }
            continue;
        }
        let pattern = parts
            .get(1)
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or(Value::Object(Default::default()));
        current.ops.push(Op {
            op,
            pattern,
            data: parts.get(2).map(|d| (*d).to_owned()),
            line: i + 1,
        });
    }
    if !current.ops.is_empty() {
        sections.push(current);
    }
    sections
}

fn expected_data(op: &Op) -> Option<&str> {
    op.data.as_deref().filter(|d| *d != "null")
}

/// Runs one section's operations; returns the number of assertions made.
fn run(file: &str, section: &Section) -> usize {
    let mut index: PatternIndex<String> = PatternIndex::new();
    let mut checked = 0;
    for op in &section.ops {
        let at = format!("{file}:{} {} {}", op.line, op.op, op.pattern);
        match op.op.as_str() {
            "add" => {
                let pattern = Pattern::from_json(&op.pattern).expect(&at);
                index.add(pattern, op.data.clone().unwrap_or_default());
            }
            "remove" => {
                index.remove(&Pattern::from_json(&op.pattern).expect(&at));
            }
            "find" => {
                let found = index.find(&op.pattern).map(String::as_str);
                assert_eq!(found, expected_data(op), "{at}");
                checked += 1;
            }
            "findexact" => {
                let found = index.find_exact(&op.pattern).map(String::as_str);
                assert_eq!(found, expected_data(op), "{at}");
                checked += 1;
            }
            "collect" => {
                let expected: Vec<String> =
                    serde_json::from_str(op.data.as_deref().unwrap_or("[]")).expect(&at);
                let found: Vec<&str> = index
                    .collect(&op.pattern)
                    .into_iter()
                    .map(String::as_str)
                    .collect();
                assert_eq!(found, expected, "{at}");
                checked += 1;
            }
            "list" => {
                let expected: Vec<Value> =
                    serde_json::from_str(op.data.as_deref().unwrap_or("[]")).expect(&at);
                let expected: Vec<(Pattern, &str)> = expected
                    .iter()
                    .map(|item| {
                        let pattern = Pattern::from_json(&item["match"]).expect(&at);
                        (pattern, item["data"].as_str().expect(&at))
                    })
                    .collect();
                let partial = Pattern::from_json(&op.pattern).expect(&at);
                let found: Vec<(Pattern, &str)> = index
                    .list(Some(&partial))
                    .into_iter()
                    .map(|(p, d)| (p, d.as_str()))
                    .collect();
                assert_eq!(found, expected, "{at}");
                checked += 1;
            }
            other => panic!("{at}: unknown operation {other}"),
        }
    }
    checked
}

/// Runs every section of a file; checks how many ran, were skipped, and asserted.
fn run_file(file: &str, tsv: &str, expect_run: usize, expect_skipped: usize) {
    let mut ran = 0;
    let mut skipped = 0;
    let mut checked = 0;
    for section in parse(tsv) {
        match skip_reason(&section) {
            Some(_) => skipped += 1,
            None => {
                checked += run(file, &section);
                ran += 1;
            }
        }
    }
    assert_eq!(
        (ran, skipped),
        (expect_run, expect_skipped),
        "{file}: sections run, skipped"
    );
    assert!(checked >= ran, "{file}: every section asserts");
}

#[test]
fn find_tsv() {
    run_file("find.tsv", include_str!("../data/find.tsv"), 11, 1);
}

#[test]
fn findexact_tsv() {
    run_file("findexact.tsv", include_str!("../data/findexact.tsv"), 4, 0);
}

#[test]
fn collect_tsv() {
    run_file("collect.tsv", include_str!("../data/collect.tsv"), 4, 0);
}

#[test]
fn gex_tsv() {
    run_file("gex.tsv", include_str!("../data/gex.tsv"), 6, 0);
}

#[test]
fn list_tsv() {
    run_file("list.tsv", include_str!("../data/list.tsv"), 5, 0);
}

#[test]
fn remove_tsv() {
    run_file("remove.tsv", include_str!("../data/remove.tsv"), 6, 0);
}

#[test]
fn star_backtrack_tsv() {
    run_file(
        "star-backtrack.tsv",
        include_str!("../data/star-backtrack.tsv"),
        5,
        0,
    );
}

#[test]
fn interval_tsv_is_skipped() {
    run_file("interval.tsv", include_str!("../data/interval.tsv"), 0, 17);
}
