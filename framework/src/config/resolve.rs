//! The loader's side of `${NAME}` references: the process environment as their lookup, the
//! resolved files as a layer under the `PORTICUS__…` variables, and errors that name the key
//! and the reference of a value that does not fit — never the value.

use config::{Map, Source, Value};

use super::interpolate::Interpolated;
use super::load::environment;
use super::template::Lookup;
use super::Config;
use crate::error::{Error, ErrorKind, Result};

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// A variable of the process environment.
pub(super) fn environment_variable(name: &str) -> Lookup {
    match std::env::var(name) {
        Ok(value) => Lookup::Set(value),
        Err(std::env::VarError::NotPresent) => Lookup::Unset,
        Err(std::env::VarError::NotUnicode(_)) => Lookup::NotUnicode,
    }
}

/// `tree` with its `${…}` references resolved; the error names every value at fault.
pub(super) fn resolve(
    tree: Map<String, Value>,
    lookup: &dyn Fn(&str) -> Lookup,
) -> Result<Interpolated> {
    Interpolated::resolve(tree, lookup).map_err(|errors| config_error(errors.join("; ")))
}

/// Deserializes the resolved files under the `PORTICUS__…` `variables` (whose values are not
/// interpolated: they come from the environment already). Numbers and booleans from references
/// are strings to the `config` crate, which reads them as numbers where a field wants one —
/// except inside tagged entries (`[[listen]]`, `[[client]]`), which serde buffers: when the
/// text values fail, the values that read as numbers or booleans are tried as such.
pub(super) fn deserialize(
    resolved: &Interpolated,
    variables: &[(String, String)],
) -> Result<Config, config::ConfigError> {
    let attempt = |table: Map<String, Value>| {
        config::Config::builder()
            .add_source(Resolved(table))
            .add_source(environment(variables.to_vec()))
            .build()
            .and_then(|c| c.try_deserialize::<Config>())
    };
    // When both fail, the first error is the one to report: the second may be about a text
    // value that only the conversion broke.
    attempt(resolved.table().clone()).or_else(|first| match resolved.coerced() {
        Some(coerced) => attempt(coerced).map_err(|_| first),
        None => Err(first),
    })
}

/// The error for a value from a reference that does not deserialize: the key, the reference,
/// and the error with the value masked; `None` when the error is not about such a value.
pub(super) fn blame_reference(
    resolved: &Interpolated,
    error: &config::ConfigError,
) -> Option<Error> {
    let (text, references) = resolved.scrub(&error.to_string());
    let uses: Vec<String> = references
        .iter()
        .map(|r| format!("config value `{}` uses `{}`", r.path, r.template))
        .collect();
    (!uses.is_empty()).then(|| {
        config_error(format!(
            "{}, whose value does not fit there: {text}",
            uses.join(" and ")
        ))
    })
}

/// A resolved tree as a layer of the `config` crate.
#[derive(Clone)]
struct Resolved(Map<String, Value>);

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Its values may be secrets.
        f.debug_struct("Resolved").finish_non_exhaustive()
    }
}

impl Source for Resolved {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, config::ConfigError> {
        Ok(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::config::{ClientConfig, ListenConfig};

    /// The environment of these tests (the process's is shared by the tests running at once).
    fn lookup(name: &str) -> Lookup {
        match name {
            "SHOP_AMQP_URL" => Lookup::Set("amqp://shop:hunter2@rabbit:5672/%2f".into()),
            "SERVICE_NAME" => Lookup::Set("orders".into()),
            "PREFETCH" => Lookup::Set("20".into()),
            "TIMEOUT" => Lookup::Set("1500".into()),
            "NOT_A_NUMBER" => Lookup::Set("hunter2-prefetch".into()),
            "NATS_PASSWORD" => Lookup::Set("hunter2-nats".into()),
            "TRANSPORT" => Lookup::Set("amqp".into()),
            "API_KEY" => Lookup::Set("hunter2-key".into()),
            _ => Lookup::Unset,
        }
    }

    /// A config folder holding `files` (name, text), removed on drop.
    struct Folder(PathBuf);

    impl Folder {
        fn new(tag: &str, files: &[(&str, &str)]) -> Folder {
            let dir = std::env::temp_dir().join(format!("porticus-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a config folder");
            for (name, text) in files {
                std::fs::write(dir.join(name), text).expect("a config file");
            }
            Folder(dir)
        }

        fn load(&self, variables: &[(&str, &str)]) -> Result<Config> {
            let variables = variables
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            Config::load_layers(Some(self.path()), None, variables, &lookup)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const SHOP: &str = r#"
        [service]
        name = "${SERVICE_NAME}"
        timeout_ms = "${TIMEOUT}"
        [[listen]]
        type = "amqp"
        url = "${SHOP_AMQP_URL}"
        pin = "role:orders"
        prefetch = "${PREFETCH}"
        [[client]]
        type = "amqp"
        url = "${UNSET_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
        pin = "role:payments"
        [nats]
        password = "${NATS_PASSWORD}"
        [app]
        api_key = "${API_KEY}"
        note = "costs $$5"
    "#;

    #[test]
    fn references_in_every_layer_resolve_after_merging() {
        let folder = Folder::new(
            "references",
            &[
                ("default.toml", SHOP),
                // Overridden below: the variable it names need not be set.
                (
                    "local.toml",
                    "[telemetry]\nendpoint = \"http://127.0.0.1:4318\"\n",
                ),
            ],
        );
        let config = folder.load(&[]).expect("resolves");
        assert_eq!(config.service.name, "orders");
        assert_eq!(config.service.timeout_ms, 1500);
        let ListenConfig::Amqp(listen) = &config.listen[0] else {
            panic!("an amqp listener: {:?}", config.listen)
        };
        assert_eq!(listen.url, "amqp://shop:hunter2@rabbit:5672/%2f");
        assert_eq!(
            listen.prefetch, 20,
            "a number inside [[listen]] is read from text"
        );
        let ClientConfig::Amqp(client) = &config.client[0] else {
            panic!("an amqp client: {:?}", config.client)
        };
        assert_eq!(client.url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        assert_eq!(config.app["note"], "costs $5");

        let overridden = Folder::new(
            "overridden",
            &[
                (
                    "default.toml",
                    "[service]\nname = \"${NOT_SET_ANYWHERE}\"\n",
                ),
                ("local.toml", "[service]\nname = \"math\"\n"),
            ],
        );
        assert_eq!(
            overridden.load(&[]).expect("merged first").service.name,
            "math"
        );
    }

    #[test]
    fn the_summary_shows_references_and_masked_urls_never_values() {
        let folder = Folder::new("summary-references", &[("default.toml", SHOP)]);
        let config = folder.load(&[]).expect("resolves");
        let summary = config.summary();
        assert_eq!(summary["service"]["name"], "${SERVICE_NAME}");
        assert_eq!(summary["service"]["timeout_ms"], "${TIMEOUT}");
        assert_eq!(summary["listen"][0]["prefetch"], "${PREFETCH}");
        assert_eq!(
            summary["listen"][0]["url"],
            "amqp://shop:***@rabbit:5672/%2f"
        );
        assert_eq!(
            summary["client"][0]["url"],
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(summary["nats"]["password"], "***");
        assert_eq!(summary["app"], serde_json::json!(["api_key", "note"]));
        assert!(!summary.to_string().contains("hunter2"), "{summary}");

        // A `PORTICUS__…` variable replaces the referenced value: the summary shows its value.
        let config = folder
            .load(&[("PORTICUS__SERVICE__NAME", "billing")])
            .expect("resolves");
        assert_eq!(config.summary()["service"]["name"], "billing");
        assert_eq!(config.summary()["service"]["timeout_ms"], "${TIMEOUT}");
    }

    #[test]
    fn values_from_porticus_variables_are_taken_as_they_are() {
        let folder = Folder::new("verbatim", &[("default.toml", "")]);
        let config = folder
            .load(&[
                ("PORTICUS__SERVICE__NAME", "${SERVICE_NAME}"),
                ("PORTICUS__NATS__PASSWORD", "pa$word"),
            ])
            .expect("loads");
        assert_eq!(config.service.name, "${SERVICE_NAME}");
        assert_eq!(config.nats.password, "pa$word");
    }

    #[test]
    fn a_missing_variable_is_named_with_the_key_that_uses_it() {
        let folder = Folder::new(
            "missing",
            &[(
                "default.toml",
                "[[listen]]\ntype = \"amqp\"\nurl = \"${SHOP_AMQP_URL}\"\n[[listen]]\ntype = \"amqp\"\nurl = \"${NOPE_URL}\"\n[service]\nname = \"${\"\n",
            )],
        );
        let error = folder.load(&[]).expect_err("a variable is missing");
        assert_eq!(error.kind(), ErrorKind::Config);
        assert_eq!(
            error.to_string(),
            "config value `listen[1].url` uses `${NOPE_URL}`, which is not set; config value `service.name` ends in `${` at character 1: a reference needs a variable name and `}`"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key_not_its_value() {
        for (toml, key) in [
            (
                "[[listen]]\ntype = \"amqp\"\nprefetch = \"${NOT_A_NUMBER}\"\n",
                "listen[0].prefetch",
            ),
            (
                "[service]\ntimeout_ms = \"${NOT_A_NUMBER}\"\n",
                "service.timeout_ms",
            ),
            ("[[listen]]\ntype = \"${NOT_A_NUMBER}\"\n", "listen[0].type"),
        ] {
            let folder = Folder::new("wrong-type", &[("default.toml", toml)]);
            let error = folder.load(&[]).expect_err(toml).to_string();
            assert!(
                error.starts_with(&format!("config value `{key}` uses `${{NOT_A_NUMBER}}`, whose value does not fit there: ")),
                "{error}"
            );
            assert!(!error.contains("hunter2"), "{error}");
            drop(folder);
        }
        // A referenced value that is fine is neither blamed nor masked where the message names
        // it for another reason.
        let folder = Folder::new(
            "not-at-fault",
            &[(
                "default.toml",
                "[[listen]]\ntype = \"${TRANSPORT}\"\n[[listen]]\ntype = \"carrier-pigeon\"\n",
            )],
        );
        let error = folder
            .load(&[])
            .expect_err("an unknown transport")
            .to_string();
        assert!(
            error.starts_with("invalid configuration in `")
                && error
                    .contains("unknown variant `carrier-pigeon`, expected one of `http`, `amqp`"),
            "{error}"
        );
        drop(folder);
        let error = Config::from_toml_str(
            "[[listen]]\ntype = \"amqp\"\nprefetch = \"${PORTICUS_TEST_SURELY_UNSET}\"",
        )
        .expect_err("unset")
        .to_string();
        assert_eq!(
            error,
            "config value `listen[0].prefetch` uses `${PORTICUS_TEST_SURELY_UNSET}`, which is not set"
        );
    }
}
