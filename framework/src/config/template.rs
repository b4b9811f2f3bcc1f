//! The grammar of `${NAME}` references in configuration values, and their resolution.
//!
//! ```text
//! ${NAME}            the variable's value; an error when it is not set
//! ${NAME:-default}   the default when the variable is unset or empty
//! ${NAME-default}    the default when the variable is unset (an empty value is kept)
//! $$                 a literal `$`
//! ```
//!
//! A name starts with a letter or `_` and holds letters, digits and `_`. A default is itself a
//! template (it may hold references and `$$`) that ends at the first `}` it does not open. Any
//! other `$` is an error, so that a mistyped reference (`$NAME`, `${NAME`) is never taken as
//! text.

/// A variable as the environment holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Lookup {
    /// Set, to this value (maybe empty).
    Set(String),
    /// Not set.
    Unset,
    /// Set, but not valid UTF-8.
    NotUnicode,
}

/// A parsed configuration value: text and references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Reference {
        name: String,
        fallback: Option<Fallback>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fallback {
    /// `:-` (an empty value takes the default too) rather than `-`.
    when_empty: bool,
    template: Template,
}

/// Why a value is not a valid template; reads after "config value `key` ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Malformed(pub(super) String);

/// Why a template cannot be resolved: the variable it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unresolved {
    /// Not set, and no default.
    Unset(String),
    /// Set, but not UTF-8.
    NotUnicode(String),
}

impl Template {
    /// Parses `text`.
    pub(super) fn parse(text: &str) -> Result<Template, Malformed> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        parser.template(None)
    }

    /// Whether it holds a reference (rather than text alone, `$$` included).
    pub(super) fn has_references(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Reference { .. }))
    }

    /// The text, with each reference replaced by its variable's value as `lookup` finds it
    /// (defaults are looked at only when taken).
    pub(super) fn resolve(&self, lookup: &dyn Fn(&str) -> Lookup) -> Result<String, Unresolved> {
        let mut out = String::new();
        self.resolve_into(lookup, &mut out)?;
        Ok(out)
    }

    fn resolve_into(
        &self,
        lookup: &dyn Fn(&str) -> Lookup,
        out: &mut String,
    ) -> Result<(), Unresolved> {
        for piece in &self.pieces {
            let (name, fallback) = match piece {
                Piece::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                Piece::Reference { name, fallback } => (name, fallback),
            };
            let value = match lookup(name) {
                Lookup::NotUnicode => return Err(Unresolved::NotUnicode(name.clone())),
                Lookup::Set(value) => Some(value),
                Lookup::Unset => None,
            };
            match (value, fallback) {
                (Some(value), Some(f)) if value.is_empty() && f.when_empty => {
                    f.template.resolve_into(lookup, out)?;
                }
                (Some(value), _) => out.push_str(&value),
                (None, Some(f)) => f.template.resolve_into(lookup, out)?,
                (None, None) => return Err(Unresolved::Unset(name.clone())),
            }
        }
        Ok(())
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.at += 1;
        c
    }

    /// Pieces up to the end, or, in a default (`open` = where its `${` starts and the name),
    /// up to the `}` closing it.
    fn template(&mut self, open: Option<(usize, &str)>) -> Result<Template, Malformed> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        loop {
            match (self.next(), open) {
                (None, None) => break,
                (None, Some((start, name))) => {
                    return Err(Malformed(format!(
                        "has a reference `${{{name}` at character {} that is not closed by `}}`",
                        start + 1
                    )))
                }
                (Some('}'), Some(_)) => break,
                (Some('$'), _) => match self.peek() {
                    Some('$') => {
                        self.at += 1;
                        text.push('$');
                    }
                    Some('{') => {
                        self.at += 1;
                        if !text.is_empty() {
                            pieces.push(Piece::Text(std::mem::take(&mut text)));
                        }
                        pieces.push(self.reference(self.at - 2)?);
                    }
                    _ => {
                        return Err(Malformed(format!(
                            "has a `$` at character {} that starts no reference: write `${{NAME}}` for a variable, `$$` for a literal `$`",
                            self.at
                        )))
                    }
                },
                (Some(c), _) => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template { pieces })
    }

    /// The reference whose `${` is at `start`, just after the `${`.
    fn reference(&mut self, start: usize) -> Result<Piece, Malformed> {
        let mut name = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            name.push(c);
            self.at += 1;
        }
        let position = start + 1;
        if name.is_empty() {
            return Err(Malformed(match self.peek() {
                Some('}') => format!("has `${{}}` at character {position}, which names no variable"),
                None => format!("ends in `${{` at character {position}: a reference needs a variable name and `}}`"),
                Some(c) => format!(
                    "has `${{` followed by `{c}` at character {position}: a variable name starts with a letter or `_`"
                ),
            }));
        }
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            let shown = if self.peek() == Some('}') {
                format!("${{{name}}}")
            } else {
                format!("${{{name}")
            };
            return Err(Malformed(format!(
                "has `{shown}` at character {position}: a variable name starts with a letter or `_`"
            )));
        }
        let fallback = match (self.next(), self.peek()) {
            (Some('}'), _) => None,
            (Some(':'), Some('-')) => {
                self.at += 1;
                Some(self.fallback(true, start, &name)?)
            }
            (Some('-'), _) => Some(self.fallback(false, start, &name)?),
            (None, _) => {
                return Err(Malformed(format!(
                    "has a reference `${{{name}` at character {position} that is not closed by `}}`"
                )))
            }
            (Some(c), _) => {
                return Err(Malformed(format!(
                    "has `${{{name}` followed by `{c}` at character {position}: expected `}}`, `:-default` or `-default`"
                )))
            }
        };
        Ok(Piece::Reference { name, fallback })
    }

    fn fallback(
        &mut self,
        when_empty: bool,
        start: usize,
        name: &str,
    ) -> Result<Fallback, Malformed> {
        Ok(Fallback {
            when_empty,
            template: self.template(Some((start, name)))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Lookup {
        match name {
            "HOST" => Lookup::Set("rabbit".into()),
            "EMPTY" => Lookup::Set(String::new()),
            "BINARY" => Lookup::NotUnicode,
            _ => Lookup::Unset,
        }
    }

    fn resolved(text: &str) -> Result<String, Unresolved> {
        Template::parse(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
            .resolve(&lookup)
    }

    fn malformed(text: &str) -> String {
        Template::parse(text)
            .expect_err(&format!("{text:?} is malformed"))
            .0
    }

    #[test]
    fn references_defaults_and_escapes_resolve() {
        for (text, expected) in [
            ("plain", "plain"),
            ("", ""),
            ("${HOST}", "rabbit"),
            ("amqp://${HOST}:5672/%2f", "amqp://rabbit:5672/%2f"),
            ("${HOST}${HOST}", "rabbitrabbit"),
            ("${EMPTY}", ""),
            ("${UNSET:-guest}", "guest"),
            ("${EMPTY:-guest}", "guest"),
            ("${HOST:-guest}", "rabbit"),
            ("${UNSET-guest}", "guest"),
            ("${EMPTY-guest}", ""),
            ("${UNSET:-}", ""),
            ("${UNSET:-${HOST}}", "rabbit"),
            ("${UNSET:-${ALSO_UNSET:-a:b-c}}", "a:b-c"),
            ("${UNSET:-$$5}", "$5"),
            ("pa$$word", "pa$word"),
            ("$$${HOST}$$", "$rabbit$"),
            ("ünï ${HOST} ✓", "ünï rabbit ✓"),
            ("{not a reference}", "{not a reference}"),
        ] {
            assert_eq!(resolved(text).as_deref(), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn text_alone_has_no_references() {
        assert!(!Template::parse("pa$$word").unwrap().has_references());
        assert!(Template::parse("a${HOST}").unwrap().has_references());
        assert!(Template::parse("${UNSET:-x}").unwrap().has_references());
    }

    #[test]
    fn an_unset_variable_without_default_is_named() {
        assert_eq!(resolved("${NOPE}"), Err(Unresolved::Unset("NOPE".into())));
        assert_eq!(
            resolved("${UNSET:-${NOPE}}"),
            Err(Unresolved::Unset("NOPE".into()))
        );
        assert_eq!(
            resolved("${BINARY:-x}"),
            Err(Unresolved::NotUnicode("BINARY".into()))
        );
        // A default not taken is not looked at.
        assert_eq!(resolved("${HOST:-${NOPE}}").as_deref(), Ok("rabbit"));
    }

    #[test]
    fn malformed_references_say_what_and_where() {
        for (text, says) in [
            ("${", "ends in `${` at character 1"),
            ("ab${", "ends in `${` at character 3"),
            ("${}", "has `${}` at character 1, which names no variable"),
            (
                "${1BAD}",
                "has `${1BAD}` at character 1: a variable name starts",
            ),
            ("${-x}", "has `${` followed by `-` at character 1"),
            (
                "${HOST",
                "reference `${HOST` at character 1 that is not closed",
            ),
            (
                "${HOST:-x",
                "reference `${HOST` at character 1 that is not closed",
            ),
            (
                "${HOST?err}",
                "has `${HOST` followed by `?` at character 1: expected",
            ),
            (
                "${HOST:?err}",
                "has `${HOST` followed by `:` at character 1",
            ),
            ("$HOST", "has a `$` at character 1 that starts no reference"),
            (
                "price 5$",
                "has a `$` at character 8 that starts no reference",
            ),
            ("${X:-$y}", "has a `$` at character 6"),
        ] {
            let error = malformed(text);
            assert!(error.contains(says), "{text:?}: {error}");
        }
    }

    #[test]
    fn malformed_texts_quote_no_value() {
        // The text after a stray `$` may be a password written in the file.
        let error = malformed("amqp://shop:pa$word@rabbit");
        assert!(!error.contains("word"), "{error}");
        let error = malformed("${A:-hunter2");
        assert!(!error.contains("hunter2"), "{error}");
    }
}
