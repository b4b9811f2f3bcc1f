//! The text syntax: `role:math,cmd:sum`, optionally in braces, parsed into typed JSON.

use serde_json::{Map, Value};

use super::error::PatternError;

/// Parses Seneca-style object text (a small subset of Jsonic) into a JSON object.
///
/// * Optional surrounding `{ }`; `key:value` pairs separated by `,` (one trailing `,` is
///   allowed); whitespace around tokens is ignored.
/// * A key is a bare word (letters, digits, `_`, `-`, `.`, `$`) or a quoted string.
/// * A value is a quoted string (`'…'` or `"…"`, with the escapes `\" \' \\ \/ \b \f \n \r \t
///   \uXXXX`) or a bare run up to the next `,`, `}` or the end, trimmed. Bare `true`/`false`
///   become booleans, `null` becomes null, anything that is a JSON number becomes a number
///   (`1`, `-2.5`, `1e3`) and everything else a string (`math`, `*`, `a*b`, `x y`).
/// * Arrays and objects as values, duplicate keys and empty keys are errors naming the
///   1-based character position (`at character 3`, or `at the end`).
///
/// Directive keys (ending in `$`) are kept: this parses messages as well as patterns.
///
/// The compile-time check of `#[action("…")]` accepts exactly this language and reports the same
/// errors at the same positions; both are tested against one table of cases
/// (`macros/src/pattern_cases.rs`).
///
/// ```
/// use porticus::pattern::parse_object;
/// use serde_json::json;
///
/// let map = parse_object("role:math, cmd:sum, left:1, exact$:true, label:'a, b'").unwrap();
/// assert_eq!(
///     serde_json::Value::Object(map),
///     json!({"role": "math", "cmd": "sum", "left": 1, "exact$": true, "label": "a, b"})
/// );
/// assert!(parse_object("{}").unwrap().is_empty());
/// let err = parse_object("a:[1]").unwrap_err();
/// assert_eq!(err.position(), Some(3));
/// assert_eq!(
///     err.to_string(),
///     "array values are not supported (key `a`) at character 3 in `a:[1]`"
/// );
/// ```
pub fn parse_object(text: &str) -> Result<Map<String, Value>, PatternError> {
    Parser { text, pos: 0 }.object()
}

/// Whether `c` may appear in a bare key.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$')
}

/// Whether `text` is a JSON number literal: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
pub(crate) fn is_json_number(text: &str) -> bool {
    fn digits(bytes: &[u8], mut i: usize) -> usize {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    }
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(bytes, i + 1),
        _ => return false,
    }
    if bytes.get(i) == Some(&b'.') {
        let end = digits(bytes, i + 1);
        if end == i + 1 {
            return false;
        }
        i = end;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(bytes, i);
        if end == i {
            return false;
        }
        i = end;
    }
    i == bytes.len()
}

/// The typed value of a bare (unquoted) token.
pub(crate) fn bare_value(token: &str) -> Value {
    match token {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ if is_json_number(token) => serde_json::from_str::<serde_json::Number>(token)
            .map_or_else(|_| Value::String(token.to_owned()), Value::Number),
        _ => Value::String(token.to_owned()),
    }
}

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

    fn error(&self, detail: impl std::fmt::Display, position: usize) -> PatternError {
        PatternError::syntax(detail, position, self.text)
    }

    fn object(&mut self) -> Result<Map<String, Value>, PatternError> {
        let mut map = Map::new();
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
            if map.contains_key(&key) {
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
            map.insert(key, value);
            if next == Some(',') {
                self.bump();
            }
        }
        self.skip_ws();
        match self.peek() {
            None => Ok(map),
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

    fn value(&mut self, key: &str) -> Result<Value, PatternError> {
        let start = self.pos;
        match self.peek() {
            Some(quote @ ('"' | '\'')) => {
                self.bump();
                self.quoted(quote, start).map(Value::String)
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
                Ok(bare_value(self.text[start..self.pos].trim_end()))
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
    use serde_json::json;

    fn ok(text: &str) -> Value {
        Value::Object(parse_object(text).unwrap_or_else(|e| panic!("{text:?}: {e}")))
    }

    fn err(text: &str) -> (Option<usize>, String) {
        let e = parse_object(text).unwrap_err();
        (e.position(), e.to_string())
    }

    #[test]
    fn typed_bare_values() {
        assert_eq!(
            ok("role:math,cmd:sum,left:1,neg:-2.5,exp:1e3,t:true,f:false,n:null"),
            json!({"role":"math","cmd":"sum","left":1,"neg":-2.5,"exp":1000.0,
                   "t":true,"f":false,"n":null})
        );
        assert_eq!(
            ok("a:*, b:a*b, c: x y , d:01, e:.5, f:1.,g:+1"),
            json!({"a":"*","b":"a*b","c":"x y","d":"01","e":".5","f":"1.","g":"+1"})
        );
        assert_eq!(ok("a:b:c"), json!({"a":"b:c"}));
        assert_eq!(ok("a:1e400"), json!({"a":"1e400"}));
    }

    #[test]
    fn braces_whitespace_and_trailing_comma() {
        assert_eq!(ok(""), json!({}));
        assert_eq!(ok("  "), json!({}));
        assert_eq!(ok("{}"), json!({}));
        assert_eq!(ok(" { a : 1 , b : x } "), json!({"a":1,"b":"x"}));
        assert_eq!(ok("a:1,"), json!({"a":1}));
        assert_eq!(ok("{a:1,}"), json!({"a":1}));
    }

    #[test]
    fn quoted_keys_and_values() {
        assert_eq!(
            ok(r#""a b":'x,y', 'c':"it's", d:"1", e:'true'"#),
            json!({"a b":"x,y","c":"it's","d":"1","e":"true"})
        );
        assert_eq!(
            ok(r#"a:"q\"\'\\\/\n\t\r\b\f""#),
            json!({"a":"q\"'\\/\n\t\r\u{8}\u{c}"})
        );
        assert_eq!(ok(r#"a:"\u00e9\ud83d\ude00""#), json!({"a":"é😀"}));
        assert_eq!(ok("a:''"), json!({"a":""}));
        assert_eq!(ok("x$:1,é:ü"), json!({"x$":1,"é":"ü"}));
    }

    /// The cases shared with the compile-time check in `porticus-macros`.
    type Case = (
        &'static str,
        Result<&'static [(&'static str, &'static str)], &'static str>,
    );
    const SHARED_CASES: &[Case] = include!("../../../macros/src/pattern_cases.rs");

    /// The text of a parsed value as the shared table writes it.
    fn as_written(value: &Value) -> String {
        match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }

    #[test]
    fn agrees_with_the_compile_time_check() {
        for &(text, expected) in SHARED_CASES {
            match (parse_object(text), expected) {
                (Ok(map), Ok(pairs)) => {
                    // The map sorts its keys; the table lists them as written.
                    let mut expected: Vec<(String, String)> = pairs
                        .iter()
                        .map(|&(key, value)| (key.to_owned(), value.to_owned()))
                        .collect();
                    expected.sort();
                    let found: Vec<(String, String)> = map
                        .iter()
                        .map(|(key, value)| (key.clone(), as_written(value)))
                        .collect();
                    assert_eq!(found, expected, "{text:?}");
                }
                (Err(error), Err(message)) => {
                    let context = if message.ends_with(" at the end") {
                        "of"
                    } else {
                        "in"
                    };
                    assert_eq!(
                        error.to_string(),
                        format!("{message} {context} `{text}`"),
                        "{text:?}"
                    );
                    let position = match message.rsplit_once(" at character ") {
                        Some((_, at)) => at.parse().unwrap(),
                        None => text.chars().count() + 1,
                    };
                    assert_eq!(error.position(), Some(position), "{text:?}");
                }
                (found, expected) => {
                    panic!("{text:?}: parsed as {found:?}, the table expects {expected:?}")
                }
            }
        }
    }

    #[test]
    fn errors_name_character_positions_and_the_text() {
        assert_eq!(
            err("role"),
            (
                Some(5),
                "expected `:` after key `role` at the end of `role`".into()
            )
        );
        assert_eq!(
            err("é:1,é:2"),
            (
                Some(5),
                "duplicate key `é` at character 5 in `é:1,é:2`".into()
            )
        );
        assert_eq!(err("'':1").0, Some(1));
        assert_eq!(err(r#"a:"\q""#).0, Some(4));
        assert_eq!(err(r#"é:"\ud83d\u0041""#).0, Some(4));
    }

    #[test]
    fn json_number_grammar() {
        for yes in ["0", "-0", "1", "-12", "1.5", "1e3", "1E+3", "2.5e-7"] {
            assert!(is_json_number(yes), "{yes}");
        }
        for no in [
            "", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "1_000", "NaN",
        ] {
            assert!(!is_json_number(no), "{no}");
        }
    }
}
