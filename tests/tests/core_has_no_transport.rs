//! The transport contract's structural promises, checked on the framework's source: the core
//! (node, message, action, pattern, config schema, contract) names no transport feature, and
//! node/ never imports transport/ (transport/ builds on node/, not the other way round).

use std::path::{Path, PathBuf};

fn framework_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../framework/src")
}

/// Every `.rs` file under `path` (or `path` itself).
fn sources(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        out.extend(sources(&entry.expect("a directory entry").path()));
    }
    out.retain(|p| p.extension().is_some_and(|e| e == "rs"));
    out
}

const CORE: [&str; 8] = [
    "node",
    "message.rs",
    "action",
    "pattern",
    "contract",
    "context.rs",
    "error",
    "config",
];

#[test]
fn the_core_names_no_transport_feature() {
    let mut offending = Vec::new();
    for part in CORE {
        for file in sources(&framework_src().join(part)) {
            let text = std::fs::read_to_string(&file).expect("readable");
            for (n, line) in text.lines().enumerate() {
                let gated = ["\"http\"", "\"https\"", "\"amqp\"", "\"amqps\"", "\"nats\""]
                    .iter()
                    .any(|f| line.contains("feature") && line.contains(f));
                if gated && line.contains("cfg") {
                    offending.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offending.is_empty(),
        "transport cfgs in the core:\n{}",
        offending.join("\n")
    );
}

#[test]
fn node_does_not_import_transport() {
    let mut offending = Vec::new();
    for file in sources(&framework_src().join("node")) {
        let text = std::fs::read_to_string(&file).expect("readable");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains("crate::transport") || code.contains("super::transport") {
                offending.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offending.is_empty(),
        "node/ imports transport/:\n{}",
        offending.join("\n")
    );
}
