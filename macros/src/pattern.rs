//! A syntax-only check of pattern text, so that a typo in `#[action("…")]` fails the build.
//!
//! This is deliberately independent of the `porticus` crate (a proc-macro crate cannot depend on
//! the crate that re-exports it), so it is a port of the runtime parser
//! (`porticus::pattern::parse_object`, in `framework/src/pattern/parse.rs`) without the JSON
//! typing of values: it accepts exactly the same text, and rejects the rest with the same message
//! at the same 1-based character position. Both are tested against one table of cases,
//! `pattern_cases.rs`; change the two parsers and the table together.
//!
//! ```text
//! pattern = ws [ "{" ] ws [ pair ( ws "," ws pair )* [ ws "," ] ] ws [ "}" ] ws
//! pair    = key ws ":" ws value
//! key     = word | quoted        word = ( alphanumeric | "_" | "-" | "." | "$" )+, Unicode included
//! value   = quoted | bare        bare = everything up to the next "," or "}", trimmed, not empty,
//!                                       not starting with "[" or "{"
//! quoted  = '…' | "…"            not empty as a key; JSON escapes (\" \' \\ \/ \b \f \n \r \t \uXXXX)
//! ```
//!
//! Keys must be distinct. Directive keys (`timeout$`) are accepted: the framework drops them from
//! a pattern, as Seneca's `clean` does.

use std::fmt;

/// Why a pattern was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError {
    message: String,
    /// 1-based character position; one past the last character means "at the end".
    at: usize,
    /// Whether `at` is one past the last character.
    at_end: bool,
}

impl fmt::Display for PatternError {
    /// As the runtime's message, without its ``in `text` `` suffix: the compile error already
    /// points at the text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at_end {
            write!(f, "{} at the end", self.message)
        } else {
            write!(f, "{} at character {}", self.message, self.at)
        }
    }
}

/// Checks the syntax of `text`, returning its `key:value` pairs in the order written (quoted
/// strings unescaped, bare values trimmed).
pub(crate) fn parse(text: &str) -> Result<Vec<(String, String)>, PatternError> {
    Parser { text, pos: 0 }.object()
}

/// Whether `c` may appear in a bare key (as `porticus::pattern::parse::is_word_char`).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$')
}

/// A byte position in the pattern text; errors convert it to a character position.
struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// An error at byte offset `byte`.
    fn error(&self, message: impl fmt::Display, byte: usize) -> PatternError {
        let before = self.text.get(..byte).unwrap_or(self.text).chars().count();
        PatternError {
            message: message.to_string(),
            at: before + 1,
            at_end: before == self.text.chars().count(),
        }
    }

    fn object(&mut self) -> Result<Vec<(String, String)>, PatternError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        self.skip_ws();
        let braced = self.peek() == Some('{');
        if braced {
            self.bump();
        }
        loop {
            self.skip_ws();
            match self.peek() {
                None if braced => return Err(self.error("missing the closing `}`", self.pos)),
                None => break,
                Some('}') if braced => {
                    self.bump();
                    break;
                }
                Some('}') => return Err(self.error("`}` without an opening `{`", self.pos)),
                Some(_) => {}
            }
            let key_pos = self.pos;
            let key = self.key()?;
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(self.error(format_args!("expected `:` after key `{key}`"), self.pos));
            }
            self.bump();
            self.skip_ws();
            let value = self.value(&key)?;
            if pairs.iter().any(|(seen, _)| *seen == key) {
                return Err(self.error(format_args!("duplicate key `{key}`"), key_pos));
            }
            self.skip_ws();
            let next = self.peek();
            if let Some(c) = next.filter(|c| !matches!(c, ',' | '}')) {
                return Err(self.error(
                    format_args!("expected `,` after the value of `{key}` but found `{c}`"),
                    self.pos,
                ));
            }
            pairs.push((key, value));
            if next == Some(',') {
                self.bump();
            }
        }
        self.skip_ws();
        match self.peek() {
            None => Ok(pairs),
            Some(c) => Err(self.error(
                format_args!("unexpected `{c}` after the closing `}}`"),
                self.pos,
            )),
        }
    }

    fn key(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        if let Some(quote @ ('"' | '\'')) = self.peek() {
            self.bump();
            let key = self.quoted(quote, start)?;
            if key.is_empty() {
                return Err(self.error("empty key", start));
            }
            return Ok(key);
        }
        while self.peek().is_some_and(is_word_char) {
            self.bump();
        }
        if self.pos > start {
            return Ok(self.text[start..self.pos].to_owned());
        }
        Err(match self.peek() {
            Some(':') => self.error("empty key", start),
            Some(c) => self.error(format_args!("expected a key but found `{c}`"), start),
            None => self.error("expected a key", start),
        })
    }

    fn value(&mut self, key: &str) -> Result<String, PatternError> {
        let start = self.pos;
        match self.peek() {
            Some(quote @ ('"' | '\'')) => {
                self.bump();
                self.quoted(quote, start)
            }
            Some('[') => Err(self.error(
                format_args!("array values are not supported (key `{key}`)"),
                start,
            )),
            Some('{') => Err(self.error(
                format_args!("object values are not supported (key `{key}`)"),
                start,
            )),
            None | Some(',') | Some('}') => {
                Err(self.error(format_args!("missing value for key `{key}`"), start))
            }
            Some(_) => {
                while self.peek().is_some_and(|c| c != ',' && c != '}') {
                    self.bump();
                }
                Ok(self.text[start..self.pos].trim_end().to_owned())
            }
        }
    }

    /// The rest of a quoted string whose opening `quote` was at `start`.
    fn quoted(&mut self, quote: char, start: usize) -> Result<String, PatternError> {
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                Some(c) if c == quote => return Ok(out),
                Some('\\') => match self.bump() {
                    Some(c) => out.push(self.escape(c, at)?),
                    // A backslash as the last character: the quote is still open.
                    None => return Err(self.error("unterminated string", start)),
                },
                None => return Err(self.error("unterminated string", start)),
                Some(c) => out.push(c),
            }
        }
    }

    /// The character of the escape `\\letter` whose backslash was at `at`.
    fn escape(&mut self, letter: char, at: usize) -> Result<char, PatternError> {
        Ok(match letter {
            c @ ('"' | '\'' | '\\' | '/') => c,
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let high = self.hex4(at)?;
                if (0xDC00..0xE000).contains(&high) {
                    return Err(self.error("unpaired surrogate in unicode escape", at));
                }
                if !(0xD800..0xDC00).contains(&high) {
                    return char::from_u32(high)
                        .ok_or_else(|| self.error("invalid unicode escape", at));
                }
                // A high surrogate must be followed by `\u` and a low surrogate.
                let low = match (self.bump(), self.bump()) {
                    (Some('\\'), Some('u')) => self.hex4(at)?,
                    _ => return Err(self.error("unpaired surrogate in unicode escape", at)),
                };
                if !(0xDC00..0xE000).contains(&low) {
                    return Err(self.error("unpaired surrogate in unicode escape", at));
                }
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                char::from_u32(code).ok_or_else(|| self.error("invalid unicode escape", at))?
            }
            c => return Err(self.error(format_args!("invalid escape `\\{c}`"), at)),
        })
    }

    fn hex4(&mut self, at: usize) -> Result<u32, PatternError> {
        let digits = self.text.get(self.pos..self.pos + 4);
        let code = digits
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("invalid unicode escape", at))?;
        self.pos += 4;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases shared with the runtime parser in `porticus` (`framework/src/pattern/parse.rs`).
    type Case = (
        &'static str,
        Result<&'static [(&'static str, &'static str)], &'static str>,
    );
    const SHARED_CASES: &[Case] = include!("pattern_cases.rs");

    #[test]
    fn agrees_with_the_runtime_parser() {
        for &(text, expected) in SHARED_CASES {
            match (parse(text), expected) {
                (Ok(found), Ok(pairs)) => {
                    let pairs: Vec<(String, String)> = pairs
                        .iter()
                        .map(|&(key, value)| (key.to_owned(), value.to_owned()))
                        .collect();
                    assert_eq!(found, pairs, "{text:?}");
                }
                (Err(error), Err(message)) => assert_eq!(error.to_string(), message, "{text:?}"),
                (found, expected) => {
                    panic!("{text:?}: parsed as {found:?}, the table expects {expected:?}")
                }
            }
        }
    }

    #[test]
    fn positions_count_characters_from_one() {
        let error = parse("é:1,é:2").unwrap_err();
        assert_eq!((error.at, error.at_end), (5, false));
        let error = parse("é:").unwrap_err();
        assert_eq!((error.at, error.at_end), (3, true));
        assert_eq!(error.to_string(), "missing value for key `é` at the end");
    }

    #[test]
    fn the_table_covers_every_message() {
        for message in [
            "expected a key but found",
            "empty key",
            "expected `:` after key",
            "missing value for key",
            "array values are not supported",
            "object values are not supported",
            "unterminated string",
            "invalid escape",
            "invalid unicode escape",
            "unpaired surrogate",
            "duplicate key",
            "missing the closing `}`",
            "without an opening `{`",
            "after the closing `}`",
            "expected `,` after the value",
        ] {
            assert!(
                SHARED_CASES.iter().any(|(_, expected)| expected
                    .is_err_and(|m| m.starts_with(message) || m.contains(message))),
                "no shared case for {message:?}"
            );
        }
    }
}
