//! `porticus new`: the crate it writes builds and passes its own tests outside this
//! repository, and once served through RabbitMQ answers `porticus act`.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{cargo, porticus, repo, run_ok, scratch, target_dir, until_answered, Running, AMQP};

#[test]
fn a_new_service_builds_tests_serves_and_answers() {
    let started = Instant::now();
    let root = scratch("new");
    let name = format!("svc_{}", std::process::id());
    let framework = repo().join("framework");
    run_ok(
        Command::new(porticus())
            .args(["new", &name, "--path"])
            .arg(&root)
            .arg("--porticus-path")
            .arg(&framework),
    );
    let dir = root.join(&name);
    for file in [
        "Cargo.toml",
        "README.md",
        ".gitignore",
        "src/lib.rs",
        "src/main.rs",
        "tests/unit.rs",
        "config/default.toml",
        "config/amqp.toml",
        "config/http.toml",
        "config/nats.toml",
    ] {
        assert!(dir.join(file).is_file(), "{file} written");
    }

    // Its own tests (the handler and the subscriber, with the test kit).
    let out = run_ok(&mut cargo(&dir, &["test"]));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("test result: ok. 3 passed"), "{report}");
    eprintln!("generated and tested in {:?}", started.elapsed());

    run_ok(&mut cargo(&dir, &["build"]));
    let binary = target_dir().join("debug").join(&name);
    let _service = Running(
        Command::new(&binary)
            .current_dir(&dir)
            .env("PORTICUS_ENV", "amqp")
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("the service starts"),
    );
    let pattern = format!("role:{name},cmd:hello");
    let reply = until_answered(
        || {
            let mut act = Command::new(porticus());
            act.args([
                "act",
                &pattern,
                r#"{"name":"ada"}"#,
                "--via",
                AMQP,
                "--timeout",
                "3000",
            ]);
            act
        },
        Duration::from_secs(60),
    );
    let reply: serde_json::Value = serde_json::from_str(&reply).expect("JSON on stdout");
    assert_eq!(reply, serde_json::json!({"greeting": "hello, ada"}));

    // An invalid input is the handler's error: exit 1, the error as JSON on stderr.
    let out = Command::new(porticus())
        .args(["act", &pattern, r#"{"name":""}"#, "--via", AMQP])
        .output()
        .expect("porticus runs");
    assert_eq!(out.status.code(), Some(1));
    let error: serde_json::Value =
        serde_json::from_slice(&out.stderr).expect("the error as JSON on stderr");
    assert_eq!(error["code"], "act_invalid_msg");
    eprintln!("served and answered in {:?} in all", started.elapsed());

    drop(_service);
    common::delete_queues(&name);
    std::fs::remove_file(&binary).ok();
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_bad_name_is_refused_with_the_rule() {
    let root = scratch("new-bad-name");
    for bad in ["Greeter", "1st", "_x", "a.b"] {
        let out = Command::new(porticus())
            .args(["new", bad, "--path"])
            .arg(&root)
            .output()
            .expect("porticus runs");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("starting with a letter"), "{message}");
    }
    assert_eq!(std::fs::read_dir(&root).expect("the folder").count(), 0);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn an_existing_folder_is_not_overwritten() {
    let root = scratch("new-existing");
    std::fs::create_dir_all(root.join("greeter")).expect("a folder");
    std::fs::write(root.join("greeter/notes.txt"), "mine").expect("a file");
    let out = Command::new(porticus())
        .args(["new", "greeter", "--path"])
        .arg(&root)
        .output()
        .expect("porticus runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an empty folder"));
    assert!(!root.join("greeter/Cargo.toml").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("greeter/notes.txt")).expect("kept"),
        "mine"
    );

    // An empty folder is fine.
    std::fs::create_dir_all(root.join("empty")).expect("a folder");
    run_ok(
        Command::new(porticus())
            .args(["new", "empty", "--path"])
            .arg(&root),
    );
    let manifest = std::fs::read_to_string(root.join("empty/Cargo.toml")).expect("written");
    assert!(manifest.contains(r#"porticus = { version = "0.1", default-features = false, features = ["amqp", "macros", "admin"] }"#));
    std::fs::remove_dir_all(&root).ok();
}
