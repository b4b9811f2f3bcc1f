//! [`PatternError`]: why pattern text or a pattern value was rejected.

use std::fmt;

/// Pattern text that does not parse, or a JSON value that cannot be a pattern.
///
/// The message is lowercase without a trailing period and, for syntax errors, names the byte
/// offset and the text: ``expected `:` after key `role` at position 4 in `role` ``.
///
/// ```
/// use porticus::pattern::Pattern;
///
/// let err = Pattern::parse("role").unwrap_err();
/// assert_eq!(err.position(), Some(4));
/// assert_eq!(err.to_string(), "expected `:` after key `role` at position 4 in `role`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PatternError {
    message: String,
    position: Option<usize>,
}

impl PatternError {
    /// A syntax error at byte offset `position` of `text`.
    pub(crate) fn syntax(detail: impl fmt::Display, position: usize, text: &str) -> Self {
        Self {
            message: format!("{detail} at position {position} in `{text}`"),
            position: Some(position),
        }
    }

    /// An error about a value, not tied to a place in a text.
    pub(crate) fn value(detail: impl fmt::Display) -> Self {
        Self {
            message: detail.to_string(),
            position: None,
        }
    }

    /// The byte offset in the parsed text where the error was found; `None` when the error is
    /// about a JSON value rather than text.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// assert_eq!(Pattern::parse("a:1,a:2").unwrap_err().position(), Some(4));
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
        assert_eq!(err.position(), Some(4));
        assert_eq!(
            err.to_string(),
            "duplicate key `a` at position 4 in `a:1,a:2`"
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
