//! The files of a new service crate: templates under `cli/templates/`, included in the binary,
//! with `{{key}}` placeholders filled in.

use std::path::{Path, PathBuf};

/// Where the generated crate gets its `porticus` dependency from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `version = "0.1"`, from crates.io.
    Version,
    /// `path = "…"`: a local copy of the framework (its `framework/` folder).
    Path(PathBuf),
    /// `git = "…"`: the framework's repository.
    Git(String),
}

/// What the templates are filled in with.
#[derive(Debug, Clone)]
pub struct Scaffold {
    /// The package name (also the service name and the `role` of its actions).
    pub name: String,
    /// The transport: `amqp`, `http` or `nats` (also the `porticus` feature it needs).
    pub transport: String,
    /// Where the `porticus` dependency comes from.
    pub source: Source,
}

/// Every file of the crate: its path relative to the crate's folder and its template.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../templates/Cargo.toml.tmpl")),
    ("README.md", include_str!("../templates/README.md.tmpl")),
    (".gitignore", include_str!("../templates/gitignore.tmpl")),
    ("src/lib.rs", include_str!("../templates/src/lib.rs.tmpl")),
    ("src/main.rs", include_str!("../templates/src/main.rs.tmpl")),
    (
        "tests/unit.rs",
        include_str!("../templates/tests/unit.rs.tmpl"),
    ),
    (
        "config/default.toml",
        include_str!("../templates/config/default.toml.tmpl"),
    ),
    (
        "config/amqp.toml",
        include_str!("../templates/config/amqp.toml.tmpl"),
    ),
    (
        "config/http.toml",
        include_str!("../templates/config/http.toml.tmpl"),
    ),
    (
        "config/nats.toml",
        include_str!("../templates/config/nats.toml.tmpl"),
    ),
];

impl Scaffold {
    /// Every file of the crate, rendered: `(relative path, contents)`.
    pub fn files(&self) -> Vec<(&'static str, String)> {
        let vars = self.vars();
        FILES
            .iter()
            .map(|(path, template)| (*path, render(template, &vars)))
            .collect()
    }

    /// Writes every file under `dir` (created when missing).
    ///
    /// # Errors
    /// When a folder or a file cannot be written.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        for (path, contents) in self.files() {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, contents)?;
        }
        Ok(())
    }

    /// The placeholders and their values.
    fn vars(&self) -> Vec<(&'static str, String)> {
        let porticus = match &self.source {
            Source::Version => "version = \"0.1\"".to_owned(),
            Source::Path(path) => format!("path = {}", toml_string(&path.display().to_string())),
            Source::Git(url) => format!("git = {}", toml_string(url)),
        };
        let features = [self.transport.as_str(), "macros", "admin"]
            .map(toml_string)
            .join(", ");
        vec![
            ("name", self.name.clone()),
            ("crate", self.name.replace('-', "_")),
            ("porticus", porticus),
            ("features", features),
            ("http_port", http_port(&self.name).to_string()),
            ("transport", self.transport.clone()),
        ]
    }
}

/// Checks that `name` is a usable package name: lowercase ASCII letters, digits, `-` and `_`,
/// starting with a letter, and not `porticus` (the dependency's own name).
///
/// # Errors
/// The rule it breaks.
pub fn check_name(name: &str) -> Result<(), String> {
    let rule = "a service name is lowercase letters, digits, `-` and `_`, starting with a letter";
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !starts_well || !rest_ok {
        return Err(format!("invalid name `{name}`: {rule}"));
    }
    if name == "porticus" {
        return Err("invalid name `porticus`: the crate depends on `porticus` itself".to_owned());
    }
    Ok(())
}

/// Replaces every `{{key}}` of `template` with its value.
fn render(template: &str, vars: &[(&str, String)]) -> String {
    vars.iter().fold(template.to_owned(), |text, (key, value)| {
        text.replace(&format!("{{{{{key}}}}}"), value)
    })
}

/// A TOML basic string: quoted, with `\` and `"` escaped.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A port for the HTTP listener, derived from the name (10200–10999), so that two new
/// services do not start on the same one.
fn http_port(name: &str) -> u16 {
    // FNV-1a: stable across Rust versions, unlike the std hasher.
    let hash = name.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    10_200 + u16::try_from(hash % 800).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaffold(source: Source) -> Scaffold {
        Scaffold {
            name: "my-svc".to_owned(),
            transport: "nats".to_owned(),
            source,
        }
    }

    #[test]
    fn names_follow_the_rule() {
        for good in ["a", "greeter", "my-svc", "svc_2"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", "2svc", "Svc", "-a", "_a", "a.b", "a b", "é", "porticus"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_name("A")
            .unwrap_err()
            .contains("starting with a letter"));
    }

    #[test]
    fn every_placeholder_is_filled() {
        for (path, text) in scaffold(Source::Version).files() {
            assert!(!text.contains("{{"), "{path} keeps a placeholder");
        }
    }

    #[test]
    fn the_dependency_follows_the_source_and_the_transport() {
        let manifest = |source| scaffold(source).files()[0].1.clone();
        let by_version = manifest(Source::Version);
        assert!(by_version.contains(
            r#"porticus = { version = "0.1", default-features = false, features = ["nats", "macros", "admin"] }"#
        ));
        assert!(manifest(Source::Path(PathBuf::from("/x/framework")))
            .contains(r#"porticus = { path = "/x/framework","#));
        assert!(
            manifest(Source::Git("https://example.com/p.git".to_owned()))
                .contains(r#"porticus = { git = "https://example.com/p.git","#)
        );
    }

    #[test]
    fn the_crate_name_is_an_identifier_in_rust_code() {
        let files = scaffold(Source::Version).files();
        let main = &files.iter().find(|(p, _)| *p == "src/main.rs").unwrap().1;
        assert!(main.contains("porticus::link!(my_svc);"));
        let lib = &files.iter().find(|(p, _)| *p == "src/lib.rs").unwrap().1;
        assert!(lib.contains(r#"#[porticus::action("role:my-svc,cmd:hello")]"#));
    }

    #[test]
    fn the_http_port_is_stable_and_in_range() {
        let port = http_port("greeter");
        assert_eq!(port, http_port("greeter"));
        assert!((10_200..11_000).contains(&port));
    }
}
