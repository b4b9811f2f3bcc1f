//! Printing a reply: pretty JSON on a terminal, one line otherwise (so it pipes); tables for
//! people.

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

/// Whether stdout is a terminal (a person reads it: tables, pretty JSON).
pub fn to_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// A value as a table cell: strings bare, `null` and `{}` as `-`, an object of counts as
/// `key:n key:n`, anything else as compact JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::Object(fields) if fields.is_empty() => "-".to_owned(),
        Value::Object(fields) if fields.values().all(|v| v.is_number() || v.is_string()) => fields
            .iter()
            .map(|(key, value)| format!("{key}:{}", cell(value)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::String(text) => text.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        other => other.to_string(),
    }
}

/// `rows` under `headers`, each column as wide as its widest cell, two spaces apart; no
/// trailing spaces.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            let pad = widths.get(i).copied().unwrap_or(0);
            text.extend(std::iter::repeat_n(
                ' ',
                pad.saturating_sub(cell.chars().count()),
            ));
        }
        text.trim_end().to_owned()
    };
    let mut out = line(&mut headers.iter().copied());
    for row in rows {
        out.push('\n');
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned() {
        let text = table(
            &["PATTERN", "COUNT"],
            &[
                vec!["cmd:sum,role:math".into(), "12".into()],
                vec!["role:x".into(), "3".into()],
            ],
        );
        assert_eq!(
            text,
            "PATTERN            COUNT\ncmd:sum,role:math  12\nrole:x             3"
        );
        assert_eq!(cell(&Value::Null), "-");
        assert_eq!(cell(&serde_json::json!(["a", "b"])), "a | b");
        assert_eq!(cell(&serde_json::json!({})), "-");
        assert_eq!(
            cell(&serde_json::json!({"act_invalid_msg": 2, "act_timeout": 1})),
            "act_invalid_msg:2 act_timeout:1"
        );
    }
}
