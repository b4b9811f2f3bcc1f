//! [`Pattern`]: a normalised set of `key:value` pairs, the unit the router matches on.

use serde_json::{Map, Value};

use super::error::PatternError;
use super::glob;
use super::parse::parse_object;
use super::value::{js_string, js_string_or_undefined};

/// A pattern: `key:value` pairs with keys in ascending byte order and values held as strings.
///
/// Building a pattern applies Seneca's `clean` and patrun's normalisation:
///
/// * keys ending in `$` are directives and are dropped;
/// * `null` values are dropped (`{a: null}` is the empty pattern);
/// * every value becomes its JavaScript `String(v)` form: numbers as `Number.prototype.toString`
///   (`1.0` → `"1"`, `1e21` → `"1e+21"`), booleans as `"true"`/`"false"`, arrays as their
///   elements' string forms joined with `,`;
/// * object values are an error;
/// * a value containing `*` or `?` is a glob (see [`has_glob`](Pattern::has_glob)).
///
/// `Display` writes the canonical form, `cmd:sum,role:math`, quoting what needs it so that the
/// output parses back to an equal pattern; serde uses that string too (and also accepts an
/// object).
///
/// ```
/// use porticus::pattern::Pattern;
///
/// let pattern = Pattern::parse("role:math, cmd:sum, left:1.0, timeout$:100").unwrap();
/// assert_eq!(pattern.to_string(), "cmd:sum,left:1,role:math");
/// assert_eq!(pattern.get("left"), Some("1"));
/// assert_eq!(pattern.len(), 3);
/// assert_eq!("cmd:sum,left:1,role:math".parse::<Pattern>().unwrap(), pattern);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pattern {
    pairs: Vec<(Box<str>, Box<str>)>,
}

impl Pattern {
    /// Parses pattern text such as `role:math,cmd:sum` (syntax: [`parse_object`]).
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// let pattern = Pattern::parse("{ role: math, cmd: 'sum' }").unwrap();
    /// assert_eq!(pattern.to_string(), "cmd:sum,role:math");
    /// assert!(Pattern::parse("role:").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        Pattern::from_map(&parse_object(text)?)
    }

    /// Builds a pattern from a JSON value, which must be an object.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    /// use serde_json::json;
    ///
    /// let pattern = Pattern::from_json(&json!({"b": true, "a": 1, "c": null})).unwrap();
    /// assert_eq!(pattern.to_string(), "a:1,b:true");
    /// assert!(Pattern::from_json(&json!("a:1")).is_err());
    /// ```
    pub fn from_json(value: &Value) -> Result<Pattern, PatternError> {
        match value {
            Value::Object(map) => Pattern::from_map(map),
            other => Err(PatternError::value(format_args!(
                "pattern must be a JSON object, found {}",
                super::value::json_kind(other)
            ))),
        }
    }

    /// Builds a pattern from a JSON object's fields.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    /// use serde_json::json;
    ///
    /// let msg = json!({"role": "math", "cmd": "sum", "tags": ["a", "b"], "fatal$": true});
    /// let pattern = Pattern::from_map(msg.as_object().unwrap()).unwrap();
    /// assert_eq!(pattern.get("tags"), Some("a,b"));
    /// assert_eq!(pattern.get("fatal$"), None);
    ///
    /// let err = Pattern::from_map(json!({"k": {"x": 1}}).as_object().unwrap()).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "pattern value for `k` must be a string, number, boolean or null"
    /// );
    /// ```
    pub fn from_map(map: &Map<String, Value>) -> Result<Pattern, PatternError> {
        let mut pairs: Vec<(Box<str>, Box<str>)> = Vec::with_capacity(map.len());
        for (key, value) in map {
            if key.ends_with('$') || value.is_null() {
                continue;
            }
            if key.is_empty() {
                return Err(PatternError::value("pattern key must not be empty"));
            }
            if contains_object(value) {
                return Err(PatternError::value(format_args!(
                    "pattern value for `{key}` must be a string, number, boolean or null"
                )));
            }
            pairs.push((Box::from(key.as_str()), Box::from(&*js_string(value))));
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Pattern { pairs })
    }

    /// The empty pattern `{}`: the catch-all that every message matches.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// assert!(Pattern::empty().is_empty());
    /// assert_eq!(Pattern::empty().to_string(), "");
    /// assert_eq!(Pattern::parse("").unwrap(), Pattern::empty());
    /// ```
    pub fn empty() -> Pattern {
        Pattern::default()
    }

    /// The number of `key:value` pairs.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// assert_eq!(Pattern::parse("a:1,b:2").unwrap().len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether this is the empty (catch-all) pattern.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// assert!(Pattern::parse("a:null").unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The string value of `key`.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// let pattern = Pattern::parse("a:1,b:x").unwrap();
    /// assert_eq!(pattern.get("a"), Some("1"));
    /// assert_eq!(pattern.get("c"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &*self.pairs[i].1)
    }

    /// The `(key, value)` pairs, keys ascending.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// let pattern = Pattern::parse("role:math,cmd:sum").unwrap();
    /// let pairs: Vec<_> = pattern.iter().collect();
    /// assert_eq!(pairs, [("cmd", "sum"), ("role", "math")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs.iter().map(|(k, v)| (&**k, &**v))
    }

    /// Whether any value is a glob (contains `*` or `?`).
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    ///
    /// assert!(Pattern::parse("role:math,cmd:*").unwrap().has_glob());
    /// assert!(!Pattern::parse("role:math").unwrap().has_glob());
    /// ```
    pub fn has_glob(&self) -> bool {
        self.pairs.iter().any(|(_, v)| glob::is_glob(v))
    }

    /// Whether every pair of this one pattern matches `msg`, with patrun's comparison: the
    /// message value's `String(v)` form must equal the pattern value, or match it as a glob.
    ///
    /// Like patrun, a missing message value compares as `"undefined"` and `null` as `"null"`;
    /// a missing or `null` value never matches a glob, while an object or array value matches
    /// every glob. Extra message keys are ignored; a message that is not an object has no keys.
    /// This tests one pattern in isolation; which of several patterns wins is
    /// [`PatternIndex`](super::PatternIndex)'s job.
    ///
    /// ```
    /// use porticus::pattern::Pattern;
    /// use serde_json::json;
    ///
    /// let pattern = Pattern::parse("role:math,cmd:s*,left:1").unwrap();
    /// assert!(pattern.matches(&json!({"role": "math", "cmd": "sum", "left": "1", "z": 0})));
    /// assert!(!pattern.matches(&json!({"role": "math", "cmd": "sum"})));
    /// assert!(Pattern::empty().matches(&json!(null)));
    /// ```
    pub fn matches(&self, msg: &Value) -> bool {
        let fields = msg.as_object();
        self.iter().all(|(key, expected)| {
            let actual = fields.and_then(|fields| fields.get(key));
            if !glob::is_glob(expected) {
                return *js_string_or_undefined(actual) == *expected;
            }
            match actual {
                None | Some(Value::Null) => false,
                Some(Value::Object(_) | Value::Array(_)) => true,
                Some(scalar) => glob::matches(expected, &js_string(scalar)),
            }
        })
    }
}

/// Whether a value is an object or an array holding one (at any depth).
fn contains_object(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().any(contains_object),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn normalisation() {
        let pattern = Pattern::from_json(&json!({
            "b": 1.0, "a": true, "n": null, "d$": 1, "c": [1, null, "x"], "e": 1e21, "f": -0.0
        }))
        .unwrap();
        assert_eq!(pattern.to_string(), "a:true,b:1,c:\"1,,x\",e:1e+21,f:0");
        assert!(Pattern::from_json(&json!({"a": [{"b": 1}]})).is_err());
        assert!(Pattern::from_json(&json!({"": 1})).is_err());
        assert_eq!(
            Pattern::from_json(&json!(1)).unwrap_err().to_string(),
            "pattern must be a JSON object, found a number"
        );
    }

    #[test]
    fn keys_sort_by_bytes() {
        let pattern = p("b:1,B:1,a:1,_:1,é:1,\"1\":1");
        let keys: Vec<&str> = pattern.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["1", "B", "_", "a", "b", "é"]);
    }

    #[test]
    fn glob_detection_and_get() {
        let pattern = p("a:x*,b:1");
        assert!(pattern.has_glob());
        assert_eq!(pattern.get("a"), Some("x*"));
        assert_eq!(pattern.get("b"), Some("1"));
        assert_eq!(pattern.get("c"), None);
        assert_eq!(format!("{pattern:?}"), "Pattern(a:x*,b:1)");
    }

    #[test]
    fn matches_follows_patrun_coercion() {
        let m = |pattern: &str, msg: Value| p(pattern).matches(&msg);
        assert!(m("a:1", json!({"a": 1})));
        assert!(m("a:1", json!({"a": "1"})));
        assert!(m("a:1", json!({"a": 1.0})));
        assert!(!m("a:1", json!({"a": "1.0"})));
        assert!(m("a:true", json!({"a": true})));
        assert!(m("a:'1,2'", json!({"a": [1, 2]})));
        assert!(m("a:undefined", json!({})));
        assert!(m("a:'null'", json!({"a": null})));
        assert!(m("a:*", json!({"a": ""})));
        assert!(m("a:*", json!({"a": 0})));
        assert!(!m("a:*", json!({"a": null})));
        assert!(!m("a:*", json!({"b": 1})));
        assert!(m("a:x*", json!({"a": {"b": 1}})));
        assert!(m("a:x*", json!({"a": []})));
        assert!(m("a:1?", json!({"a": 12})));
        assert!(!m("a:1", json!([1])));
    }
}
