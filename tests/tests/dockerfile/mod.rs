//! `deploy/docker/Dockerfile` read as instructions, and its `.dockerignore`.

use std::collections::BTreeMap;

use porticus_tests::deploy::root;

/// The Dockerfile's instructions, continuation lines joined, comments left out.
#[derive(Debug)]
pub struct Dockerfile {
    instructions: Vec<(String, String)>,
}

impl Dockerfile {
    /// The file's text.
    pub fn text() -> String {
        std::fs::read_to_string(root().join("deploy/docker/Dockerfile")).expect("the Dockerfile")
    }

    /// The file, parsed.
    pub fn read() -> Dockerfile {
        let mut instructions = Vec::new();
        let mut pending = String::new();
        for line in Self::text().lines() {
            let line = line.trim();
            if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
                continue;
            }
            match line.strip_suffix('\\') {
                Some(start) => {
                    pending.push_str(start.trim());
                    pending.push(' ');
                }
                None => {
                    pending.push_str(line);
                    let (name, args) = pending.split_once(' ').unwrap_or((pending.as_str(), ""));
                    instructions.push((name.to_ascii_uppercase(), args.trim().to_owned()));
                    pending.clear();
                }
            }
        }
        Dockerfile { instructions }
    }

    /// The arguments of the last `name` instruction (the runtime stage's).
    ///
    /// # Panics
    /// When there is none.
    pub fn last(&self, name: &str) -> String {
        self.instructions
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, args)| args.clone())
            .unwrap_or_else(|| panic!("the Dockerfile has no {name}"))
    }

    /// Whether a `RUN` instruction contains `command`.
    pub fn runs(&self, command: &str) -> bool {
        self.instructions
            .iter()
            .any(|(n, args)| n == "RUN" && args.contains(command))
    }

    /// The default of the build argument `name` (the same in every stage that declares it).
    ///
    /// # Panics
    /// When no stage declares it with a default, or two disagree.
    pub fn arg_default(&self, name: &str) -> String {
        let defaults: Vec<&str> = self
            .instructions
            .iter()
            .filter(|(n, _)| n == "ARG")
            .filter_map(|(_, args)| args.strip_prefix(name)?.strip_prefix('='))
            .collect();
        assert!(!defaults.is_empty(), "no ARG {name}=… in the Dockerfile");
        assert!(
            defaults.iter().all(|d| *d == defaults[0]),
            "ARG {name} has different defaults: {defaults:?}"
        );
        defaults[0].to_owned()
    }

    /// The runtime stage's environment (`ENV a=b c=d`, in the last stage).
    pub fn env(&self) -> BTreeMap<String, String> {
        let last_from = self
            .instructions
            .iter()
            .rposition(|(n, _)| n == "FROM")
            .expect("a FROM");
        self.instructions[last_from..]
            .iter()
            .filter(|(n, _)| n == "ENV")
            .flat_map(|(_, args)| args.split_whitespace())
            .map(|pair| {
                let (k, v) = pair.split_once('=').expect("ENV in the key=value form");
                (k.to_owned(), v.trim_matches('"').to_owned())
            })
            .collect()
    }
}

/// The patterns of `deploy/docker/Dockerfile.dockerignore`.
///
/// # Panics
/// When it uses more of the syntax than [`ignores`] understands (`!`, `?`, `*` inside a name).
pub fn ignore_patterns() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("deploy/docker/Dockerfile.dockerignore"))
        .expect("deploy/docker/Dockerfile.dockerignore");
    let patterns: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    for pattern in &patterns {
        let plain = pattern.strip_prefix("**/").unwrap_or(pattern);
        assert!(
            !plain.contains(['!', '?', '*', '[']),
            "`{pattern}`: only names, paths and a leading **/ are understood here"
        );
    }
    patterns
}

/// Whether `pattern` (a path from the context's root, or `**/` and a path at any depth)
/// leaves `path` (relative to the context's root) out — the path itself or a folder above it.
pub fn ignores(pattern: &str, path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let (anywhere, wanted) = match pattern.strip_prefix("**/") {
        Some(rest) => (true, rest.split('/').collect::<Vec<_>>()),
        None => (false, pattern.split('/').collect::<Vec<_>>()),
    };
    let starts = if anywhere { 0..parts.len() } else { 0..1 };
    starts
        .into_iter()
        .any(|start| parts[start..].starts_with(&wanted))
}
