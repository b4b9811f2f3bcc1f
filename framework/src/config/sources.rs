//! Where a loaded [`Config`] came from — its files and `PORTICUS__…` variables — and the
//! masking of the secrets among them, for the startup summary and introspection.

use std::path::{Path, PathBuf};

use super::interpolate::Reference;
use super::Config;

/// The layers a configuration was loaded from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sources {
    pub(crate) files: Vec<PathBuf>,
    /// `PORTICUS__…` variables as `(name, value)`, values unmasked.
    pub(crate) variables: Vec<(String, String)>,
    /// The values that came from `${…}` references, as written.
    pub(crate) references: Vec<Reference>,
}

impl Config {
    /// The files this configuration was loaded from, in layer order (none for the defaults or
    /// [`from_toml_str`](Self::from_toml_str)).
    ///
    /// ```
    /// use porticus::config::Config;
    ///
    /// let dir = std::env::temp_dir().join(format!("porticus-files-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("default.toml"), "[service]\nname = \"math\"\n")?;
    /// let config = Config::load_from(&dir, None)?;
    /// assert_eq!(config.files(), [dir.join("default.toml")]);
    /// assert!(Config::default().files().is_empty());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn files(&self) -> &[PathBuf] {
        &self.sources.files
    }

    /// The `PORTICUS__…` environment variables that were applied, with the values of secrets
    /// masked: a variable for a secret-looking key (`PASSWORD`, `TOKEN`, `SECRET`, `NKEY`, `CREDS`)
    /// or for `[app]` (`PORTICUS__APP__…`) reads `***`, a URL its password as `***`.
    ///
    /// ```
    /// use porticus::config::Config;
    ///
    /// // Set for this example only.
    /// std::env::set_var("PORTICUS__NATS__PASSWORD", "hunter2");
    /// let dir = std::env::temp_dir().join(format!("porticus-env-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("default.toml"), "")?;
    /// let config = Config::load_from(&dir, None);
    /// std::env::remove_var("PORTICUS__NATS__PASSWORD");
    /// let applied = config?.environment();
    /// assert!(applied.contains(&("PORTICUS__NATS__PASSWORD".to_owned(), "***".to_owned())));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn environment(&self) -> Vec<(String, String)> {
        self.sources
            .variables
            .iter()
            .map(|(name, value)| (name.clone(), masked_variable(name, value)))
            .collect()
    }

    pub(crate) fn set_sources(
        &mut self,
        files: &[PathBuf],
        variables: &[(String, String)],
        references: Vec<Reference>,
    ) {
        self.sources = Sources {
            files: files.iter().map(|f| f.to_path_buf()).collect(),
            variables: variables.to_vec(),
            references,
        };
    }
}

/// A variable's value as it may be shown: `***` for a secret-looking name or an `[app]` value
/// (the application's own, maybe secret), a URL with its password masked.
pub(crate) fn masked_variable(name: &str, value: &str) -> String {
    let key = name.rsplit("__").next().unwrap_or(name);
    let app = name
        .strip_prefix("PORTICUS__")
        .is_some_and(|rest| rest.to_ascii_lowercase().starts_with("app__"));
    if app || super::summary::is_secret(key) {
        "***".to_owned()
    } else {
        super::masked_url(value)
    }
}

/// Displays a file path relative to the working directory when it is inside it.
pub(crate) fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_variables_are_masked() {
        assert_eq!(masked_variable("PORTICUS__NATS__TOKEN", "abc"), "***");
        assert_eq!(masked_variable("PORTICUS__NATS__PASSWORD", "abc"), "***");
        assert_eq!(
            masked_variable("PORTICUS__CLIENT__URL", "amqp://guest:guest@127.0.0.1/%2f"),
            "amqp://guest:***@127.0.0.1/%2f"
        );
        assert_eq!(masked_variable("PORTICUS__SERVICE__NAME", "math"), "math");
        assert_eq!(masked_variable("PORTICUS__APP__API_KEY", "abc"), "***");
    }
}
