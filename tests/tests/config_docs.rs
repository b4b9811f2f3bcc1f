//! `docs/configuration.md` documents every configuration key with its default and its
//! environment variable; these tests hold its reference tables to the code.
//!
//! Each table is found by the heading above it (`### \`[service]\``, `### \`[[listen]] type =
//! "http"\``, …), so keys that several structs share (`url`, `pin`, …) are checked against the
//! right struct. A row is `| \`key\` | default | meaning | environment variable |`.
//!
//! The rendering rule for the default cell: it starts with the default serialized by serde_json
//! (compact) between backticks — strings quoted (`` `"/act"` ``), numbers plain (`` `30000` ``),
//! booleans `` `true` ``, an empty list `` `[]` ``, an empty table `` `{}` `` — which is also how
//! the value is written in TOML; a reading aid may follow after a space (`` `1048576` (1 MiB) ``).

use std::collections::BTreeMap;

use porticus::config::{
    AdminConfig, AmqpClientConfig, AmqpListenConfig, BreakerConfig, Config, CorsConfig,
    GatewayConfig, HttpClientConfig, HttpListenConfig, LogConfig, NatsClientConfig,
    NatsCredentials, NatsListenConfig, PolicyConfig, ServiceConfig, SocketIoConfig,
    SocketIoListenConfig, TelemetryConfig,
};
use serde_json::Value;

/// The documentation page, read at run time.
fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One table row: the cells after the key (default, meaning, environment variable in the
/// checked sections).
#[derive(Debug)]
struct Row {
    cells: Vec<String>,
}

/// The key rows of every section, by heading (without its `#`s): lines `| \`key\` | … |`
/// under a heading, outside code blocks.
fn sections(doc: &str) -> BTreeMap<String, Vec<(String, Row)>> {
    let mut sections: BTreeMap<String, Vec<(String, Row)>> = BTreeMap::new();
    let mut heading = String::new();
    let mut in_code = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_owned();
            sections.entry(heading.clone()).or_default();
            continue;
        }
        let Some(rest) = line.strip_prefix("| `") else {
            continue;
        };
        let Some((key, rest)) = rest.split_once("` |") else {
            continue;
        };
        let cells: Vec<String> = rest
            .trim_end()
            .trim_end_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect();
        let row = Row { cells };
        sections
            .entry(heading.clone())
            .or_default()
            .push((key.to_owned(), row));
    }
    sections
}

/// A default as the documentation writes it: compact JSON between backticks.
fn rendered(value: &Value) -> String {
    format!("`{value}`")
}

/// Checks the section `heading` against the fields of `defaults` (a struct serialized to a JSON
/// object): one row per field, its default cell rendered from the code, its environment cell
/// `env(key)`; no row for a key the struct does not have (but the listed `extra` ones).
fn check_section(
    sections: &BTreeMap<String, Vec<(String, Row)>>,
    heading: &str,
    defaults: Value,
    extra: &[&str],
    env: impl Fn(&str) -> String,
    errors: &mut Vec<String>,
) {
    let Some(rows) = sections.get(heading) else {
        errors.push(format!("no section `{heading}` in docs/configuration.md"));
        return;
    };
    let Value::Object(fields) = defaults else {
        panic!("{heading}: the default does not serialize to an object");
    };
    for (key, value) in &fields {
        let matching: Vec<&Row> = rows
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, r)| r)
            .collect();
        let [default, meaning, env_cell] = match matching[..] {
            [Row { cells }] if cells.len() == 3 => [&*cells[0], &*cells[1], &*cells[2]],
            [row] => {
                errors.push(format!(
                    "{heading}: the row for `{key}` should have 4 cells: {:?}",
                    row.cells
                ));
                continue;
            }
            [] => {
                errors.push(format!("{heading}: no row for `{key}`"));
                continue;
            }
            _ => {
                errors.push(format!("{heading}: {} rows for `{key}`", matching.len()));
                continue;
            }
        };
        // A nested struct is checked in its own section.
        let nested = matches!(value, Value::Object(o) if !o.is_empty());
        let expected = rendered(value);
        let default_ok = default == expected || default.starts_with(&format!("{expected} "));
        if !nested && !default_ok {
            errors.push(format!(
                "{heading}: `{key}` defaults to {expected} in the code, the doc says {:?}",
                default
            ));
        }
        let expected_env = env(key);
        if env_cell != expected_env {
            errors.push(format!(
                "{heading}: `{key}`'s environment variable should be {expected_env:?}, the doc says {:?}",
                env_cell
            ));
        }
        if meaning.is_empty() {
            errors.push(format!("{heading}: `{key}` has no meaning"));
        }
    }
    for (key, _) in rows {
        if !fields.contains_key(key) && !extra.contains(&key.as_str()) {
            errors.push(format!(
                "{heading}: row for `{key}`, which is not a key of the struct"
            ));
        }
    }
}

fn json<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap()
}

/// The documentation's checks, as a list of what disagrees with the code.
fn disagreements(doc: &str) -> Vec<String> {
    let sections = sections(doc);
    let mut errors = Vec::new();
    let file_only = |_: &str| "file only".to_owned();
    check_section(
        &sections,
        "Top level",
        json(Config::default()),
        &[],
        |key| match key {
            "service" | "nats" | "log" | "admin" | "telemetry" | "app" | "gateway" | "socketio" => {
                format!("`PORTICUS__{}__<KEY>`", key.to_uppercase())
            }
            _ => "file only".to_owned(),
        },
        &mut errors,
    );
    check_section(
        &sections,
        "`[service]`",
        json(ServiceConfig::default()),
        &[],
        |key| format!("`PORTICUS__SERVICE__{}`", key.to_uppercase()),
        &mut errors,
    );
    check_section(
        &sections,
        "`[log]`",
        json(LogConfig::default()),
        &[],
        |key| format!("`PORTICUS__LOG__{}`", key.to_uppercase()),
        &mut errors,
    );
    check_section(
        &sections,
        "`[nats]`",
        json(NatsCredentials::default()),
        &[],
        |key| format!("`PORTICUS__NATS__{}`", key.to_uppercase()),
        &mut errors,
    );
    check_section(
        &sections,
        "`[gateway]`",
        json(GatewayConfig::default()),
        &[],
        |key| match key {
            "errors" => "`PORTICUS__GATEWAY__ERRORS__<CODE>`".to_owned(),
            "cors" => "`PORTICUS__GATEWAY__CORS__<KEY>`".to_owned(),
            _ => format!("`PORTICUS__GATEWAY__{}`", key.to_uppercase()),
        },
        &mut errors,
    );
    check_section(
        &sections,
        "`[gateway.cors]`",
        json(CorsConfig::default()),
        &[],
        |key| match key {
            // The environment gives strings, not lists.
            "origins" | "headers" | "expose_headers" => "file only".to_owned(),
            _ => format!("`PORTICUS__GATEWAY__CORS__{}`", key.to_uppercase()),
        },
        &mut errors,
    );
    check_section(
        &sections,
        "`[socketio]`",
        json(SocketIoConfig::default()),
        &[],
        |key| match key {
            "events" | "act" | "subscribe" => "file only".to_owned(),
            _ => format!("`PORTICUS__SOCKETIO__{}`", key.to_uppercase()),
        },
        &mut errors,
    );
    check_section(
        &sections,
        "`[admin]`",
        json(AdminConfig::default()),
        &[],
        |key| format!("`PORTICUS__ADMIN__{}`", key.to_uppercase()),
        &mut errors,
    );
    check_section(
        &sections,
        "`[telemetry]`",
        json(TelemetryConfig::default()),
        &[],
        |key| format!("`PORTICUS__TELEMETRY__{}`", key.to_uppercase()),
        &mut errors,
    );
    for (heading, defaults) in [
        (
            r#"`[[listen]] type = "http"`"#,
            json(HttpListenConfig::default()),
        ),
        (
            r#"`[[listen]] type = "amqp"`"#,
            json(AmqpListenConfig::default()),
        ),
        (
            r#"`[[client]] type = "http"`"#,
            json(HttpClientConfig::default()),
        ),
        (
            r#"`[[client]] type = "amqp"`"#,
            json(AmqpClientConfig::default()),
        ),
        (
            r#"`[[listen]] type = "nats"`"#,
            json(NatsListenConfig::default()),
        ),
        (
            r#"`[[client]] type = "nats"`"#,
            json(NatsClientConfig::default()),
        ),
        (
            r#"`[[listen]] type = "socketio"`"#,
            json(SocketIoListenConfig::default()),
        ),
        ("`[[policy]]`", json(PolicyConfig::default())),
        ("`[[policy]] breaker`", json(BreakerConfig::default())),
    ] {
        check_section(
            &sections,
            heading,
            defaults,
            &["type"],
            file_only,
            &mut errors,
        );
    }
    if !sections.contains_key("`[app]`") {
        errors.push("no section `[app]`".to_owned());
    }
    errors
}

#[test]
fn every_key_is_documented_with_its_default_and_variable() {
    let errors = disagreements(&doc());
    assert!(
        errors.is_empty(),
        "docs/configuration.md disagrees with the code:\n{}",
        errors.join("\n")
    );
}

/// The check itself catches a wrong default, a missing key and an unknown one.
#[test]
fn the_check_catches_drift() {
    let doc = doc();
    for (from, to, named) in [
        (
            "| `pool_idle_timeout_ms` | `4000` |",
            "| `pool_idle_timeout_ms` | `90000` |",
            "`pool_idle_timeout_ms` defaults to `4000`",
        ),
        (
            "| `bind` | `\"127.0.0.1:10101\"` |",
            "| `bind` | `127.0.0.1:10101` |",
            "`bind` defaults to",
        ),
        (
            "| `max_request_timeout_ms` | `30000` |",
            "| `max_request_timeoot_ms` | `30000` |",
            "no row for `max_request_timeout_ms`",
        ),
        (
            "| `timeout_ms` | `22222` | deadline of an act without `timeout$`, in ms (Seneca's default) | `PORTICUS__SERVICE__TIMEOUT_MS` |",
            "| `timeout_ms` | `22222` | deadline of an act without `timeout$`, in ms (Seneca's default) | file only |",
            "environment variable should be",
        ),
    ] {
        assert_eq!(doc.matches(from).count(), 1, "{from}");
        let errors = disagreements(&doc.replacen(from, to, 1));
        assert!(
            errors.iter().any(|e| e.contains(named)),
            "{to}: {errors:?}"
        );
    }
}

/// What the page says about the environment: `[service]`, `[nats]`, `[admin]` and `[app]` keys can be set,
/// `[[listen]]`/`[[client]]` entries cannot (a variable for them is an error, not ignored).
/// The only test here that sets `PORTICUS__` variables.
#[test]
fn environment_reaches_the_sections_not_the_lists() {
    let dir = std::env::temp_dir().join(format!("porticus-config-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("default.toml"),
        "[[listen]]\ntype = \"http\"\n[[client]]\ntype = \"http\"\n",
    )
    .unwrap();
    let load_with = |vars: &[(&str, &str)]| {
        for (name, value) in vars {
            std::env::set_var(name, value);
        }
        let loaded = Config::load_from(&dir, None);
        for (name, _) in vars {
            std::env::remove_var(name);
        }
        loaded
    };
    let config = load_with(&[
        ("PORTICUS__SERVICE__TIMEOUT_MS", "500"),
        ("PORTICUS__SERVICE__NAME", "123"),
        ("PORTICUS__APP__DB__POOL", "8"),
        ("PORTICUS__NATS__PASSWORD", "s3cret"),
        ("PORTICUS__LOG__FORMAT", "json"),
        ("PORTICUS__LOG__LEVEL", "warn,porticus=debug"),
        ("PORTICUS__ADMIN__BIND", "0.0.0.0:9464"),
        ("PORTICUS__ADMIN__DRAIN_DELAY_MS", "1500"),
        ("PORTICUS__SOCKETIO__AUTHORIZER", "role:auth,cmd:socket"),
        ("PORTICUS__SOCKETIO__MAX_BUFFERED", "64"),
    ])
    .unwrap();
    assert_eq!(config.log.format, porticus::config::LogFormat::Json);
    assert_eq!(config.log.level, "warn,porticus=debug");
    assert_eq!(config.admin.bind.as_deref(), Some("0.0.0.0:9464"));
    assert_eq!(config.admin.drain_delay_ms, 1500);
    assert_eq!(config.nats.password, "s3cret");
    assert_eq!(config.service.timeout_ms, 500);
    assert_eq!(config.service.name, "123");
    assert_eq!(config.app["db"]["pool"], 8);
    assert_eq!(
        config.socketio.authorizer.as_deref(),
        Some("role:auth,cmd:socket")
    );
    assert_eq!(config.socketio.max_buffered, 64);
    for var in ["PORTICUS__LISTEN__0__BIND", "PORTICUS__CLIENT__0__PIN"] {
        let err = load_with(&[(var, "x")]).unwrap_err().to_string();
        assert!(err.contains("expected a sequence"), "{var}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
