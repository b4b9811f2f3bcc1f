//! `${NAME}` references resolved in every string value of a configuration tree (the merged
//! files), before it is deserialized — and what the loader needs afterwards to keep the values
//! secret: where each came from, and how to take them out of an error's text.

use std::fmt;

use config::{Map, Value, ValueKind};

use super::key_path::{KeyPath, Segment};
use super::template::{Lookup, Malformed, Template, Unresolved};

/// What a masked value reads as in errors.
const MASK: &str = "***";

/// A value that came from `${…}` references: where, and as written (`${SHOP_AMQP_URL}`) —
/// what may be shown in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    pub(crate) path: KeyPath,
    pub(crate) template: String,
}

/// A reference and the value it resolved to (kept only while loading).
struct Resolution {
    reference: Reference,
    value: String,
}

/// A configuration tree with its references resolved.
pub(super) struct Interpolated {
    table: Map<String, Value>,
    resolutions: Vec<Resolution>,
}

impl fmt::Debug for Interpolated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let references: Vec<&Reference> = self.references().collect();
        f.debug_struct("Interpolated")
            .field("references", &references)
            .finish_non_exhaustive()
    }
}

impl Interpolated {
    /// Resolves every string value of `table` with `lookup`; the error lists every malformed
    /// value and every unset variable, each with its key path.
    pub(super) fn resolve(
        mut table: Map<String, Value>,
        lookup: &dyn Fn(&str) -> Lookup,
    ) -> Result<Interpolated, Vec<String>> {
        let mut walk = Walk {
            lookup,
            path: KeyPath::default(),
            resolutions: Vec::new(),
            errors: Vec::new(),
        };
        for (key, value) in table.iter_mut() {
            walk.path.0.push(Segment::Key(key.clone()));
            walk.value(value);
            walk.path.0.pop();
        }
        if walk.errors.is_empty() {
            Ok(Interpolated {
                table,
                resolutions: walk.resolutions,
            })
        } else {
            walk.errors.sort();
            Err(walk.errors)
        }
    }

    /// The resolved tree.
    pub(super) fn table(&self) -> &Map<String, Value> {
        &self.table
    }

    /// The values that came from references.
    pub(super) fn references(&self) -> impl Iterator<Item = &Reference> {
        self.resolutions.iter().map(|r| &r.reference)
    }

    /// The tree with each resolved value that reads as a number or boolean (`"20"`, `"true"`)
    /// turned into one, for fields that take numbers inside `[[listen]]`/`[[client]]` entries
    /// (which serde reads without the `config` crate's string coercion); `None` when no value
    /// reads so.
    pub(super) fn coerced(&self) -> Option<Map<String, Value>> {
        let mut table = self.table.clone();
        let mut changed = false;
        for resolution in &self.resolutions {
            let Some(kind) = scalar(&resolution.value) else {
                continue;
            };
            if let Some(value) = at_path(&mut table, &resolution.reference.path) {
                value.kind = kind;
                changed = true;
            }
        }
        changed.then_some(table)
    }

    /// `text` (an error's) with the resolved values in it masked — where it quotes a value at
    /// fault (`invalid type: string "…"`, `unknown variant `…``), and anywhere for a value of 8
    /// characters or more — and the references whose values it reports at fault.
    pub(super) fn scrub(&self, text: &str) -> (String, Vec<&Reference>) {
        let original = text;
        let mut text = text.to_owned();
        let mut found = Vec::new();
        let mut values: Vec<&str> = self.resolutions.iter().map(|r| r.value.as_str()).collect();
        // Longest first, so that a value inside another is not masked half.
        values.sort_by_key(|v| (std::cmp::Reverse(v.len()), *v));
        values.dedup();
        for value in values.into_iter().filter(|v| !v.is_empty()) {
            // Where serde and the config crate quote the value at fault.
            let quoted = [
                (format!("string {value:?}"), format!("string \"{MASK}\"")),
                (format!("variant `{value}`"), format!("variant `{MASK}`")),
                (format!("integer `{value}`"), format!("integer `{MASK}`")),
                (format!("point `{value}`"), format!("point `{MASK}`")),
                (format!("boolean `{value}`"), format!("boolean `{MASK}`")),
            ];
            if quoted.iter().any(|(q, _)| original.contains(q.as_str())) {
                found.extend(
                    self.resolutions
                        .iter()
                        .filter(|r| r.value == value)
                        .map(|r| &r.reference),
                );
            }
            for (q, masked) in &quoted {
                text = text.replace(q.as_str(), masked);
            }
            // Anywhere else too when long enough not to be a word of the message (`amqp` in
            // "expected one of `http`, `amqp`").
            if value.chars().count() >= 8 {
                text = text.replace(value, MASK);
            }
        }
        (text, found)
    }
}

/// `text` as a number or boolean, when it reads exactly as one.
fn scalar(text: &str) -> Option<ValueKind> {
    if let Ok(n) = text.parse::<i64>() {
        return (n.to_string() == text).then_some(ValueKind::I64(n));
    }
    if let Ok(n) = text.parse::<u64>() {
        return (n.to_string() == text).then_some(ValueKind::U64(n));
    }
    if let Ok(b) = text.parse::<bool>() {
        return Some(ValueKind::Boolean(b));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && f.to_string() == text)
        .map(ValueKind::Float)
}

/// The value at `path` in `table`, if there is one.
fn at_path<'a>(table: &'a mut Map<String, Value>, path: &KeyPath) -> Option<&'a mut Value> {
    let (Segment::Key(first), rest) = path.0.split_first()? else {
        return None;
    };
    let mut value = table.get_mut(first)?;
    for segment in rest {
        value = match (segment, &mut value.kind) {
            (Segment::Key(k), ValueKind::Table(t)) => t.get_mut(k)?,
            (Segment::Index(i), ValueKind::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

struct Walk<'a> {
    lookup: &'a dyn Fn(&str) -> Lookup,
    path: KeyPath,
    resolutions: Vec<Resolution>,
    errors: Vec<String>,
}

impl Walk<'_> {
    fn value(&mut self, value: &mut Value) {
        match &mut value.kind {
            ValueKind::String(text) => self.string(text),
            ValueKind::Table(table) => {
                for (key, value) in table.iter_mut() {
                    self.path.0.push(Segment::Key(key.clone()));
                    self.value(value);
                    self.path.0.pop();
                }
            }
            ValueKind::Array(items) => {
                for (i, value) in items.iter_mut().enumerate() {
                    self.path.0.push(Segment::Index(i));
                    self.value(value);
                    self.path.0.pop();
                }
            }
            _ => {}
        }
    }

    fn string(&mut self, text: &mut String) {
        let path = &self.path;
        let template = match Template::parse(text) {
            Ok(template) => template,
            Err(Malformed(why)) => {
                self.errors.push(format!("config value `{path}` {why}"));
                return;
            }
        };
        match template.resolve(self.lookup) {
            Ok(value) if template.has_references() => {
                self.resolutions.push(Resolution {
                    reference: Reference {
                        path: path.clone(),
                        template: std::mem::replace(text, value.clone()),
                    },
                    value,
                });
            }
            Ok(value) => *text = value,
            Err(Unresolved::Unset(name)) => self.errors.push(format!(
                "config value `{path}` uses `${{{name}}}`, which is not set"
            )),
            Err(Unresolved::NotUnicode(name)) => self.errors.push(format!(
                "config value `{path}` uses `${{{name}}}`, whose value is not valid UTF-8"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Lookup {
        match name {
            "URL" => Lookup::Set("amqp://shop:hunter2@rabbit/%2f".into()),
            "PREFETCH" => Lookup::Set("20".into()),
            "TOKEN" => Lookup::Set("hunter2-token".into()),
            _ => Lookup::Unset,
        }
    }

    /// A tree as the `config` crate reads `toml`.
    fn tree(toml: &str) -> Map<String, Value> {
        use config::Source;
        config::Config::builder()
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.collect())
            .expect("valid TOML")
    }

    const DOCUMENT: &str = r#"
        [service]
        name = "shop"
        [[listen]]
        type = "amqp"
        url = "${URL}"
        prefetch = "${PREFETCH}"
        [[client]]
        type = "amqp"
        urls = ["amqp://a", "${URL}"]
        [app]
        price = "5 $$"
        token = "t-${TOKEN}"
    "#;

    #[test]
    fn references_resolve_everywhere_and_are_recorded() {
        let resolved = Interpolated::resolve(tree(DOCUMENT), &lookup).expect("resolves");
        let json = Value::new(None, ValueKind::Table(resolved.table().clone()))
            .try_deserialize::<serde_json::Value>()
            .expect("a JSON tree");
        let value = |pointer: &str| json.pointer(pointer).cloned().unwrap_or_default();
        assert_eq!(value("/listen/0/url"), "amqp://shop:hunter2@rabbit/%2f");
        assert_eq!(value("/client/0/urls/1"), "amqp://shop:hunter2@rabbit/%2f");
        assert_eq!(value("/app/price"), "5 $");
        assert_eq!(value("/app/token"), "t-hunter2-token");
        let mut references: Vec<String> = resolved
            .references()
            .map(|r| format!("{} = {}", r.path, r.template))
            .collect();
        references.sort();
        assert_eq!(
            references,
            [
                "app.token = t-${TOKEN}",
                "client[0].urls[1] = ${URL}",
                "listen[0].prefetch = ${PREFETCH}",
                "listen[0].url = ${URL}",
            ]
        );
        assert!(!format!("{resolved:?}").contains("hunter2"), "{resolved:?}");
    }

    #[test]
    fn every_missing_variable_and_malformed_value_is_named_with_its_key() {
        let errors = Interpolated::resolve(
            tree("[[listen]]\nurl = \"${SHOP_AMQP_URL}\"\n[service]\nname = \"${}\"\n[app]\nx = \"${1BAD}\"\ny = \"${A:-${B}}\""),
            &lookup,
        )
        .expect_err("unresolvable");
        assert_eq!(
            errors,
            [
                "config value `app.x` has `${1BAD}` at character 1: a variable name starts with a letter or `_`",
                "config value `app.y` uses `${B}`, which is not set",
                "config value `listen[0].url` uses `${SHOP_AMQP_URL}`, which is not set",
                "config value `service.name` has `${}` at character 1, which names no variable",
            ]
        );
    }

    #[test]
    fn numbers_and_booleans_are_coerced_only_when_they_read_exactly_so() {
        for (text, kind) in [
            ("20", Some(ValueKind::I64(20))),
            ("-3", Some(ValueKind::I64(-3))),
            ("18446744073709551615", Some(ValueKind::U64(u64::MAX))),
            ("true", Some(ValueKind::Boolean(true))),
            ("0.5", Some(ValueKind::Float(0.5))),
            ("020", None),
            ("+5", None),
            ("1e3", None),
            ("inf", None),
            ("NaN", None),
            ("True", None),
            ("hunter2", None),
        ] {
            assert_eq!(scalar(text), kind, "{text:?}");
        }
        let resolved = Interpolated::resolve(tree(DOCUMENT), &lookup).expect("resolves");
        let mut coerced = resolved.coerced().expect("PREFETCH reads as a number");
        let path = KeyPath(vec![
            Segment::Key("listen".into()),
            Segment::Index(0),
            Segment::Key("prefetch".into()),
        ]);
        assert_eq!(
            at_path(&mut coerced, &path).map(|v| v.kind.clone()),
            Some(ValueKind::I64(20))
        );
        let plain = Interpolated::resolve(tree("[app]\nx = \"${URL}\""), &lookup).unwrap();
        assert!(plain.coerced().is_none());
    }

    #[test]
    fn scrubbing_masks_resolved_values_and_names_their_keys() {
        let resolved = Interpolated::resolve(tree(DOCUMENT), &lookup).expect("resolves");
        let (text, found) = resolved.scrub(
            "invalid type: string \"t-hunter2-token\", expected u16; unknown variant `20`; saw amqp://shop:hunter2@rabbit/%2f; 20 items",
        );
        assert_eq!(
            text,
            "invalid type: string \"***\", expected u16; unknown variant `***`; saw ***; 20 items"
        );
        let mut keys: Vec<String> = found.iter().map(|r| r.path.to_string()).collect();
        keys.sort();
        // The URL is masked where it appears, but is not what the error is about.
        assert_eq!(keys, ["app.token", "listen[0].prefetch"]);
        let (_, found) = resolved.scrub("invalid type: string \"amqp://shop:hunter2@rabbit/%2f\"");
        let mut keys: Vec<String> = found.iter().map(|r| r.path.to_string()).collect();
        keys.sort();
        assert_eq!(keys, ["client[0].urls[1]", "listen[0].url"]);
    }
}
