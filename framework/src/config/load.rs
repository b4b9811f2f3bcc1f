//! Loading [`Config`] in layers with the `config` crate (whose types stay in here).

use std::path::{Path, PathBuf};

use config::{Environment, File, FileFormat, Source};

use super::interpolate::Interpolated;
use super::resolve::{blame_reference, deserialize, environment_variable, resolve};
use super::template::Lookup;
use super::Config;
use crate::error::{Error, ErrorKind, Result};

/// The environment variable naming the extra layer (`config/$PORTICUS_ENV.toml`).
const ENV_LAYER: &str = "PORTICUS_ENV";
/// The environment variable naming the config folder.
const DIR_VAR: &str = "PORTICUS_CONFIG_DIR";

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

impl Config {
    /// Loads the layers described in the [module docs](crate::config) from the service's
    /// `config/` folder; without one, the defaults (an in-process service) plus the environment.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] naming the file or variable: a malformed file, an unknown key, a
    /// value of the wrong type, or `PORTICUS_ENV` naming a file that does not exist; naming the
    /// key for a malformed `${…}` reference or one to a variable that is not set.
    pub fn load() -> Result<Config> {
        let dir = config_dir();
        let env = std::env::var(ENV_LAYER).ok().filter(|e| !e.is_empty());
        Config::load_layers(
            dir.as_deref(),
            env.as_deref(),
            porticus_variables(),
            &environment_variable,
        )
    }

    /// Loads `dir/default.toml`, `dir/<env>.toml` (required when `env` is given),
    /// `dir/local.toml`, then the `PORTICUS__…` environment.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn load_from(dir: impl AsRef<Path>, env: Option<&str>) -> Result<Config> {
        Config::load_layers(
            Some(dir.as_ref()),
            env,
            porticus_variables(),
            &environment_variable,
        )
    }

    /// Parses one TOML document (no layers, no `PORTICUS__…` variables; `${NAME}` references
    /// are resolved from the environment) — for tests and embedding.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for malformed TOML, unknown keys, wrong types, a malformed
    /// reference or one to a variable that is not set.
    pub fn from_toml_str(text: &str) -> Result<Config> {
        let source = || File::from_str(text, FileFormat::Toml);
        let tree = config::Config::builder()
            .add_source(source())
            .build()
            .and_then(|c| c.collect())
            .map_err(|e| config_error(format!("invalid configuration: {e}")))?;
        let resolved = resolve(tree, &environment_variable)?;
        let mut config = deserialize(&resolved, &[]).map_err(|e| {
            blame_reference(&resolved, &e).unwrap_or_else(|| {
                config_error(format!(
                    "invalid configuration: {}",
                    resolved.scrub(&e.to_string()).0
                ))
            })
        })?;
        config.set_sources(&[], &[], resolved.references().cloned().collect());
        Ok(config)
    }

    pub(super) fn load_layers(
        dir: Option<&Path>,
        env: Option<&str>,
        variables: Vec<(String, String)>,
        lookup: &dyn Fn(&str) -> Lookup,
    ) -> Result<Config> {
        let files = layer_files(dir, env)?;
        let tree = files_builder(&files)
            .build()
            .and_then(|c| c.collect())
            .map_err(|merged| blame(&files, &variables, lookup, &merged.to_string()))?;
        let resolved = resolve(tree, lookup)?;
        let mut config = deserialize(&resolved, &variables).map_err(|merged| {
            blame_reference(&resolved, &merged).unwrap_or_else(|| {
                blame(
                    &files,
                    &variables,
                    lookup,
                    &resolved.scrub(&merged.to_string()).0,
                )
            })
        })?;
        // A value a `PORTICUS__…` variable replaced is no longer the reference's.
        let overridden: Vec<Vec<String>> = variables
            .iter()
            .map(|(name, _)| {
                name.trim_start_matches("PORTICUS__")
                    .split("__")
                    .map(str::to_lowercase)
                    .collect()
            })
            .collect();
        let references = resolved
            .references()
            .filter(|r| !overridden.iter().any(|keys| r.path.starts_with_keys(keys)))
            .cloned()
            .collect();
        config.set_sources(&files, &variables, references);
        Ok(config)
    }
}

/// The files of the layers in `dir`, in order.
fn layer_files(dir: Option<&Path>, env: Option<&str>) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if let Some(dir) = dir {
        if !dir.is_dir() {
            return Err(config_error(format!(
                "the config folder `{}` does not exist",
                dir.display()
            )));
        }
        let default = dir.join("default.toml");
        if !default.is_file() {
            return Err(config_error(format!(
                "the config folder `{}` has no default.toml",
                dir.display()
            )));
        }
        files.push(default);
        if let Some(env) = env {
            let layer = dir.join(format!("{env}.toml"));
            if !layer.is_file() {
                return Err(config_error(format!(
                    "{ENV_LAYER}={env} names `{}`, which does not exist",
                    layer.display()
                )));
            }
            files.push(layer);
        }
        let local = dir.join("local.toml");
        if local.is_file() {
            files.push(local);
        }
    } else if let Some(env) = env {
        return Err(config_error(format!(
            "{ENV_LAYER}={env} is set but no config folder was found (looked in ${DIR_VAR}, ./config and $CARGO_MANIFEST_DIR/config); a binary started outside cargo and outside its folder finds its config only through ./config or {DIR_VAR}: set {DIR_VAR}=/path/to/config"
        )));
    }
    Ok(files)
}

fn files_builder(files: &[PathBuf]) -> config::ConfigBuilder<config::builder::DefaultState> {
    files
        .iter()
        .fold(config::Config::builder(), |builder, file| {
            builder.add_source(File::from(file.as_path()))
        })
}

/// The `PORTICUS__…` environment variables.
fn porticus_variables() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("PORTICUS__"))
        .collect()
}

/// The environment layer, from `variables` (`PORTICUS__SERVICE__TIMEOUT_MS` →
/// `service.timeout_ms`).
pub(super) fn environment(variables: Vec<(String, String)>) -> Environment {
    Environment::with_prefix("PORTICUS")
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .source(Some(variables.into_iter().collect()))
}

/// The error for merged layers that do not build or deserialize (`merged`, its text with the
/// resolved values masked), naming the layer at fault: the first file, or environment
/// variable, that is invalid on its own.
fn blame(
    files: &[PathBuf],
    variables: &[(String, String)],
    lookup: &dyn Fn(&str) -> Lookup,
    merged: &str,
) -> Error {
    for file in files {
        let alone = files_builder(std::slice::from_ref(file))
            .build()
            .and_then(|c| c.collect());
        let error = match alone {
            Err(e) => Some(e.to_string()),
            // A file whose references resolve only with the other layers' help is not judged
            // alone.
            Ok(tree) => Interpolated::resolve(tree, lookup)
                .ok()
                .and_then(|resolved| {
                    deserialize(&resolved, &[])
                        .err()
                        .map(|e| resolved.scrub(&e.to_string()).0)
                }),
        };
        if let Some(e) = error {
            return config_error(format!(
                "invalid configuration in `{}`: {e}",
                file.display()
            ));
        }
    }
    for variable in variables {
        let source = environment(vec![variable.clone()]);
        if let Some(e) = config::Config::builder()
            .add_source(source)
            .build()
            .and_then(|c| c.try_deserialize::<Config>())
            .err()
        {
            return config_error(format!(
                "invalid configuration from environment variable `{}`: {e}",
                variable.0
            ));
        }
    }
    let mut layers: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    layers.push("PORTICUS__* environment variables".to_owned());
    config_error(format!(
        "invalid configuration: {merged} (layers: {})",
        layers.join(", ")
    ))
}

/// `$PORTICUS_CONFIG_DIR` (which must exist), else `./config`, else
/// `$CARGO_MANIFEST_DIR/config` — the first of the last two with a `default.toml`, so that a
/// stray `config/` folder (a `local.toml` alone) does not hide the service's own.
fn config_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var(DIR_VAR) {
        return Some(PathBuf::from(dir));
    }
    let here = PathBuf::from("config");
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("config"));
    std::iter::once(here)
        .chain(manifest)
        .find(|d| d.join("default.toml").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientConfig, ListenConfig};

    #[test]
    fn defaults_are_in_process() {
        let config = Config::from_toml_str("").unwrap();
        assert!(config.listen.is_empty() && config.client.is_empty());
        assert_eq!(config.service.timeout_ms, 22_222);
    }

    /// The error text of an invalid config document.
    fn error_of(toml: &str) -> String {
        Config::from_toml_str(toml).unwrap_err().to_string()
    }

    #[test]
    fn bad_documents_name_what_is_wrong() {
        for (toml, named) in [
            ("[service]\nnmae = \"x\"", "nmae"),
            ("[[listen]]\ntype = \"carrier-pigeon\"", "carrier-pigeon"),
            ("[service]\ntimeout_ms = \"soon\"", "timeout_ms"),
            ("[service\nname = 1", "TOML"),
        ] {
            let err = error_of(toml);
            assert!(err.contains(named), "{toml:?}: {err}");
        }
    }

    #[test]
    fn layers_override_in_order() {
        let dir = std::env::temp_dir().join(format!("porticus-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("default.toml"),
            "[service]\nname = \"math\"\ntimeout_ms = 100\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("http.toml"),
            "[service]\ntimeout_ms = 200\n[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"\n[[client]]\ntype = \"http\"\npin = \"role:x\"\n",
        )
        .unwrap();
        let config = Config::load_from(&dir, Some("http")).unwrap();
        assert_eq!(config.service.name, "math");
        assert_eq!(config.service.timeout_ms, 200);
        assert!(
            matches!(&config.listen[..], [ListenConfig::Http(h)] if h.bind == "127.0.0.1:0" && h.path == "/act")
        );
        assert!(matches!(&config.client[..], [ClientConfig::Http(c)] if c.pin == "role:x"));
        // The environment wins over the files (set and removed here only: the other tests read
        // no PORTICUS__ variable).
        std::env::set_var("PORTICUS__SERVICE__TIMEOUT_MS", "300");
        let from_env = Config::load_from(&dir, Some("http"));
        std::env::remove_var("PORTICUS__SERVICE__TIMEOUT_MS");
        assert_eq!(from_env.unwrap().service.timeout_ms, 300);
        let missing = Config::load_from(&dir, Some("amqp")).unwrap_err();
        assert!(missing.to_string().contains("amqp.toml"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_name_the_file_or_variable_at_fault() {
        let dir = std::env::temp_dir().join(format!("porticus-blame-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("default.toml"), "[service]\nname = \"x\"\n").unwrap();
        std::fs::write(dir.join("local.toml"), "[service]\ntimeout_ms = \"soon\"\n").unwrap();
        let err = Config::load_layers(Some(&dir), None, Vec::new(), &environment_variable)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("local.toml") && err.contains("timeout_ms"),
            "{err}"
        );
        assert!(!err.contains("default.toml"), "{err}");

        std::fs::remove_file(dir.join("local.toml")).unwrap();
        let variables = vec![
            ("PORTICUS__SERVICE__NAME".to_owned(), "fine".to_owned()),
            ("PORTICUS__SERVICE__TIMEOUT".to_owned(), "1".to_owned()),
        ];
        let err = Config::load_layers(Some(&dir), None, variables, &environment_variable)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`PORTICUS__SERVICE__TIMEOUT`"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_config_folder_must_exist_and_hold_default_toml() {
        let missing = std::env::temp_dir().join("porticus-no-such-folder");
        let err = Config::load_from(&missing, None).unwrap_err().to_string();
        assert!(
            err.contains("does not exist") && err.contains("porticus-no-such-folder"),
            "{err}"
        );
        let dir = std::env::temp_dir().join(format!("porticus-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = Config::load_from(&dir, None).unwrap_err().to_string();
        assert!(err.contains("no default.toml"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
