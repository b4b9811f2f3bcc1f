//! Where a service finds its `config/` folder, by running the math example as `cargo run`
//! would from the repository root and from the example's folder. `PORTICUS_ENV` names a file
//! that does not exist, so the error says which folder was chosen, and nothing binds a port.

use std::path::Path;
use std::process::Command;

use porticus_tests::process;

/// Runs the math binary in `cwd` with `PORTICUS_ENV=nonexistent` (and `CARGO_MANIFEST_DIR`
/// when given); returns what it printed to stderr. It must fail.
fn run_math(cwd: &Path, manifest_dir: Option<&Path>) -> String {
    let math = &process::build(&["math"])["math"];
    let mut command = Command::new(math);
    command
        .current_dir(cwd)
        .env("PORTICUS_ENV", "nonexistent")
        .env_remove("PORTICUS_CONFIG_DIR")
        .env_remove("CARGO_MANIFEST_DIR");
    if let Some(dir) = manifest_dir {
        command.env("CARGO_MANIFEST_DIR", dir);
    }
    let out = command.output().expect("the math binary runs");
    assert!(
        !out.status.success(),
        "a missing PORTICUS_ENV file is an error"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn from_the_example_s_folder_its_config_is_used() {
    let example = process::workspace().join("examples/math");
    let err = run_math(&example, None);
    assert!(err.contains("names `config/nonexistent.toml`"), "{err}");
}

#[test]
fn from_the_repository_root_cargo_run_finds_the_package_s_config() {
    let root = process::workspace();
    let manifest = root.join("examples/math");
    let err = run_math(&root, Some(&manifest));
    assert!(
        err.contains("examples/math/config/nonexistent.toml"),
        "{err}"
    );
}

#[test]
fn with_no_config_folder_anywhere_the_error_says_where_it_looked() {
    let nowhere = std::env::temp_dir();
    let err = run_math(&nowhere, None);
    assert!(err.contains("no config folder was found"), "{err}");
    assert!(err.contains("PORTICUS_CONFIG_DIR"), "{err}");
}
