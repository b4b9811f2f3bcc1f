//! The scaffolding path the shop's README documents: copy a service folder, rename it, change
//! its patterns — and it builds, outside this repository, in a workspace of its own.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("read a folder") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy a file");
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write");
}

#[test]
fn a_copied_service_builds() {
    let repo = repo().canonicalize().expect("the repository");
    let root = std::env::temp_dir().join(format!("porticus-scaffold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let crate_dir = root.join("refunds");
    copy_dir(&repo.join("examples/shop/payments"), &crate_dir);

    // The documented steps: rename the package, the link! line, the service name; change the pattern.
    edit(
        &crate_dir.join("Cargo.toml"),
        "name = \"payments\"",
        "name = \"refunds\"",
    );
    edit(
        &crate_dir.join("src/main.rs"),
        "porticus::link!(payments);",
        "porticus::link!(refunds);",
    );
    edit(
        &crate_dir.join("config/default.toml"),
        "name = \"payments\"",
        "name = \"refunds\"",
    );
    edit(
        &crate_dir.join("src/lib.rs"),
        "role:payment,cmd:charge",
        "role:refund,cmd:issue",
    );
    // …and in the copied config: the listener's pin and the HTTP port.
    edit(
        &crate_dir.join("config/amqp.toml"),
        "pin = \"role:payment,cmd:*\"",
        "pin = \"role:refund,cmd:*\"",
    );
    edit(
        &crate_dir.join("config/nats.toml"),
        "pin = \"role:payment,cmd:*\"",
        "pin = \"role:refund,cmd:*\"",
    );
    edit(
        &crate_dir.join("config/http.toml"),
        "127.0.0.1:10111",
        "127.0.0.1:10121",
    );

    // Its own workspace, with the same shared settings and dependency versions as this one.
    let manifest = std::fs::read_to_string(repo.join("Cargo.toml")).expect("the root manifest");
    let start = manifest.find("members = [").expect("a members list");
    let end = start
        + manifest[start..]
            .find(']')
            .expect("the end of the members list")
        + 1;
    let manifest = format!(
        "{}members = [\"refunds\"]{}",
        &manifest[..start],
        &manifest[end..]
    )
    .replace(
        "path = \"framework\"",
        &format!("path = \"{}\"", repo.join("framework").display()),
    )
    .replace(
        "path = \"macros\"",
        &format!("path = \"{}\"", repo.join("macros").display()),
    );
    std::fs::write(root.join("Cargo.toml"), manifest).expect("write the manifest");
    std::fs::copy(repo.join("Cargo.lock"), root.join("Cargo.lock")).expect("copy the lock file");
    std::fs::copy(
        repo.join("rust-toolchain.toml"),
        root.join("rust-toolchain.toml"),
    )
    .expect("copy the toolchain");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--offline", "--quiet", "-p", "refunds"])
        .current_dir(&root)
        // This repository's target folder: the dependencies are built already.
        .env("CARGO_TARGET_DIR", repo.join("target"))
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "the copied service does not build: {status}"
    );
    let binary = repo.join("target/debug/refunds");
    assert!(binary.is_file(), "linked: {}", binary.display());
    std::fs::remove_file(&binary).ok();
    std::fs::remove_dir_all(&root).ok();
}
