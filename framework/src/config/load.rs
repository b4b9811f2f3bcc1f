//! Loading [`Config`] in layers with the `config` crate (whose types stay in here).

use std::path::{Path, PathBuf};

use config::{Environment, File, FileFormat};

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
    /// value of the wrong type, or `PORTICUS_ENV` naming a file that does not exist.
    pub fn load() -> Result<Config> {
        let dir = config_dir();
        let env = std::env::var(ENV_LAYER).ok().filter(|e| !e.is_empty());
        Config::load_layers(dir.as_deref(), env.as_deref(), porticus_variables())
    }

    /// Loads `dir/default.toml`, `dir/<env>.toml` (required when `env` is given),
    /// `dir/local.toml`, then the `PORTICUS__…` environment.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn load_from(dir: impl AsRef<Path>, env: Option<&str>) -> Result<Config> {
        Config::load_layers(Some(dir.as_ref()), env, porticus_variables())
    }

    /// Parses one TOML document (no layers, no environment) — for tests and embedding.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for malformed TOML, unknown keys or wrong types.
    pub fn from_toml_str(text: &str) -> Result<Config> {
        config::Config::builder()
            .add_source(File::from_str(text, FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| config_error(format!("invalid configuration: {e}")))
    }

    fn load_layers(
        dir: Option<&Path>,
        env: Option<&str>,
        variables: Vec<(String, String)>,
    ) -> Result<Config> {
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
        let mut builder = config::Config::builder();
        for file in &files {
            builder = builder.add_source(File::from(file.as_path()));
        }
        let mut config: Config = builder
            .add_source(environment(variables.clone()))
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|merged| blame(&files, &variables, &merged))?;
        config.set_sources(&files, &variables);
        Ok(config)
    }
}

/// The `PORTICUS__…` environment variables.
fn porticus_variables() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("PORTICUS__"))
        .collect()
}

/// The environment layer, from `variables` (`PORTICUS__SERVICE__TIMEOUT_MS` →
/// `service.timeout_ms`).
fn environment(variables: Vec<(String, String)>) -> Environment {
    Environment::with_prefix("PORTICUS")
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .source(Some(variables.into_iter().collect()))
}

/// The error for a merged configuration that does not deserialize, naming the layer at fault:
/// the first file, or environment variable, that is invalid on its own.
fn blame(files: &[PathBuf], variables: &[(String, String)], merged: &config::ConfigError) -> Error {
    let alone = |builder: config::ConfigBuilder<config::builder::DefaultState>| {
        builder
            .build()
            .and_then(|c| c.try_deserialize::<Config>())
            .err()
    };
    for file in files {
        if let Some(e) = alone(config::Config::builder().add_source(File::from(file.as_path()))) {
            return config_error(format!(
                "invalid configuration in `{}`: {e}",
                file.display()
            ));
        }
    }
    for variable in variables {
        let source = environment(vec![variable.clone()]);
        if let Some(e) = alone(config::Config::builder().add_source(source)) {
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
        let err = Config::load_layers(Some(&dir), None, Vec::new())
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
        let err = Config::load_layers(Some(&dir), None, variables)
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
