//! [`ActError`]: the serializable error that crosses every transport unchanged.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The machine-readable code of an [`ActError`], e.g. `act_not_found`.
///
/// Codes follow Seneca where it has one. Handlers may use their own codes
/// (`card_declined`); a code crosses every transport unchanged.
///
/// ```
/// use porticus::Code;
///
/// assert_eq!(Code::ACT_NOT_FOUND.as_str(), "act_not_found");
/// assert_eq!(Code::new("card_declined").as_str(), "card_declined");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Code(Cow<'static, str>);

impl Code {
    /// No action (and no `default$`) matches the message.
    pub const ACT_NOT_FOUND: Code = Code::from_static("act_not_found");
    /// The message is not valid for the action: wrong shape, a missing field, a field of the wrong type.
    pub const ACT_INVALID_MSG: Code = Code::from_static("act_invalid_msg");
    /// The action failed while running (it panicked, or a transport wrapped a foreign failure).
    pub const ACT_EXECUTE: Code = Code::from_static("act_execute");
    /// The action did not reply before the deadline (`timeout$` or the node's default).
    pub const ACTION_TIMEOUT: Code = Code::from_static("action_timeout");
    /// The reply could not be decoded into the type the caller asked for.
    pub const REPLY_INVALID: Code = Code::from_static("reply_invalid");
    /// The transport could not reach the remote side (connection refused, broker down).
    pub const TRANSPORT_UNAVAILABLE: Code = Code::from_static("transport_unavailable");
    /// The transport accepted the request but nothing is bound to receive it.
    pub const NO_ROUTE: Code = Code::from_static("no_route");
    /// The receiving side refused the request because it is at capacity.
    pub const OVERLOADED: Code = Code::from_static("overloaded");
    /// A circuit breaker is open: what the act goes to failed too often lately, so it is not
    /// called at all until a cool-down has passed (`docs/resilience.md`).
    pub const CIRCUIT_OPEN: Code = Code::from_static("circuit_open");
    /// The node is closed (or closing) and takes no new messages.
    pub const CLOSED: Code = Code::from_static("closed");
    /// The message is larger than the receiving side (or the transport) accepts.
    pub const PAYLOAD_TOO_LARGE: Code = Code::from_static("payload_too_large");

    /// A code from a static string.
    pub const fn from_static(code: &'static str) -> Self {
        Code(Cow::Borrowed(code))
    }

    /// A code from any string.
    pub fn new(code: impl Into<Cow<'static, str>>) -> Self {
        Code(code.into())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&'static str> for Code {
    fn from(code: &'static str) -> Self {
        Code::from_static(code)
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The error of an act: a [`Code`], a human-readable message and optional JSON details.
///
/// It is what handlers return, and it is what every caller sees — in-process, over HTTP or
/// over AMQP the code and message arrive exactly as the handler produced them.
///
/// ```
/// use porticus::{ActError, Code};
/// use serde_json::json;
///
/// let err = ActError::new("card_declined", "card 4000 0000 0000 0002 was declined")
///     .with_details(json!({ "card": "…0002" }));
/// assert_eq!(err.code(), "card_declined");
/// let wire = serde_json::to_value(&err).unwrap();
/// assert_eq!(wire["code"], "card_declined");
/// assert_eq!(serde_json::from_value::<ActError>(wire).unwrap(), err);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActError {
    code: Code,
    message: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    details: Value,
}

impl ActError {
    /// An error with `code` and `message` and no details.
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Self {
        ActError {
            code: code.into(),
            message: message.into(),
            details: Value::Null,
        }
    }

    /// Attaches JSON details (replacing earlier ones).
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The machine-readable code.
    pub fn code(&self) -> &Code {
        &self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The details (`null` when there are none).
    pub fn details(&self) -> &Value {
        &self.details
    }

    /// `act_not_found` for a message whose canonical form is `pattern`.
    pub fn not_found(pattern: &str) -> Self {
        ActError::new(
            Code::ACT_NOT_FOUND,
            format!("no action matches `{pattern}`"),
        )
        .with_details(serde_json::json!({ "pattern": pattern }))
    }

    /// `act_not_found` naming the routing part of a message (`pattern`) and its other keys by
    /// name only.
    pub(crate) fn not_found_with_keys(pattern: &str, other_keys: &[&str]) -> Self {
        if other_keys.is_empty() {
            return ActError::not_found(pattern);
        }
        ActError::new(
            Code::ACT_NOT_FOUND,
            format!(
                "no action matches `{pattern}` (other keys: {})",
                other_keys.join(", ")
            ),
        )
        .with_details(serde_json::json!({ "pattern": pattern, "keys": other_keys }))
    }

    /// `act_invalid_msg` with a message saying what was wrong.
    pub fn invalid_msg(message: impl Into<String>) -> Self {
        ActError::new(Code::ACT_INVALID_MSG, message)
    }

    /// `act_execute` with a message saying what failed.
    pub fn execute(message: impl Into<String>) -> Self {
        ActError::new(Code::ACT_EXECUTE, message)
    }
}

impl fmt::Display for ActError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ActError {}

impl From<String> for ActError {
    /// A plain message becomes an `act_execute` error.
    fn from(message: String) -> Self {
        ActError::execute(message)
    }
}

impl From<&str> for ActError {
    /// A plain message becomes an `act_execute` error.
    fn from(message: &str) -> Self {
        ActError::execute(message)
    }
}

impl From<std::convert::Infallible> for ActError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_form_omits_null_details() {
        let err = ActError::new(Code::ACT_EXECUTE, "boom");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"code": "act_execute", "message": "boom"})
        );
    }

    #[test]
    fn display_names_code_and_message() {
        assert_eq!(
            ActError::not_found("cmd:sum,role:math").to_string(),
            "act_not_found: no action matches `cmd:sum,role:math`"
        );
    }

    #[test]
    fn plain_strings_are_execute_errors() {
        let err: ActError = "nope".into();
        assert_eq!(err.code(), &Code::ACT_EXECUTE);
        assert_eq!(err.message(), "nope");
    }
}
