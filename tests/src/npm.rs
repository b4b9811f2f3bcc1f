//! The npm packages some tests need, pinned in a `package.json` + `package-lock.json` of a
//! folder under `tests/` and installed once per machine under `<target>/<folder>`, with that
//! folder's scripts (`*.js`) copied beside them. Tests must run, never skip: a missing npm or a
//! failed install fails them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// `tests/<folder>`: the pinned manifest and the scripts.
fn source(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(folder)
}

/// `<target>/<folder>`: where the packages are installed and the scripts run.
fn install_dir(folder: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join(folder)
}

/// Installs the packages pinned in `tests/<folder>` (once per process; a file lock keeps test
/// processes that run at once from installing together; `npm ci` again only when the manifest
/// changed), copies the folder's scripts beside them and returns the folder to run them in.
///
/// ```no_run
/// let dir = porticus_tests::npm::prepare("browser");
/// assert!(dir.join("node_modules/playwright-core").exists());
/// ```
///
/// # Panics
/// When npm is missing or the install fails.
pub fn prepare(folder: &str) -> PathBuf {
    static READY: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut ready = READY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(dir) = ready.get_or_insert_with(HashMap::new).get(folder) {
        return dir.clone();
    }
    let dir = install_dir(folder);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let lock = std::fs::File::create(dir.join(".lock")).expect("create the install lock");
    lock.lock().expect("lock the npm install");
    for file in ["package.json", "package-lock.json"] {
        let (from, to) = (source(folder).join(file), dir.join(file));
        if std::fs::read(&from).ok() != std::fs::read(&to).ok() {
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
            let _ = std::fs::remove_file(dir.join("node_modules/.installed"));
        }
    }
    if !dir.join("node_modules/.installed").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for these tests (node 20 + npm)");
        assert!(
            status.success(),
            "npm ci in {} failed: {status}",
            dir.display()
        );
        std::fs::write(dir.join("node_modules/.installed"), b"ok").expect("mark installed");
    }
    let scripts =
        std::fs::read_dir(source(folder)).unwrap_or_else(|e| panic!("read tests/{folder}: {e}"));
    for entry in scripts {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "js") {
            let name = path.file_name().expect("a file name");
            std::fs::copy(&path, dir.join(name)).expect("copy a script");
        }
    }
    drop(lock);
    ready
        .get_or_insert_with(HashMap::new)
        .insert(folder.to_owned(), dir.clone());
    dir
}
