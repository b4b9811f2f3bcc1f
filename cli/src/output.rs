//! Printing a reply: pretty JSON on a terminal, one line otherwise (so it pipes).

use std::io::IsTerminal;

use serde_json::Value;

/// Prints `value` on stdout.
pub fn json(value: &Value) {
    let text = if std::io::stdout().is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    println!("{}", text.unwrap_or_else(|_| value.to_string()));
}
