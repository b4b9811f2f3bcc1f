//! The container image, `deploy/docker/Dockerfile`: linted by hadolint (pinned, from PyPI;
//! a deliberately broken copy must be refused), its facts checked (the build argument names a
//! shop service, the config folder and the probe it relies on exist, the context keeps every
//! workspace member), and — since no image can be built on these machines — the service run
//! as the image runs it: from another working folder, with only the files the image copies to
//! /app/config and the environment the image and `deploy/compose/compose.yaml` give it. It
//! starts, answers `/livez` and `/readyz` (through `porticus probe`, the image's HEALTHCHECK),
//! serves an act, and stops cleanly on SIGTERM after its drain.

mod dockerfile;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use porticus::config::AmqpClientConfig;
use porticus::transport::amqp::AmqpClient;
use porticus::Node;
use porticus_tests::deploy::{self, packages, root, said, shop_services, Vhost};
use porticus_tests::harness::broker_down;
use porticus_tests::process;
use porticus_tests::service_process::scratch;
use serde_json::{json, Value};

use dockerfile::Dockerfile;

/// The service the runtime test runs: an AMQP listener, as in the Compose file.
const SERVICE: &str = "payments";

/// hadolint on `text`: whether it passed, and what it said.
fn hadolint(text: &str) -> (bool, String) {
    let mut command = Command::new(deploy::tools().join("hadolint"));
    command.arg("-");
    let out = deploy::output(command, text);
    let said = said(&out);
    println!(
        "hadolint: {}",
        if said.trim().is_empty() {
            "no finding"
        } else {
            said.trim()
        }
    );
    (out.status.success(), said)
}

#[test]
fn hadolint_passes_the_dockerfile_and_refuses_a_broken_one() {
    let text = Dockerfile::text();
    let (ok, said) = hadolint(&text);
    assert!(ok && said.trim().is_empty(), "hadolint: {said}");
    // Root as the last user, an unpinned base image: both must be refused.
    let broken = text.replace("USER 65532:65532", "USER root").replace(
        "FROM gcr.io/distroless/cc-debian13:nonroot",
        "FROM debian:latest",
    );
    let (ok, said) = hadolint(&broken);
    assert!(!ok, "hadolint passed a broken Dockerfile: {said}");
    assert!(said.contains("DL3002") && said.contains("DL3007"), "{said}");
}

#[test]
fn the_dockerfile_builds_a_shop_service_as_the_docs_say() {
    let file = Dockerfile::read();
    let shop = shop_services();
    let default = file.arg_default("SERVICE");
    assert!(
        shop.iter().any(|p| p.name == default),
        "ARG SERVICE={default} is no shop service with a binary of its name"
    );
    for package in &shop {
        // What the builder stage builds and copies to /app/config.
        assert!(
            package.bins.contains(&package.name),
            "{} has no binary",
            package.name
        );
        let config = root().join(&package.dir).join("config");
        assert!(
            config.join("default.toml").is_file(),
            "{} has no config/default.toml",
            package.name
        );
    }
    assert!(file.runs("cp \"examples/shop/${SERVICE}/config/\"*.toml /out/config/"));
    assert!(
        file.runs("cargo chef cook --release --locked"),
        "a cached dependency layer"
    );
    let env = file.env();
    assert_eq!(
        env.get("PORTICUS_CONFIG_DIR").map(String::as_str),
        Some("/app/config")
    );
    assert_eq!(env.get("PORTICUS_ENV").map(String::as_str), Some("amqp"));
    let user = file.last("USER");
    let uid: u32 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("a numeric user");
    assert_ne!(uid, 0, "the runtime user is root");
    assert_eq!(file.last("STOPSIGNAL"), "SIGTERM");
    assert!(file
        .last("HEALTHCHECK")
        .contains(r#"CMD ["porticus", "probe", "/livez""#));
    assert_eq!(
        file.last("ENTRYPOINT"),
        r#"["/usr/local/bin/porticus-service"]"#
    );
    assert!(
        file.last("FROM").starts_with("gcr.io/distroless/"),
        "a minimal runtime stage"
    );
    // `porticus probe` exists: the package porticus-cli has the binary `porticus`.
    assert!(packages()
        .iter()
        .any(|p| p.name == "porticus-cli" && p.bins.contains(&"porticus".to_owned())));
}

#[test]
fn the_build_context_keeps_every_workspace_member() {
    let ignored = dockerfile::ignore_patterns();
    let mut kept = vec![
        "Cargo.toml".to_owned(),
        "Cargo.lock".to_owned(),
        "rust-toolchain.toml".to_owned(),
        "README.md".to_owned(),
        "docs/operations.md".to_owned(),
    ];
    kept.extend(
        packages()
            .into_iter()
            .map(|p| format!("{}/Cargo.toml", p.dir)),
    );
    kept.extend(packages().into_iter().map(|p| format!("{}/src", p.dir)));
    for path in &kept {
        assert!(root().join(path).exists(), "{path} does not exist");
        if let Some(pattern) = ignored.iter().find(|p| dockerfile::ignores(p, path)) {
            panic!("Dockerfile.dockerignore's `{pattern}` leaves {path} out of the build context");
        }
    }
    for path in ["target/debug", "tests/interop/node_modules", ".git/HEAD"] {
        assert!(
            ignored.iter().any(|p| dockerfile::ignores(p, path)),
            "{path} is sent to the build"
        );
    }
}

/// The environment the image and the Compose file give `SERVICE`, with what only a container
/// has (the broker's host name, the admin port on every interface) moved to this machine.
fn container_env(config_dir: &Path, broker: &str, admin: &str) -> BTreeMap<String, String> {
    let mut env = Dockerfile::read().env();
    env.insert(
        "PORTICUS_CONFIG_DIR".into(),
        config_dir.display().to_string(),
    );
    let compose = deploy::yaml_file("deploy/compose/compose.yaml");
    let service = &compose[0]["services"][SERVICE];
    for (name, value) in service["environment"]
        .as_object()
        .expect("an environment map")
    {
        let value = match name.as_str() {
            "SHOP_AMQP_URL" => broker.to_owned(),
            "PORTICUS__ADMIN__BIND" => admin.to_owned(),
            _ => value.as_str().expect("a string value").to_owned(),
        };
        env.insert(name.clone(), value);
    }
    env
}

/// A process killed when dropped (a failed assertion must not leave the service running).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `porticus probe target` with the container's environment: whether it passed, and its output.
fn probe(bin: &Path, env: &BTreeMap<String, String>, target: &str) -> (bool, String) {
    let out = Command::new(bin)
        .args(["probe", target])
        .env_clear()
        .envs(env)
        .output()
        .expect("run porticus probe");
    (out.status.success(), said(&out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_runs_with_only_its_config_folder_and_the_environment() {
    let bins = process::build(&[SERVICE, "porticus-cli"]);
    let service = bins[SERVICE].clone();
    let cli = service.with_file_name("porticus");
    assert!(
        cli.is_file(),
        "no porticus binary beside {}",
        service.display()
    );
    // /app/config as the image lays it out, and a working folder with no config/ in it.
    let app = scratch("deploy-image");
    let config = app.join("config");
    let work = app.join("work");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let source = root().join("examples/shop").join(SERVICE).join("config");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, config.join(path.file_name().unwrap())).unwrap();
        }
    }
    let vhost = Vhost::new(&format!("porticus-deploy-image-{}", std::process::id()));
    let admin = format!("127.0.0.1:{}", process::free_port());
    let env = container_env(&config, &vhost.url(), &admin);

    // Without PORTICUS_CONFIG_DIR, from elsewhere, it finds no config and says so.
    let mut lost = env.clone();
    lost.remove("PORTICUS_CONFIG_DIR");
    let out = Command::new(&service)
        .env_clear()
        .envs(&lost)
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(said(&out).contains("PORTICUS_CONFIG_DIR"), "{}", said(&out));

    let started = Instant::now();
    let log = std::fs::File::create(app.join("service.log")).unwrap();
    let mut child = Running(
        Command::new(&service)
            .env_clear()
            .envs(&env)
            .current_dir(&work)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let show_log = || std::fs::read_to_string(app.join("service.log")).unwrap_or_default();
    // Ready: the probe the Kubernetes readinessProbe makes, repeated until it passes.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if probe(&cli, &env, "/readyz").0 {
            break;
        }
        if let Some(status) = child.0.try_wait().unwrap() {
            panic!("{SERVICE} exited ({status}):\n{}", show_log());
        }
        assert!(
            Instant::now() < deadline,
            "not ready after 30 s:\n{}",
            show_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("RESULT ready_after_ms={}", started.elapsed().as_millis());
    let (alive, said_live) = probe(&cli, &env, "/livez");
    assert!(alive, "{said_live}");
    let live: Value = serde_json::from_str(said_live.trim()).expect("/livez answers JSON");
    assert_eq!(live["service"], SERVICE);
    // The listener took the broker URL from SHOP_AMQP_URL: it is in the test's virtual host.
    let ready = reqwest::get(format!("http://{admin}/readyz"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ready: Value = serde_json::from_str(&ready).expect("/readyz answers JSON");
    let address = ready["listeners"][0]["address"]
        .as_str()
        .unwrap_or_default();
    assert!(address.contains("/porticus-deploy-image"), "{ready}");

    // An act, from a client in the same virtual host.
    let mut client = AmqpClientConfig::default();
    client.url = vhost.url();
    let amqp = AmqpClient::new(&client, "deploy-test").expect("a client");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let caller = Node::builder()
        .name("deploy-test")
        .without_registered()
        .client("role:payment", amqp)
        .build()
        .unwrap();
    let receipt = caller
        .act(json!({"role": "payment", "cmd": "charge", "order": "o-1",
                     "card": "4000-0000-0000-0001", "amount_cents": 2500}))
        .await
        .unwrap_or_else(|e| panic!("the act failed: {e}\n{}", show_log()));
    assert_eq!(receipt["order"], "o-1");
    assert_eq!(receipt["amount_cents"], 2500);
    caller.close();

    // SIGTERM: not ready at once, alive while it drains, then a clean exit.
    let term = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (ready_now, said_ready) = probe(&cli, &env, "/readyz");
    assert!(!ready_now && said_ready.contains("503"), "{said_ready}");
    assert!(probe(&cli, &env, "/livez").0, "not alive while draining");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 30 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    println!(
        "RESULT stopped_after_sigterm_ms={}",
        term.elapsed().as_millis()
    );
    assert!(status.success(), "exit {status}:\n{}", show_log());
    let (alive, said_gone) = probe(&cli, &env, "/livez");
    assert!(
        !alive && said_gone.contains("nothing answers"),
        "{said_gone}"
    );
    assert!(
        show_log().contains(&format!("starting service `{SERVICE}`")),
        "{}",
        show_log()
    );
    drop(vhost);
}
