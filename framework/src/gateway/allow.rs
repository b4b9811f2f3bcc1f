//! A route's allow-list (`allow = ["roles:admin", "id:alice"]`): patterns over the caller's
//! identity, one of which it must match.

use serde_json::{Map, Value};

use crate::pattern::parse_object;

/// The checked entries, each the fields an identity must hold.
#[derive(Debug, Clone)]
pub(crate) struct Allow {
    entries: Vec<Map<String, Value>>,
}

impl Allow {
    /// Checks the entries: at least one, each a non-empty pattern of plain `key:value` pairs.
    pub(crate) fn new(entries: &[String]) -> Result<Allow, String> {
        if entries.is_empty() {
            return Err(
                "`allow` is empty, so no one could call the route; remove it to allow everyone"
                    .to_owned(),
            );
        }
        let entries = entries
            .iter()
            .map(|text| {
                let fields = parse_object(text).map_err(|e| format!("`allow` `{text}`: {e}"))?;
                if fields.is_empty() {
                    return Err(format!("`allow` has an empty entry `{text}`"));
                }
                if let Some((key, _)) = fields
                    .iter()
                    .find(|(_, v)| v.is_object() || v.is_array() || v.is_null())
                {
                    return Err(format!(
                        "`allow` `{text}`: `{key}` must be a string, number or boolean"
                    ));
                }
                Ok(fields)
            })
            .collect::<Result<_, String>>()?;
        Ok(Allow { entries })
    }

    /// Whether `identity` matches one entry: each of its fields equal (as strings, as in
    /// Seneca) to the identity's, or held by the identity's array.
    pub(crate) fn admits(&self, identity: &Map<String, Value>) -> bool {
        self.entries.iter().any(|entry| {
            entry.iter().all(|(key, want)| {
                let want = text(want);
                match identity.get(key) {
                    Some(Value::Array(held)) => {
                        held.iter().any(|v| scalar(v).as_ref() == Some(&want))
                    }
                    Some(v) => scalar(v).as_ref() == Some(&want),
                    None => false,
                }
            })
        })
    }
}

/// A scalar's string form; none for objects, arrays and null.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
        _ => None,
    }
}

/// A configured value's string form.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn one_entry_must_match_in_full() {
        let allow = Allow::new(&["roles:admin".into(), "id:alice,team:ops".into()]).unwrap();
        assert!(allow.admits(&identity(json!({"id": "bob", "roles": ["x", "admin"]}))));
        assert!(allow.admits(&identity(json!({"id": "alice", "team": "ops"}))));
        let numeric = Allow::new(&["level:3".into()]).unwrap();
        assert!(numeric.admits(&identity(json!({"level": 3}))));
        assert!(numeric.admits(&identity(json!({"level": "3"}))));
        assert!(!allow.admits(&identity(json!({"id": "alice", "team": "dev"}))));
        assert!(!allow.admits(&identity(json!({"id": "carol", "roles": "customer"}))));
        assert!(!allow.admits(&identity(json!({"roles": {"admin": true}}))));
        assert!(!allow.admits(&Map::new()));
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(Allow::new(&[]).unwrap_err().contains("`allow` is empty"));
        let err = Allow::new(&["roles:".into(), "a:[".into()]).unwrap_err();
        assert!(err.contains("`allow`"), "{err}");
    }
}
