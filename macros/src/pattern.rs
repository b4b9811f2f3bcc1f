//! A syntax-only check of pattern text, so that a typo in `#[action("…")]` fails the build.
//!
//! This is deliberately independent of the `porticus` crate (a proc-macro crate cannot depend on
//! the crate that re-exports it): it accepts the text form only, and the framework still parses
//! and canonicalises every pattern at startup.
//!
//! ```text
//! pattern = ws [ "{" ] ws [ pair ( ws "," ws pair )* ] ws [ "}" ] ws
//! pair    = key ws ":" ws value
//! key     = word | quoted            word = [A-Za-z0-9_.-]+
//! value   = quoted | bare            bare = everything up to the next "," or "}", trimmed
//! quoted  = '…' | "…"                with backslash escapes
//! ```

use std::fmt;

/// Why a pattern was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError {
    message: String,
    /// 1-based character position; `None` means "at the end of the pattern".
    at: Option<usize>,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(at) => write!(f, "at character {at}: {}", self.message),
            None => write!(f, "at the end: {}", self.message),
        }
    }
}

/// Checks the syntax of `text`, returning its `key:value` pairs in the order written.
pub(crate) fn parse(text: &str) -> Result<Vec<(String, String)>, PatternError> {
    let mut cursor = Cursor {
        chars: text.chars().collect(),
        pos: 0,
    };
    cursor.skip_whitespace();
    let braced = cursor.eat('{');
    let mut pairs: Vec<(String, String)> = Vec::new();
    cursor.skip_whitespace();
    let empty = match cursor.peek() {
        None => true,
        Some('}') => braced,
        Some(_) => false,
    };
    if !empty {
        loop {
            let key_at = cursor.pos;
            let key = cursor.key()?;
            if pairs.iter().any(|(seen, _)| *seen == key) {
                return Err(cursor.error_at(key_at, format!("duplicate key `{key}`")));
            }
            cursor.skip_whitespace();
            if !cursor.eat(':') {
                return Err(cursor.error(format!("missing `:` after key `{key}`")));
            }
            cursor.skip_whitespace();
            let value = cursor.value(&key)?;
            pairs.push((key, value));
            cursor.skip_whitespace();
            match cursor.peek() {
                Some(',') => {
                    cursor.pos += 1;
                    cursor.skip_whitespace();
                    if matches!(cursor.peek(), None | Some('}')) {
                        return Err(
                            cursor.error("trailing `,` (expected another `key:value` pair)")
                        );
                    }
                }
                None | Some('}') => break,
                Some(found) => {
                    let key = &pairs[pairs.len() - 1].0;
                    return Err(cursor.error(format!(
                        "expected `,` after the value of `{key}`, found `{found}`"
                    )));
                }
            }
        }
    }
    match (braced, cursor.peek()) {
        (true, Some('}')) => cursor.pos += 1,
        (true, _) => return Err(cursor.error("missing the closing `}`")),
        (false, Some('}')) => return Err(cursor.error("`}` without an opening `{`")),
        (false, _) => {}
    }
    cursor.skip_whitespace();
    match cursor.peek() {
        None => Ok(pairs),
        Some(found) => Err(cursor.error(format!("unexpected `{found}` after the closing `}}`"))),
    }
}

/// Characters allowed in an unquoted key.
fn is_word(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-')
}

/// A position in the pattern text.
struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, expected: char) -> bool {
        let found = self.peek() == Some(expected);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// An error at the current position.
    fn error(&self, message: impl Into<String>) -> PatternError {
        self.error_at(self.pos, message)
    }

    /// An error at the 0-based character index `pos`.
    fn error_at(&self, pos: usize, message: impl Into<String>) -> PatternError {
        PatternError {
            message: message.into(),
            at: (pos < self.chars.len()).then_some(pos + 1),
        }
    }

    fn key(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        let key = match self.peek() {
            Some(quote @ ('"' | '\'')) => self.quoted(quote)?,
            Some(ch) if is_word(ch) || ch == '$' => self.take_while(|ch| is_word(ch) || ch == '$'),
            Some(':') => return Err(self.error("empty key before `:`")),
            Some(',') => return Err(self.error("empty key (expected `key:value` before `,`)")),
            Some(found) => return Err(self.error(format!("expected a key, found `{found}`"))),
            None => return Err(self.error("expected a key")),
        };
        if key.is_empty() {
            return Err(self.error_at(start, "empty key"));
        }
        if key.ends_with('$') {
            return Err(self.error_at(
                start,
                format!(
                    "`{key}` is a directive, and directives such as `timeout$` are not part of a \
                     pattern"
                ),
            ));
        }
        if let Some(offset) = key.find('$') {
            let at = start + key[..offset].chars().count();
            return Err(self.error_at(at, format!("unexpected `$` in key `{key}`")));
        }
        Ok(key)
    }

    fn value(&mut self, key: &str) -> Result<String, PatternError> {
        match self.peek() {
            Some(quote @ ('"' | '\'')) => self.quoted(quote),
            Some(open @ ('[' | '{')) => Err(self.error(format!(
                "the value of `{key}` starts with `{open}`, but nested JSON values are not \
                 supported in a pattern"
            ))),
            _ => {
                let value = self.take_while(|ch| ch != ',' && ch != '}');
                let value = value.trim_end();
                if value.is_empty() {
                    return Err(self.error(format!("empty value for key `{key}`")));
                }
                Ok(value.to_owned())
            }
        }
    }

    /// A string between `quote`s, with backslash escapes; the cursor is on the opening quote.
    fn quoted(&mut self, quote: char) -> Result<String, PatternError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                Some(ch) if ch == quote => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('\\') if self.pos + 1 < self.chars.len() => {
                    text.push(self.chars[self.pos + 1]);
                    self.pos += 2;
                }
                Some(ch) => {
                    text.push(ch);
                    self.pos += 1;
                }
                None => {
                    return Err(self.error_at(
                        start,
                        format!("unterminated quote: this `{quote}` is never closed"),
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap_or_else(|error| panic!("`{text}` should parse: {error}"))
    }

    fn error(text: &str) -> String {
        match parse(text) {
            Ok(pairs) => panic!("`{text}` should be rejected, parsed as {pairs:?}"),
            Err(error) => error.to_string(),
        }
    }

    fn owned(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn accepts_bare_pairs_with_whitespace_anywhere() {
        assert_eq!(
            pairs("  role : math ,cmd:sum  "),
            owned(&[("role", "math"), ("cmd", "sum")])
        );
    }

    #[test]
    fn accepts_braces_and_the_empty_catch_all() {
        assert_eq!(pairs("{ role:math }"), owned(&[("role", "math")]));
        assert_eq!(pairs("{}"), owned(&[]));
        assert_eq!(pairs(" { } "), owned(&[]));
        assert_eq!(pairs(""), owned(&[]));
    }

    #[test]
    fn accepts_quoted_keys_and_values_with_escapes() {
        assert_eq!(
            pairs(r#""a key":'it\'s',b:"x,y}",c:''"#),
            owned(&[("a key", "it's"), ("b", "x,y}"), ("c", "")])
        );
    }

    #[test]
    fn accepts_globs_numbers_and_dotted_keys() {
        assert_eq!(
            pairs("cmd:*,v:1.5,ok:true,a.b-c_d:x?y"),
            owned(&[
                ("cmd", "*"),
                ("v", "1.5"),
                ("ok", "true"),
                ("a.b-c_d", "x?y")
            ])
        );
    }

    #[test]
    fn bare_values_run_to_the_next_comma() {
        assert_eq!(
            pairs("url:http://x:80/a b,n:1"),
            owned(&[("url", "http://x:80/a b"), ("n", "1")])
        );
    }

    #[test]
    fn rejects_a_missing_colon() {
        assert_eq!(
            error("role:math,cmd"),
            "at the end: missing `:` after key `cmd`"
        );
        assert_eq!(
            error("role math"),
            "at character 6: missing `:` after key `role`"
        );
    }

    #[test]
    fn rejects_empty_keys() {
        assert_eq!(error(":math"), "at character 1: empty key before `:`");
        assert_eq!(error("'':math"), "at character 1: empty key");
        assert_eq!(
            error("a:1,,b:2"),
            "at character 5: empty key (expected `key:value` before `,`)"
        );
        assert_eq!(
            error("a:1,"),
            "at the end: trailing `,` (expected another `key:value` pair)"
        );
        assert_eq!(
            error("role:math,#:1"),
            "at character 11: expected a key, found `#`"
        );
    }

    #[test]
    fn rejects_empty_bare_values() {
        assert_eq!(
            error("role:,cmd:sum"),
            "at character 6: empty value for key `role`"
        );
        assert_eq!(error("role:  "), "at the end: empty value for key `role`");
    }

    #[test]
    fn rejects_unterminated_quotes() {
        assert_eq!(
            error("role:'math"),
            "at character 6: unterminated quote: this `'` is never closed"
        );
        assert_eq!(
            error(r#""role:math"#),
            "at character 1: unterminated quote: this `\"` is never closed"
        );
        assert_eq!(
            error(r"a:'x\'"),
            "at character 3: unterminated quote: this `'` is never closed"
        );
    }

    #[test]
    fn rejects_duplicate_keys_even_when_quoted() {
        assert_eq!(
            error("role:math,cmd:sum,'role':x"),
            "at character 19: duplicate key `role`"
        );
    }

    #[test]
    fn rejects_nested_json_values() {
        assert_eq!(
            error("a:[1,2]"),
            "at character 3: the value of `a` starts with `[`, but nested JSON values are not \
             supported in a pattern"
        );
        assert!(error("a:{b:1}").contains("starts with `{`"));
    }

    #[test]
    fn rejects_directives() {
        assert_eq!(
            error("role:math,timeout$:100"),
            "at character 11: `timeout$` is a directive, and directives such as `timeout$` are \
             not part of a pattern"
        );
        assert!(error("'default$':1").contains("`default$` is a directive"));
        assert_eq!(
            error("a$b:1"),
            "at character 2: unexpected `$` in key `a$b`"
        );
    }

    #[test]
    fn rejects_unbalanced_braces_and_junk() {
        assert_eq!(error("{role:math"), "at the end: missing the closing `}`");
        assert_eq!(
            error("role:math}"),
            "at character 10: `}` without an opening `{`"
        );
        assert_eq!(
            error("{role:math} x"),
            "at character 13: unexpected `x` after the closing `}`"
        );
        assert_eq!(
            error("a:'x' y"),
            "at character 7: expected `,` after the value of `a`, found `y`"
        );
    }
}
