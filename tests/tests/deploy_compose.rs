//! The Compose stack, `deploy/compose/compose.yaml`, and its Prometheus, checked without a
//! Docker engine: `docker compose config` when the client has the compose plugin (these
//! machines do not), and always the Compose Specification's JSON schema (the one
//! docker-compose 1.29.2 ships, pinned, from PyPI) — which must also refuse a broken copy —
//! and the references between the files: every build argument is a shop service, every
//! mounted file exists, every environment names its config layer, admin port and broker,
//! every stop grace period covers the service's drain, and Prometheus (checked by
//! `promtool check config`) scrapes exactly the services' admin ports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use porticus::config::Config;
use porticus_tests::deploy::{
    self, admin_port, root, said, shop_services, stop_budget_ms, yaml, yaml_file,
};
use serde_json::{json, Value};

const COMPOSE: &str = "deploy/compose/compose.yaml";

/// The Compose file, merge keys resolved.
fn compose() -> Value {
    yaml_file(COMPOSE).remove(0)
}

/// The Compose Specification's schema, out of the pinned docker-compose wheel.
fn schema() -> PathBuf {
    let wheel = porticus_tests::python::wheel("docker-compose==1.29.2");
    let schema = wheel.with_file_name("compose_spec.json");
    if !schema.exists() {
        let out = Command::new(deploy::tools().join("python"))
            .args([
                "-c",
                "import sys, zipfile\n\
                 data = zipfile.ZipFile(sys.argv[1]).read('compose/config/compose_spec.json')\n\
                 open(sys.argv[2], 'wb').write(data)",
            ])
            .arg(&wheel)
            .arg(&schema)
            .output()
            .unwrap();
        assert!(out.status.success(), "extract the schema: {}", said(&out));
    }
    schema
}

/// The schema's complaints about `doc` (none when it is valid).
fn schema_errors(doc: &Value) -> Vec<String> {
    let mut command = Command::new(deploy::tools().join("python"));
    command.args([
        "-c",
        "import json, sys, jsonschema\n\
         schema = json.load(open(sys.argv[1]))\n\
         doc = json.load(sys.stdin)\n\
         errors = jsonschema.Draft7Validator(schema).iter_errors(doc)\n\
         json.dump(['/'.join(map(str, e.absolute_path)) + ': ' + e.message for e in errors], sys.stdout)",
    ]);
    command.arg(schema());
    let out = deploy::output(command, &doc.to_string());
    assert!(out.status.success(), "jsonschema: {}", said(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_compose_file_follows_the_compose_specification() {
    let errors = schema_errors(&compose());
    println!("compose.yaml against the Compose Specification: {errors:?}");
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = compose();
    broken["services"]["orders"]["stop_grace_period"] = json!(20);
    broken["services"]["orders"]["healthchek"] = json!({});
    let errors = schema_errors(&broken);
    println!("a broken copy: {errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("stop_grace_period")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("healthchek")),
        "{errors:?}"
    );
    // `docker compose config` too, where the client has the plugin.
    let plugin = Command::new("docker").args(["compose", "version"]).output();
    match plugin {
        Ok(out) if out.status.success() => {
            let out = Command::new("docker")
                .args(["compose", "-f", COMPOSE, "config", "--quiet"])
                .current_dir(root())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "docker compose config: {}",
                said(&out)
            );
            println!("docker compose config: valid");
        }
        _ => println!("docker compose config: no compose plugin here, the schema check stands"),
    }
}

/// `path` (relative to the Compose file's folder), from the repository root.
fn from_compose(path: &str) -> PathBuf {
    let joined = root().join("deploy/compose").join(path);
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// A service's environment as strings.
fn environment(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_object()
        .map(|env| {
            env.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("a string").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A Compose duration (`20s`, `1m30s`) in milliseconds.
fn duration_ms(text: &str) -> u64 {
    let mut total = 0;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' => number.push(c),
            's' | 'm' | 'h' => {
                let n: u64 = number.parse().expect("a number before the unit");
                total += n * match c {
                    's' => 1_000,
                    'm' => 60_000,
                    _ => 3_600_000,
                };
                number.clear();
            }
            other => panic!("`{text}`: unexpected `{other}` in a duration"),
        }
    }
    assert!(number.is_empty(), "`{text}` ends without a unit");
    total
}

#[test]
fn the_shop_services_are_built_configured_and_stopped_as_their_configs_say() {
    let compose = compose();
    let services = compose["services"].as_object().unwrap();
    let dockerfile_env = std::fs::read_to_string(root().join("deploy/docker/Dockerfile")).unwrap();
    assert!(dockerfile_env.contains("PORTICUS_CONFIG_DIR=/app/config"));
    let mut built = BTreeSet::new();
    for (name, service) in services {
        let Some(build) = service.get("build") else {
            continue;
        };
        let context = from_compose(build["context"].as_str().unwrap());
        assert_eq!(context, root(), "{name}: the context is the workspace");
        assert!(context
            .join(build["dockerfile"].as_str().unwrap())
            .is_file());
        let arg = build["args"]["SERVICE"]
            .as_str()
            .expect("a SERVICE build argument");
        let package = shop_services()
            .into_iter()
            .find(|p| p.name == arg)
            .unwrap_or_else(|| panic!("{name}: SERVICE={arg} is no shop service"));
        assert!(package.bins.contains(&package.name), "{arg} has no binary");
        built.insert(arg.to_owned());
        // Its config folder, mounted where the image looks.
        let config = format!("../../{}/config:/app/config:ro", package.dir);
        let volumes = service["volumes"].as_array().expect("volumes");
        assert!(
            volumes.contains(&json!(config)),
            "{name} mounts no {config}"
        );
        let env = environment(service);
        let layer = env.get("PORTICUS_ENV").expect("PORTICUS_ENV");
        let dir = root().join(&package.dir).join("config");
        let loaded = Config::load_from(&dir, Some(layer)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.service.name, arg, "{name} runs another service");
        // The admin endpoint: on every interface, on the port its config gives it.
        let admin = env
            .get("PORTICUS__ADMIN__BIND")
            .expect("PORTICUS__ADMIN__BIND");
        assert_eq!(admin, &format!("0.0.0.0:{}", admin_port(&loaded)), "{name}");
        // The broker: the rabbitmq service, as its user.
        let url = env.get("SHOP_AMQP_URL").expect("SHOP_AMQP_URL");
        let broker = environment(&services["rabbitmq"]);
        let user = format!(
            "{}:{}@",
            broker["RABBITMQ_DEFAULT_USER"], broker["RABBITMQ_DEFAULT_PASS"]
        );
        assert!(
            url.starts_with(&format!("amqp://{user}rabbitmq:5672/")),
            "{name}: {url}"
        );
        assert_eq!(
            service["depends_on"]["rabbitmq"]["condition"],
            "service_healthy"
        );
        // Time for the whole drain before docker kills it.
        let grace = duration_ms(
            service["stop_grace_period"]
                .as_str()
                .expect("stop_grace_period"),
        );
        let needed = stop_budget_ms(&loaded);
        println!("{name}: stop_grace_period {grace} ms, drain needs {needed} ms");
        assert!(grace >= needed, "{name}: {grace} ms < {needed} ms");
        assert_eq!(service["read_only"], true);
        assert_eq!(service["cap_drop"], json!(["ALL"]));
    }
    let wanted: BTreeSet<String> = shop_services().into_iter().map(|p| p.name).collect();
    assert_eq!(built, wanted, "the five shop services");
    assert!(services["rabbitmq"]["healthcheck"]["test"].is_array());
    assert!(services["rabbitmq"]["image"]
        .as_str()
        .unwrap()
        .contains("management"));
}

#[test]
fn every_mounted_file_exists() {
    let compose = compose();
    let named: BTreeSet<&String> = compose["volumes"].as_object().unwrap().keys().collect();
    for (name, service) in compose["services"].as_object().unwrap() {
        for volume in service["volumes"].as_array().into_iter().flatten() {
            let source = volume
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned();
            if source.starts_with('.') {
                assert!(
                    from_compose(&source).exists(),
                    "{name} mounts {source}, which does not exist"
                );
            } else {
                assert!(
                    named.contains(&source),
                    "{name}: volume `{source}` is not declared"
                );
            }
        }
    }
}

/// `promtool check config` on `text`: whether it passed, and what it said.
fn promtool(text: &str) -> (bool, String) {
    let file = std::env::temp_dir().join(format!("porticus-prometheus-{}.yml", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let out = Command::new("promtool")
        .args(["check", "config"])
        .arg(&file)
        .output()
        .expect("promtool runs (Debian package `prometheus`; .ci/run installs it)");
    let _ = std::fs::remove_file(&file);
    (out.status.success(), said(&out))
}

#[test]
fn prometheus_scrapes_every_admin_port_and_grafana_reads_prometheus() {
    let text = std::fs::read_to_string(root().join("deploy/compose/prometheus.yml")).unwrap();
    let (ok, said) = promtool(&text);
    println!("promtool check config: {}", said.trim());
    assert!(ok, "{said}");
    let (ok, said) = promtool(&text.replace("scrape_interval: 10s", "scrape_interval: ten"));
    assert!(!ok, "promtool passed a broken config: {said}");

    let compose = compose();
    let services = compose["services"].as_object().unwrap();
    let prometheus = yaml(&text).remove(0);
    let jobs = prometheus["scrape_configs"].as_array().unwrap();
    let targets = |job: &str| -> Vec<String> {
        let job = jobs.iter().find(|j| j["job_name"] == job).expect("the job");
        job["static_configs"][0]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    };
    let mut scraped = BTreeSet::new();
    for target in targets("porticus") {
        let (host, port) = target.split_once(':').expect("host:port");
        let service = &services[host];
        let bind = environment(service)["PORTICUS__ADMIN__BIND"].clone();
        assert_eq!(
            bind,
            format!("0.0.0.0:{port}"),
            "{target} is not {host}'s admin port"
        );
        scraped.insert(
            service["build"]["args"]["SERVICE"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let wanted: BTreeSet<String> = shop_services().into_iter().map(|p| p.name).collect();
    assert_eq!(scraped, wanted, "every shop service is scraped");
    for target in targets("rabbitmq") {
        assert!(
            services.contains_key(target.split(':').next().unwrap()),
            "{target}"
        );
    }
    let mounted = |service: &str, target: &str| -> String {
        let volume = services[service]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .find(|v| v.split(':').nth(1) == Some(target))
            .unwrap_or_else(|| panic!("{service} mounts nothing at {target}"));
        volume.split(':').next().unwrap().to_owned()
    };
    assert_eq!(
        from_compose(&mounted("prometheus", "/etc/prometheus/prometheus.yml")),
        root().join("deploy/compose/prometheus.yml")
    );
    // Grafana: the data source is this Prometheus, the dashboard where the provider looks.
    let sources = mounted("grafana", "/etc/grafana/provisioning/datasources");
    let source = yaml_file(&format!("{}/prometheus.yaml", rel(&from_compose(&sources)))).remove(0);
    assert_eq!(source["datasources"][0]["url"], "http://prometheus:9090");
    let providers = mounted("grafana", "/etc/grafana/provisioning/dashboards");
    let provider =
        yaml_file(&format!("{}/porticus.yaml", rel(&from_compose(&providers)))).remove(0);
    let folder = provider["providers"][0]["options"]["path"]
        .as_str()
        .unwrap();
    let dashboard = mounted("grafana", &format!("{folder}/porticus.json"));
    assert_eq!(
        from_compose(&dashboard),
        root().join("deploy/grafana/porticus.json")
    );
}

/// `path` relative to the repository root.
fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}
