//! Glob values, matched exactly as gex 4.1.2 (the matcher patrun uses with `{gex: true}`).
//!
//! * `*` matches any run of characters, including none and including newlines;
//! * `?` matches exactly one character;
//! * `**` is a literal `*` and `*?` a literal `?` (gex's escapes);
//! * everything else is literal, and the whole value must match (anchored).
//!
//! gex compiles the glob into a regular expression; this module walks the glob text directly
//! (no allocation) with the classic two-pointer wildcard algorithm, which is exact for `*`/`?`.
//! One divergence: JavaScript's `?` matches one UTF-16 code unit, this matcher one `char`, so
//! for characters outside the Basic Multilingual Plane (emoji) `?` matches the whole character.

/// Whether a pattern value is a glob: its string form contains `*` or `?`.
pub(crate) fn is_glob(value: &str) -> bool {
    value.bytes().any(|b| b == b'*' || b == b'?')
}

/// A glob value with its literal prefix and suffix located, to reject most texts with two
/// comparisons before running the matcher.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    source: Box<str>,
    /// `source[..prefix]` is literal: a matching text starts with it.
    prefix: usize,
    /// `source[suffix..]` is literal: a matching text ends with it.
    suffix: usize,
}

impl Glob {
    pub(crate) fn new(source: &str) -> Glob {
        let wild = |c: char| c == '*' || c == '?';
        Glob {
            source: Box::from(source),
            prefix: source.find(wild).unwrap_or(source.len()),
            suffix: source.rfind(wild).map_or(source.len(), |i| i + 1),
        }
    }

    /// The glob text as given.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether `text` matches as a whole.
    pub(crate) fn matches(&self, text: &str) -> bool {
        text.starts_with(&self.source[..self.prefix])
            && text.ends_with(&self.source[self.suffix..])
            && matches(&self.source, text)
    }
}

/// One element of a glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// A character matched literally.
    Literal(char),
}

/// The token starting at byte `at` of `glob`, and the byte offset after it.
///
/// gex first rewrites every `**` pair (left to right) into a literal `*`, then every remaining
/// `*?` into a literal `?`; reading left to right and pairing a `*` with the character after it
/// gives the same tokens.
fn token(glob: &str, at: usize) -> Option<(Token, usize)> {
    let mut chars = glob[at..].chars();
    let c = chars.next()?;
    Some(match c {
        '*' => match chars.next() {
            Some('*') => (Token::Literal('*'), at + 2),
            Some('?') => (Token::Literal('?'), at + 2),
            _ => (Token::Star, at + 1),
        },
        '?' => (Token::One, at + 1),
        other => (Token::Literal(other), at + other.len_utf8()),
    })
}

/// Whether `text` matches `glob` as a whole.
pub(crate) fn matches(glob: &str, text: &str) -> bool {
    if glob == "*" {
        return true;
    }
    let mut g = 0; // position in glob
    let mut t = 0; // position in text
                   // After the last `*` seen: where the glob continues, and where in the text it was retried.
    let mut retry: Option<(usize, usize)> = None;
    loop {
        let next_char = text[t..].chars().next();
        // Where the glob and the text continue if this token matches here.
        let advance = match token(glob, g) {
            Some((Token::Star, after)) => {
                retry = Some((after, t));
                Some((after, 0))
            }
            Some((Token::One, after)) => next_char.map(|c| (after, c.len_utf8())),
            Some((Token::Literal(expected), after)) => {
                (next_char == Some(expected)).then(|| (after, expected.len_utf8()))
            }
            None if next_char.is_none() => return true,
            None => None,
        };
        if let Some((after, width)) = advance {
            g = after;
            t += width;
            continue;
        }
        // Mismatch: let the last `*` swallow one more character, or fail.
        let Some((after_star, from)) = retry else {
            return false;
        };
        let Some(c) = text[from..].chars().next() else {
            return false;
        };
        let from = from + c.len_utf8();
        retry = Some((after_star, from));
        g = after_star;
        t = from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_globs() {
        assert!(is_glob("*"));
        assert!(is_glob("a?"));
        assert!(is_glob("**"));
        assert!(!is_glob("abc"));
        assert!(!is_glob(""));
    }

    /// Cases from gex's `test/match.tsv` (pattern, input, matches).
    #[test]
    fn gex_match_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("ab", "ab", true),
            ("ab", "a", false),
            ("ab", "abc", false),
            ("ab", "cab", false),
            ("a*b", "acb", true),
            ("a*b", "acccb", true),
            ("a*b", "aabb", true),
            ("a*b", "ab", true),
            ("a*b", "aaa", false),
            ("a*b", "ba", false),
            ("a*b", "a", false),
            ("a?b", "acb", true),
            ("a?b", "ab", false),
            ("a?b", "accb", false),
            ("*b", "b", true),
            ("*b", "xyzb", true),
            ("*b", "abc", false),
            ("a*", "a", true),
            ("a*", "axyz", true),
            ("a*", "ba", false),
            ("*", "", true),
            ("*", "hello world", true),
            ("?", "a", true),
            ("?", "ab", false),
            ("?", "", false),
            ("a*b*c", "axbxc", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "axbycz", false),
            ("a?b?c", "axbyc", true),
            ("a?b?c", "axbyzc", false),
            ("a?b?c", "abc", false),
            ("a*b", "a\nb", true),
            ("a*b", "a\n\nb", true),
            ("*", "a\nb", true),
            ("0*", "0", true),
            ("*0*", "0", true),
            ("1*", "1abc", true),
            ("a*b", "a.b", true),
            ("a*b", "a\\b", true),
            ("a.b", "a.b", true),
            ("a.b", "acb", false),
            ("a+b", "aab", false),
            ("a(b", "a(b", true),
            ("a^b", "a^b", true),
            ("a$b", "a$b", true),
            ("a*z", "abcdefghijklmnopqrstuvwxyz", true),
            ("a*z", "abcdefghijklmnopqrstuvwxy", false),
        ];
        for &(glob, text, expected) in cases {
            assert_eq!(matches(glob, text), expected, "{glob:?} on {text:?}");
        }
    }

    #[test]
    fn escapes() {
        // `**` is a literal `*`.
        assert!(matches("a**b", "a*b"));
        assert!(!matches("a**b", "a**b"));
        assert!(!matches("a**b", "acb"));
        assert!(!matches("a**b", "ab"));
        assert!(matches("**", "*"));
        assert!(!matches("**", "x"));
        // `*?` is a literal `?`.
        assert!(matches("a*?b", "a?b"));
        assert!(!matches("a*?b", "a*?b"));
        assert!(!matches("a*?b", "acb"));
        // `***` is a literal `*` then any run; `**?` a literal `*` then one character.
        assert!(matches("***", "*"));
        assert!(matches("***", "*xyz"));
        assert!(!matches("***", "x*"));
        assert!(matches("**?", "*x"));
        assert!(!matches("**?", "*"));
        // `*?*` is a literal `?` then any run; `?*` is one character then any run.
        assert!(matches("*?*", "?tail"));
        assert!(!matches("*?*", "x?"));
        assert!(matches("?*", "x"));
        assert!(!matches("?*", ""));
    }

    #[test]
    fn compiled_glob_agrees_with_the_matcher() {
        for (glob, text) in [
            ("x*", "xy"),
            ("x*", "yx"),
            ("*y", "xy"),
            ("*y", "yx"),
            ("a*?", "a?"),
            ("a*?", "ab"),
            ("**y", "*y"),
            ("**y", "xy"),
            ("a?c", "abc"),
            ("é*ü", "éaü"),
            ("ab*ba", "aba"),
        ] {
            let compiled = Glob::new(glob);
            assert_eq!(compiled.source(), glob);
            assert_eq!(
                compiled.matches(text),
                matches(glob, text),
                "{glob:?} on {text:?}"
            );
        }
        assert!(Glob::new("ab*ba").matches("abba"));
        assert!(!Glob::new("ab*ba").matches("aba"));
    }

    #[test]
    fn backtracking_and_unicode() {
        assert!(matches("*a*a*a", "aaaa"));
        assert!(!matches("*a*a*a", "aab"));
        assert!(matches("*ab", "aaab"));
        assert!(matches("é?", "éü"));
        assert!(matches("*ü", "ééü"));
        assert!(matches("?", "😀"));
    }
}
