//! Pinned npm packages for tests that run Node.js scripts: `tests/<name>/` holds a
//! `package.json`, its `package-lock.json` and the scripts; [`prepare`] installs them once
//! under `<target>/<name>` (`npm ci`, guarded by a file lock across test processes).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder holding the scripts and the pinned manifest of `name`.
fn scripts_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// Where the packages of `name` are installed: `<target>/<name>`.
fn install_dir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join(name)
}

/// Installs the pinned packages of `tests/<name>/` (again only when the manifest changed),
/// copies its `.js` scripts beside them, and returns that folder: run `node <script>` there.
///
/// # Panics
/// When npm is missing or the install fails: these tests must run, never skip.
pub fn prepare(name: &str) -> PathBuf {
    let dir = install_dir(name);
    std::fs::create_dir_all(&dir).expect("create the install folder");
    let lock = std::fs::File::create(dir.join(".lock")).expect("create the install lock");
    lock.lock().expect("lock the npm install");
    for file in ["package.json", "package-lock.json"] {
        let from = scripts_dir(name).join(file);
        let to = dir.join(file);
        if std::fs::read(&from).ok() != std::fs::read(&to).ok() {
            std::fs::copy(&from, &to).expect("copy the npm manifest");
            let _ = std::fs::remove_file(dir.join("node_modules/.installed"));
        }
    }
    if !dir.join("node_modules/.installed").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed (node 20 + npm)");
        assert!(
            status.success(),
            "npm ci in {} failed: {status}",
            dir.display()
        );
        std::fs::write(dir.join("node_modules/.installed"), b"ok").expect("mark installed");
    }
    for entry in std::fs::read_dir(scripts_dir(name)).expect("read the scripts folder") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "js") {
            let file = path.file_name().expect("a file name");
            std::fs::copy(&path, dir.join(file)).expect("copy a script");
        }
    }
    drop(lock);
    dir
}
