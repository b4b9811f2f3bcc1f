//! [`PatternError`]: why pattern text or a pattern value was rejected.

use std::fmt;

/// Pattern text that does not parse, or a JSON value that cannot be a pattern.
///
/// The message is lowercase without a trailing period and, for syntax errors, names the
/// position as a 1-based character count (`at character 5`, or `at the end`) and the text:
/// ``duplicate key `a` at character 5 in `a:1,a:2` ``. The compile-time check of
/// `#[action("…")]` reports the same errors with the same positions.
///
/// ```
/// use porticus::pattern::Pattern;
///
/// let err = Pattern::parse("rôle:x,rôle:y").unwrap_err();
/// assert_eq!(err.position(), Some(8));
/// assert_eq!(err.to_string(), "duplicate key `rôle` at character 8 in `rôle:x,rôle:y`");
///
/// let err = Pattern::parse("role").unwrap_err();
/// assert_eq!(err.position(), Some(5));
/// assert_eq!(err.to_string(), "expected `:` after key `role` at the end of `role`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PatternError {
    message: String,
    position: Option<usize>,
}

impl PatternError {
    /// A syntax error at byte offset `byte` of `text`; the message and [`position`](Self::position)
    /// count characters from 1.
    pub(crate) fn syntax(detail: impl fmt::Display, byte: usize, text: &str) -> Self {
        let before = text.get(..byte).unwrap_or(text).chars().count();
        let character = before + 1;
        let message = if before == text.chars().count() {
            format!("{detail} at the end of `{text}`")
        } else {
            format!("{detail} at character {character} in `{text}`")
        };
        Self {
            message,
            position: Some(character),
        }
    }

    /// An error about a value, not tied to a place in a text.
    pub(crate) fn value(detail: impl fmt::Display) -> Self {
        Self {
            message: detail.to_string(),
            position: None,
        }
    }

    /// Where in the parsed text the error was found, as a 1-based character position (as in the
    /// message; one past the last character when the error is at the end); `None` when the error
    /// is about a JSON value rather than text.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// assert_eq!(Pattern::parse("a:1,a:2").unwrap_err().position(), Some(5));
    /// assert_eq!(Pattern::parse("é:1,é:2").unwrap_err().position(), Some(5));
    /// assert_eq!(Pattern::parse("a:").unwrap_err().position(), Some(3));
    /// let not_an_object = serde_json::json!([1, 2]);
    /// assert_eq!(Pattern::from_json(&not_an_object).unwrap_err().position(), None);
    /// ```
    pub fn position(&self) -> Option<usize> {
        self.position
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_message_names_position_and_text() {
        let err = PatternError::syntax("duplicate key `a`", 4, "a:1,a:2");
        assert_eq!(err.position(), Some(5));
        assert_eq!(
            err.to_string(),
            "duplicate key `a` at character 5 in `a:1,a:2`"
        );
    }

    #[test]
    fn syntax_positions_count_characters_not_bytes() {
        // `é` is two bytes: the second `é` starts at byte 5 and is the fifth character.
        let err = PatternError::syntax("duplicate key `é`", 5, "é:1,é:2");
        assert_eq!(err.position(), Some(5));
        assert_eq!(
            err.to_string(),
            "duplicate key `é` at character 5 in `é:1,é:2`"
        );
    }

    #[test]
    fn syntax_errors_at_the_end_say_so() {
        let err = PatternError::syntax("missing value for key `é`", 3, "é:");
        assert_eq!(err.position(), Some(3));
        assert_eq!(
            err.to_string(),
            "missing value for key `é` at the end of `é:`"
        );
    }

    #[test]
    fn value_message_has_no_position() {
        let err = PatternError::value("pattern must be a JSON object, found an array");
        assert_eq!(err.position(), None);
        assert_eq!(
            err.to_string(),
            "pattern must be a JSON object, found an array"
        );
    }
}
