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
        Config::load_layers(dir.as_deref(), env.as_deref())
    }

    /// Loads `dir/default.toml`, `dir/<env>.toml` (required when `env` is given),
    /// `dir/local.toml`, then the `PORTICUS__…` environment.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn load_from(dir: impl AsRef<Path>, env: Option<&str>) -> Result<Config> {
        Config::load_layers(Some(dir.as_ref()), env)
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

    fn load_layers(dir: Option<&Path>, env: Option<&str>) -> Result<Config> {
        let mut builder = config::Config::builder();
        let mut sources = Vec::new();
        if let Some(dir) = dir {
            let default = dir.join("default.toml");
            builder = builder.add_source(File::from(default.clone()).required(false));
            sources.push(default.display().to_string());
            if let Some(env) = env {
                let layer = dir.join(format!("{env}.toml"));
                if !layer.is_file() {
                    return Err(config_error(format!(
                        "{ENV_LAYER}={env} names `{}`, which does not exist",
                        layer.display()
                    )));
                }
                builder = builder.add_source(File::from(layer.clone()));
                sources.push(layer.display().to_string());
            }
            let local = dir.join("local.toml");
            builder = builder.add_source(File::from(local.clone()).required(false));
            sources.push(local.display().to_string());
        } else if let Some(env) = env {
            return Err(config_error(format!(
                "{ENV_LAYER}={env} is set but no config folder was found (looked in ${DIR_VAR}, ./config and $CARGO_MANIFEST_DIR/config)"
            )));
        }
        builder = builder.add_source(
            Environment::with_prefix("PORTICUS")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        sources.push("PORTICUS__* environment variables".to_owned());
        builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| {
                config_error(format!(
                    "invalid configuration: {e} (layers: {})",
                    sources.join(", ")
                ))
            })
    }
}

/// `$PORTICUS_CONFIG_DIR`, else `./config`, else `$CARGO_MANIFEST_DIR/config`.
fn config_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var(DIR_VAR) {
        return Some(PathBuf::from(dir));
    }
    let here = PathBuf::from("config");
    if here.is_dir() {
        return Some(here);
    }
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(|d| PathBuf::from(d).join("config"))
        .filter(|d| d.is_dir())
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
}
