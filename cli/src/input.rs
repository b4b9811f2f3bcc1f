//! A JSON argument: given inline, from a file (`@file.json`) or from stdin (`-`).

use serde_json::{Map, Value};
use tokio::io::AsyncReadExt;

use crate::exit::Exit;

/// Reads `arg` as JSON: inline text, `@path` for a file, `-` for stdin.
pub async fn json(arg: &str) -> Result<Value, Exit> {
    let (text, from) = if arg == "-" {
        let mut text = String::new();
        tokio::io::stdin()
            .read_to_string(&mut text)
            .await
            .map_err(|e| Exit::usage(format!("cannot read stdin: {e}")))?;
        (text, "stdin".to_owned())
    } else if let Some(path) = arg.strip_prefix('@') {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Exit::usage(format!("cannot read `{path}`: {e}")))?;
        (text, format!("`{path}`"))
    } else {
        (arg.to_owned(), "the argument".to_owned())
    };
    serde_json::from_str(&text).map_err(|e| Exit::usage(format!("{from} is not JSON: {e}")))
}

/// The message of an act or emit: a pattern (`role:math,cmd:sum`) merged with a JSON object,
/// or a JSON object alone. The pattern's fields win over the body's.
pub async fn message(first: &str, body: Option<&str>) -> Result<(Value, Option<String>), Exit> {
    let looks_like_json =
        first == "-" || first.starts_with('@') || first.trim_start().starts_with('{');
    if looks_like_json && body.is_none() {
        return Ok((object(json(first).await?)?, None));
    }
    let pattern = porticus::pattern::Pattern::parse(first)
        .map_err(|e| Exit::usage(format!("`{first}` is neither a pattern nor JSON: {e}")))?;
    let mut msg = match body {
        Some(body) => object(json(body).await?)?,
        None => Value::Object(Map::new()),
    };
    if let Value::Object(fields) = &mut msg {
        for (key, value) in pattern.iter() {
            fields.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    }
    Ok((msg, Some(first.to_owned())))
}

fn object(value: Value) -> Result<Value, Exit> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(Exit::usage(format!(
            "a message must be a JSON object, got {value}"
        )))
    }
}
