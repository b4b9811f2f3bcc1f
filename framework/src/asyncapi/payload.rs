//! A handler's JSON Schema as an AsyncAPI message payload: its `$defs` moved to
//! `components.schemas` (references in an AsyncAPI document resolve from the document's root)
//! and its `$schema` dropped (the payload is an AsyncAPI Schema object, a superset of JSON
//! Schema draft 07 that reads the keywords schemars writes).

use serde_json::{Map, Value};

/// Where the definitions of every payload go in the document.
const COMPONENTS: &str = "#/components/schemas/";

/// Turns `schema` into a payload, adding its definitions to `definitions`.
pub(crate) fn payload(schema: &Value, definitions: &mut Map<String, Value>) -> Value {
    let mut schema = schema.clone();
    if let Value::Object(map) = &mut schema {
        map.remove("$schema");
        if let Some(Value::Object(defs)) = map.remove("$defs") {
            for (name, mut def) in defs {
                rewrite_refs(&mut def);
                definitions.entry(name).or_insert(def);
            }
        }
    }
    rewrite_refs(&mut schema);
    schema
}

/// Points every `#/$defs/X` reference at `#/components/schemas/X`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("{COMPONENTS}{name}");
                        }
                    }
                    _ => rewrite_refs(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn definitions_move_to_the_components_and_references_follow() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
            "$defs": {"Item": {"properties": {"tag": {"$ref": "#/$defs/Tag"}}}, "Tag": {"type": "string"}}
        });
        let mut defs = Map::new();
        let payload = payload(&schema, &mut defs);
        assert_eq!(
            payload,
            json!({
                "type": "object",
                "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}
            })
        );
        assert_eq!(
            defs["Item"]["properties"]["tag"]["$ref"],
            "#/components/schemas/Tag"
        );
        assert_eq!(defs["Tag"], json!({"type": "string"}));
    }
}
