//! JavaScript `String(v)` for JSON values: how patrun turns every value into a string.
//!
//! Strings are borrowed, numbers are formatted into a stack buffer, so coercing a scalar never
//! allocates. Only arrays (joined with `,`, like `Array.prototype.toString`) allocate.

use std::ops::Deref;

use serde_json::Value;

use super::number::{js_number, NumberText};

/// What JavaScript `String(v)` gives for a JSON value.
#[derive(Debug, Clone)]
pub(crate) enum JsString<'a> {
    /// Strings (as is), booleans, `null`, `undefined`, objects (`[object Object]`).
    Borrowed(&'a str),
    /// A number, formatted as `Number.prototype.toString` does.
    Number(NumberText),
    /// An array, its elements' string forms joined with `,`.
    Owned(String),
}

impl Deref for JsString<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            JsString::Borrowed(text) => text,
            JsString::Number(text) => text.as_str(),
            JsString::Owned(text) => text,
        }
    }
}

/// `String(value)`.
pub(crate) fn js_string(value: &Value) -> JsString<'_> {
    match value {
        Value::Null => JsString::Borrowed("null"),
        Value::Bool(true) => JsString::Borrowed("true"),
        Value::Bool(false) => JsString::Borrowed("false"),
        Value::Number(number) => JsString::Number(js_number(number)),
        Value::String(text) => JsString::Borrowed(text),
        Value::Array(items) => {
            let mut out = String::new();
            join_array(items, &mut out);
            JsString::Owned(out)
        }
        Value::Object(_) => JsString::Borrowed("[object Object]"),
    }
}

/// The text a pattern compares `value` as — JavaScript's `String(value)`, as patrun does:
/// `1` and `"1"` are both `1`, `1.0` is `1`, `true` is `true`, an array joins its elements
/// with `,`. Transports that route by a message's values (subjects, routing keys) use it so
/// that they agree with the router.
///
/// ```
/// use porticus::pattern::routing_text;
/// use serde_json::json;
///
/// assert_eq!(routing_text(&json!("sum")), "sum");
/// assert_eq!(routing_text(&json!(1.0)), "1");
/// assert_eq!(routing_text(&json!(true)), "true");
/// assert_eq!(routing_text(&json!([1, "a"])), "1,a");
/// ```
pub fn routing_text(value: &Value) -> std::borrow::Cow<'_, str> {
    match js_string(value) {
        JsString::Borrowed(text) => std::borrow::Cow::Borrowed(text),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

/// The JSON type of `value`, with its article, for error messages ("an array").
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `String(value)` for a property that may be missing (`undefined`).
pub(crate) fn js_string_or_undefined(value: Option<&Value>) -> JsString<'_> {
    value.map_or(JsString::Borrowed("undefined"), js_string)
}

/// `Array.prototype.join(",")`: `null` elements become empty strings.
fn join_array(items: &[Value], out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Value::Null => {}
            Value::Array(inner) => join_array(inner, out),
            other => out.push_str(&js_string(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(value: Value) -> String {
        js_string(&value).to_string()
    }

    #[test]
    fn scalars() {
        assert_eq!(s(json!(null)), "null");
        assert_eq!(s(json!(true)), "true");
        assert_eq!(s(json!(false)), "false");
        assert_eq!(s(json!("")), "");
        assert_eq!(s(json!("x y")), "x y");
        assert_eq!(s(json!(1.5)), "1.5");
        assert_eq!(s(json!(-0.0)), "0");
        assert_eq!(js_string_or_undefined(None).to_string(), "undefined");
    }

    #[test]
    fn strings_are_borrowed() {
        let value = json!("math");
        assert!(matches!(js_string(&value), JsString::Borrowed("math")));
        assert!(matches!(js_string(&json!(1.5)), JsString::Number(_)));
    }

    #[test]
    fn arrays_and_objects() {
        assert_eq!(s(json!([1])), "1");
        assert_eq!(s(json!([1, "a", true])), "1,a,true");
        assert_eq!(s(json!([])), "");
        assert_eq!(s(json!([null, 1, null])), ",1,");
        assert_eq!(s(json!([[1, 2], [3]])), "1,2,3");
        assert_eq!(s(json!({"a": 1})), "[object Object]");
        assert_eq!(s(json!([{"a": 1}])), "[object Object]");
    }
}
