//! The text forms of a [`Pattern`]: canonical `Display` (which parses back), `Debug`,
//! `FromStr` and serde (as the canonical string).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::canonical::Pattern;
use super::error::PatternError;
use super::parse::{bare_value, is_word_char};
use super::value::js_string;

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if key.chars().all(is_word_char) && !key.is_empty() {
                f.write_str(key)?;
            } else {
                write_quoted(f, key)?;
            }
            f.write_str(":")?;
            if is_bare_safe(value) {
                f.write_str(value)?;
            } else {
                write_quoted(f, value)?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern")
            .field(&format_args!("{self}"))
            .finish()
    }
}

/// Whether `value` written bare parses back to the same string.
fn is_bare_safe(value: &str) -> bool {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !",:{}[]\"'\\".contains(c));
    plain
        && match bare_value(value) {
            Value::String(_) => true,
            Value::Null => false,
            other => *js_string(&other) == *value,
        }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
            c => fmt::Write::write_char(f, c)?,
        }
    }
    f.write_str("\"")
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(text: &str) -> Result<Pattern, PatternError> {
        Pattern::parse(text)
    }
}

impl serde::Serialize for Pattern {
    /// Serializes as the canonical string, `cmd:sum,role:math`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Pattern {
    /// Deserializes from pattern text or from a JSON object.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Pattern, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Pattern::parse(&text),
            other => Pattern::from_json(&other),
        }
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn display_quotes_what_would_not_reparse() {
        let cases = [
            (json!({"a": "x y"}), r#"a:"x y""#),
            (json!({"a": ""}), r#"a:"""#),
            (json!({"a": "null"}), r#"a:"null""#),
            (json!({"a": "1.0"}), r#"a:"1.0""#),
            (json!({"a": "1e3"}), r#"a:"1e3""#),
            (json!({"a": "-0"}), r#"a:"-0""#),
            (json!({"a": "1"}), "a:1"),
            (json!({"a": "true"}), "a:true"),
            (json!({"a": "a*b?"}), "a:a*b?"),
            (json!({"a": "x:y"}), r#"a:"x:y""#),
            (json!({"a": "[1]"}), r#"a:"[1]""#),
            (json!({"a": "q\"\\\n\u{1}"}), r#"a:"q\"\\\n\u0001""#),
            (json!({"a b": 1, "*": 2}), r#""*":2,"a b":1"#),
        ];
        for (json, text) in cases {
            let pattern = Pattern::from_json(&json).unwrap();
            assert_eq!(pattern.to_string(), text);
            assert_eq!(p(text), pattern, "{text} re-parses");
        }
    }

    #[test]
    fn serde_round_trip() {
        let pattern = p("role:math,cmd:sum");
        let json = serde_json::to_value(&pattern).unwrap();
        assert_eq!(json, json!("cmd:sum,role:math"));
        assert_eq!(serde_json::from_value::<Pattern>(json).unwrap(), pattern);
        let from_object: Pattern =
            serde_json::from_value(json!({"role": "math", "cmd": "sum"})).unwrap();
        assert_eq!(from_object, pattern);
        assert!(serde_json::from_value::<Pattern>(json!("a:")).is_err());
    }
}
