//! Reading the REPL's lines: when a JSON body goes on to the next line, and what a line asks.

use crate::commands::introspect::Cmd;

/// What one (possibly multi-line) entry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Nothing (an empty line).
    Empty,
    /// `act <pattern|json> [json]`.
    Act {
        /// The pattern or the whole message as JSON.
        message: String,
        /// The body, after a pattern.
        body: Option<String>,
    },
    /// `emit <pattern|json> [json]`.
    Emit {
        /// The pattern or the whole event as JSON.
        event: String,
        /// The body, after a pattern.
        body: Option<String>,
    },
    /// `ping|info|stats <service>`.
    Introspect(Cmd, String),
    /// `help`.
    Help,
    /// `quit` or `exit`.
    Quit,
}

/// The REPL's commands, for `help` and completion.
pub const COMMANDS: [&str; 7] = ["act", "emit", "ping", "info", "stats", "help", "quit"];

/// What `help` prints.
pub const HELP: &str = "\
act <pattern> [json]    act: a pattern (role:math,cmd:sum) and a JSON body, or a JSON message
emit <pattern> [json]   emit an event, the same way
ping <service>          who answers for a service
info <service>          what a service serves and calls (and learns completions from it)
stats <service>         what a service has done since it started
help                    this list
quit                    leave (or ctrl-d)

A JSON body may go on over several lines: the entry ends when its braces balance.
Tab completes commands, and pattern keys and values from the services `info` has seen.";

/// Whether `text` has unclosed `{` or `[` outside JSON strings: the entry goes on.
pub fn unbalanced(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ => {}
        }
    }
    depth > 0
}

/// What `entry` asks for, or why it means nothing.
pub fn parse(entry: &str) -> Result<Line, String> {
    let entry = entry.trim();
    if entry.is_empty() {
        return Ok(Line::Empty);
    }
    let (word, rest) = match entry.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (entry, ""),
    };
    match word {
        "help" | "?" => Ok(Line::Help),
        "quit" | "exit" => Ok(Line::Quit),
        "act" | "emit" => {
            let (first, body) = message(rest)
                .ok_or_else(|| format!("usage: {word} <pattern> [json] or {word} <json>"))?;
            Ok(if word == "act" {
                Line::Act {
                    message: first,
                    body,
                }
            } else {
                Line::Emit { event: first, body }
            })
        }
        _ => match Cmd::parse(word) {
            Some(cmd) if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
                Ok(Line::Introspect(cmd, rest.to_owned()))
            }
            Some(_) => Err(format!("usage: {word} <service>")),
            None => Err(format!(
                "unknown command `{word}`: expected one of {} (`help`)",
                COMMANDS.join(", ")
            )),
        },
    }
}

/// `<json>` alone, or `<pattern> [json]`.
fn message(rest: &str) -> Option<(String, Option<String>)> {
    if rest.is_empty() {
        return None;
    }
    if rest.starts_with('{') {
        return Some((rest.to_owned(), None));
    }
    Some(match rest.split_once(char::is_whitespace) {
        Some((pattern, body)) => (pattern.to_owned(), Some(body.trim().to_owned())),
        None => (rest.to_owned(), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_goes_on_while_its_braces_are_open() {
        assert!(unbalanced(r#"act role:math,cmd:sum {"left":1,"#));
        assert!(!unbalanced(r#"act role:math,cmd:sum {"left":1,"right":2}"#));
        assert!(!unbalanced(r#"act role:x {"s":"{["}"#), "braces in strings");
        assert!(unbalanced(r#"act role:x {"s":"\"{", "a": ["#));
        assert!(!unbalanced("ping math"));
    }

    #[test]
    fn lines_parse_into_commands() {
        assert_eq!(parse("  "), Ok(Line::Empty));
        assert_eq!(
            parse("act role:math,cmd:sum {\"left\":1,\n\"right\":2}"),
            Ok(Line::Act {
                message: "role:math,cmd:sum".into(),
                body: Some("{\"left\":1,\n\"right\":2}".into()),
            })
        );
        assert_eq!(
            parse("emit {\"event\":\"e\"}"),
            Ok(Line::Emit {
                event: "{\"event\":\"e\"}".into(),
                body: None
            })
        );
        assert_eq!(
            parse("stats math"),
            Ok(Line::Introspect(Cmd::Stats, "math".into()))
        );
        assert_eq!(parse("quit"), Ok(Line::Quit));
        assert!(parse("ping").is_err());
        assert!(parse("act").is_err());
        assert!(parse("bogus x")
            .unwrap_err()
            .contains("unknown command `bogus`"));
    }
}
