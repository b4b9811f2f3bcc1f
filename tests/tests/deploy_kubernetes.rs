//! The Kubernetes manifests, `deploy/k8s/`, checked offline: each overlay rendered by
//! kustomize (kubectl's, pinned, from PyPI; default load restrictor), the built-in kinds
//! validated by `kubernetes-validate --strict` (the Kubernetes 1.37 schemas), the custom
//! resources by the schemas KEDA and the Prometheus Operator publish (npm, pinned in
//! `tests/k8s-crds/`) — both must refuse a broken copy — and the RabbitMQ operators' kinds,
//! whose schemas no reachable registry ships, by the structural checks below (the skip list
//! of docs/deploy.md). Then what the manifests promise: probes, grace periods that cover the
//! drain the services' own configs give them, locked-down containers, Services for the admin
//! and HTTP ports, a ConfigMap holding the config layer the pod selects, one autoscaler per
//! Deployment, and the Secret every reference names.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use porticus::config::Config;
use porticus_tests::deploy::{
    self, admin_port, object, render, said, shop_services, stop_budget_ms,
};
use serde_json::{json, Value};

const OVERLAYS: [&str; 2] = ["deploy/k8s/overlays/dev", "deploy/k8s/overlays/production"];

/// Custom resources with no schema on a reachable registry (`apiVersion`, `kind`): checked
/// structurally here. docs/deploy.md names them.
const NO_PUBLISHED_SCHEMA: [(&str, &str); 2] = [
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("rabbitmq.com/v1beta1", "Policy"),
];

/// Whether `object` is of a kind Kubernetes itself defines (core or a `*.k8s.io` group, or a
/// group without a dot: apps, policy, autoscaling, batch…).
fn built_in(object: &Value) -> bool {
    let api = object["apiVersion"].as_str().expect("an apiVersion");
    match api.split_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

/// A file-name suffix no other test of this process (they run at once) or other process uses.
fn unique() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `kubernetes-validate --strict` on `objects`: whether all passed, and what it said.
fn kubernetes_validate(name: &str, objects: &[&Value]) -> (bool, String) {
    let file = std::env::temp_dir().join(format!("porticus-k8s-{name}-{}.yaml", unique()));
    let text: Vec<String> = objects.iter().map(|o| o.to_string()).collect();
    std::fs::write(&file, text.join("\n---\n")).unwrap();
    let out = Command::new(deploy::tools().join("kubernetes-validate"))
        .args(["--strict", "--quiet", "--kubernetes-version", "1.37.0"])
        .arg(&file)
        .output()
        .expect("run kubernetes-validate");
    let _ = std::fs::remove_file(&file);
    let said = said(&out);
    // Every built-in kind has a schema: a warning (no schema found) is a failure too.
    (out.status.success() && !said.contains("WARN"), said)
}

/// The published schemas' verdicts on `objects`: (kind, name) → outcome (`valid`,
/// `invalid: …`, `no-schema`).
fn crd_validate(objects: &[&Value]) -> BTreeMap<(String, String), String> {
    let dir = porticus_tests::npm::prepare("k8s-crds");
    let file = dir.join(format!("objects-{}.json", unique()));
    std::fs::write(&file, serde_json::to_vec(objects).unwrap()).unwrap();
    let out = Command::new("node")
        .arg("validate.js")
        .arg(&file)
        .current_dir(&dir)
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "validate.js: {}", said(&out));
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("validate.js's JSON");
    results
        .into_iter()
        .map(|r| {
            let outcome = match r["outcome"].as_str().unwrap() {
                "invalid" => format!("invalid: {}", r["errors"].as_str().unwrap_or_default()),
                other => other.to_owned(),
            };
            let key = (
                r["kind"].as_str().unwrap().to_owned(),
                r["name"].as_str().unwrap().to_owned(),
            );
            (key, outcome)
        })
        .collect()
}

#[test]
fn every_overlay_renders_and_validates_against_the_published_schemas() {
    for overlay in OVERLAYS {
        let objects = render(overlay);
        let (builtins, custom): (Vec<&Value>, Vec<&Value>) =
            objects.iter().partition(|o| built_in(o));
        let (ok, said) = kubernetes_validate("overlay", &builtins);
        println!(
            "{overlay}: {} built-in objects, kubernetes-validate: {}",
            builtins.len(),
            if ok { "valid" } else { &said }
        );
        assert!(ok, "{overlay}: {said}");
        let verdicts = crd_validate(&custom);
        println!("{overlay}: custom resources {verdicts:?}");
        for object in custom {
            let key = (
                object["kind"].as_str().unwrap().to_owned(),
                object["metadata"]["name"].as_str().unwrap().to_owned(),
            );
            let skipped = NO_PUBLISHED_SCHEMA
                .contains(&(object["apiVersion"].as_str().unwrap(), key.0.as_str()));
            let wanted = if skipped { "no-schema" } else { "valid" };
            assert_eq!(verdicts[&key], wanted, "{overlay}: {key:?}");
        }
    }
}

#[test]
fn the_validators_refuse_broken_manifests() {
    let objects = render("deploy/k8s/overlays/production");
    // A wrong type, and (strict) a key Kubernetes does not know: each refused on its own.
    let mut wrong_type = object(&objects, "Deployment", "orders").clone();
    wrong_type["spec"]["replicas"] = json!("two");
    let mut unknown_key = object(&objects, "Deployment", "orders").clone();
    unknown_key["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = json!({});
    for (broken, named) in [(wrong_type, "replicas"), (unknown_key, "livenessProbes")] {
        let (ok, said) = kubernetes_validate("broken", &[&broken]);
        println!("a broken Deployment: {}", said.trim());
        assert!(!ok && said.contains(named), "{said}");
    }
    let mut scaled = object(&objects, "ScaledObject", "analytics").clone();
    scaled["spec"]["minReplicaCount"] = json!("two");
    let mut monitor = object(&objects, "ServiceMonitor", "shop").clone();
    monitor["spec"]["endpoints"][0]["interval"] = json!(15);
    let verdicts = crd_validate(&[&scaled, &monitor]);
    println!("a broken ScaledObject and ServiceMonitor: {verdicts:?}");
    assert!(
        verdicts.values().all(|v| v.starts_with("invalid")),
        "{verdicts:?}"
    );
}

#[test]
fn the_rabbitmq_cluster_and_its_quorum_policy_hold_what_the_docs_promise() {
    let objects = render("deploy/k8s/overlays/production");
    let cluster = object(&objects, "RabbitmqCluster", "rabbitmq");
    assert_eq!(cluster["spec"]["replicas"], 3);
    let memory = &cluster["spec"]["resources"];
    assert_eq!(
        memory["requests"]["memory"], memory["limits"]["memory"],
        "RabbitMQ wants a fixed memory budget"
    );
    assert!(cluster["spec"]["persistence"]["storage"].is_string());
    let config = cluster["spec"]["rabbitmq"]["additionalConfig"]
        .as_str()
        .unwrap();
    assert!(
        config.contains("cluster_partition_handling = pause_minority"),
        "{config}"
    );
    let policy = object(&objects, "Policy", "porticus-quorum");
    assert_eq!(
        policy["spec"]["rabbitmqClusterReference"]["name"],
        "rabbitmq"
    );
    assert_eq!(policy["spec"]["applyTo"], "queues");
    assert_eq!(policy["spec"]["definition"]["target-group-size"], 3);
    // The pattern takes the queues the services declare quorum — events (porticus.events.
    // <service>), requests (seneca.add.<pins>) and dead letters (seneca.dlq) — and nothing else.
    let names = porticus::config::AmqpListenConfig::default();
    let escaped = |name: &str| name.replace('.', "\\.");
    assert_eq!(
        policy["spec"]["pattern"],
        format!(
            "^({}\\.|{}\\.|{}$)",
            escaped(&names.event_queue_prefix),
            escaped(&names.queue_prefix),
            escaped(&names.dead_letter_queue)
        )
    );
    // (That the services declare them quorum there is deploy_keda's to check, on a broker.)
    for object in objects.iter().filter(|o| {
        o["apiVersion"]
            .as_str()
            .unwrap()
            .starts_with("rabbitmq.com/")
    }) {
        assert!(
            NO_PUBLISHED_SCHEMA.contains(&(
                object["apiVersion"].as_str().unwrap(),
                object["kind"].as_str().unwrap()
            )),
            "{} is not on the skip list",
            object["kind"]
        );
        assert!(object["metadata"]["name"].is_string() && object["spec"].is_object());
    }
}

/// A container's environment variable `name`: its value, or `secret/key` for a Secret's.
fn env_of(container: &Value, name: &str) -> Option<String> {
    let var = container["env"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == name)?;
    if let Some(value) = var["value"].as_str() {
        return Some(value.to_owned());
    }
    let secret = &var["valueFrom"]["secretKeyRef"];
    Some(format!(
        "{}/{}",
        secret["name"].as_str()?,
        secret["key"].as_str()?
    ))
}

#[test]
fn each_deployment_probes_drains_and_is_locked_down_as_its_config_says() {
    for overlay in OVERLAYS {
        let objects = render(overlay);
        let secrets: BTreeSet<String> = objects
            .iter()
            .filter(|o| o["kind"] == "Secret")
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        for package in shop_services() {
            let name = package.name.as_str();
            let deployment = object(&objects, "Deployment", name);
            let pod = &deployment["spec"]["template"]["spec"];
            let container = &pod["containers"][0];
            assert_eq!(container["name"], name);
            assert!(container["image"]
                .as_str()
                .unwrap()
                .contains(&format!("/{name}:")));
            // The config the pod loads: the mounted ConfigMap, layered as PORTICUS_ENV says.
            let layer = env_of(container, "PORTICUS_ENV").expect("PORTICUS_ENV");
            let mount = &container["volumeMounts"][0];
            assert_eq!(mount["mountPath"], "/app/config");
            let volume = pod["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == mount["name"])
                .unwrap();
            let map_name = volume["configMap"]["name"].as_str().unwrap();
            let map = objects
                .iter()
                .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == map_name)
                .unwrap_or_else(|| panic!("{overlay}: no ConfigMap {map_name}"));
            let dir = porticus_tests::service_process::scratch(&format!("k8s-{name}"));
            for (file, text) in map["data"].as_object().unwrap() {
                std::fs::write(dir.join(file), text.as_str().unwrap()).unwrap();
            }
            let config = Config::load_from(&dir, Some(&layer))
                .unwrap_or_else(|e| panic!("{overlay} {name}: {e}"));
            assert_eq!(config.service.name, name);
            // Probes on the admin port the service binds.
            let bind = env_of(container, "PORTICUS__ADMIN__BIND").expect("PORTICUS__ADMIN__BIND");
            let port = admin_port(&config);
            assert_eq!(bind, format!("0.0.0.0:{port}"), "{name}");
            let ports = container["ports"].as_array().unwrap();
            assert!(
                ports.contains(&json!({"name": "admin", "containerPort": port})),
                "{name}: {ports:?}"
            );
            assert_eq!(
                container["livenessProbe"]["httpGet"],
                json!({"path": "/livez", "port": "admin"})
            );
            assert_eq!(
                container["readinessProbe"]["httpGet"],
                json!({"path": "/readyz", "port": "admin"})
            );
            // Time for the whole drain: the delay from the environment when it sets one.
            let mut budget = stop_budget_ms(&config);
            if let Some(delay) = env_of(container, "PORTICUS__ADMIN__DRAIN_DELAY_MS") {
                budget = budget - config.admin.drain_delay_ms + delay.parse::<u64>().unwrap();
            }
            let grace = pod["terminationGracePeriodSeconds"]
                .as_u64()
                .expect("terminationGracePeriodSeconds")
                * 1_000;
            println!("{overlay} {name}: terminationGracePeriodSeconds {grace} ms, drain needs {budget} ms");
            assert!(grace >= budget, "{name}: {grace} ms < {budget} ms");
            // Locked down.
            assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
            assert_ne!(pod["securityContext"]["runAsUser"], 0);
            let security = &container["securityContext"];
            assert_eq!(security["readOnlyRootFilesystem"], true);
            assert_eq!(security["allowPrivilegeEscalation"], false);
            assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
            for limit in ["requests", "limits"] {
                assert!(
                    container["resources"][limit]["memory"].is_string(),
                    "{name}: no {limit}"
                );
            }
            // The broker URL the config refers to comes from a Secret.
            let url = env_of(container, "SHOP_AMQP_URL").expect("SHOP_AMQP_URL");
            let secret = url.split('/').next().unwrap();
            if overlay.ends_with("dev") {
                assert!(secrets.contains(secret), "{overlay}: no Secret {secret}");
            } else {
                assert_eq!(
                    url, "shop-broker/url",
                    "the Secret docs/deploy.md says to create"
                );
            }
            // A Service for the admin port, and for the gateway's HTTP port.
            let service = object(&objects, "Service", name);
            let service_ports = service["spec"]["ports"].as_array().unwrap();
            assert!(service_ports
                .iter()
                .any(|p| p["name"] == "admin" && p["targetPort"] == "admin"));
            if !config.route.is_empty() {
                let http =
                    env_of(container, "PORTICUS__GATEWAY__BIND").expect("the gateway's bind");
                let http_port: u16 = http.rsplit(':').next().unwrap().parse().unwrap();
                assert!(ports.contains(&json!({"name": "http", "containerPort": http_port})));
                assert!(service_ports.iter().any(|p| p["targetPort"] == "http"));
            }
            assert_eq!(
                service["spec"]["selector"],
                deployment["spec"]["selector"]["matchLabels"]
            );
            let budget = object(&objects, "PodDisruptionBudget", name);
            assert_eq!(budget["spec"]["selector"], deployment["spec"]["selector"]);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

#[test]
fn one_autoscaler_drives_each_deployment() {
    for overlay in OVERLAYS {
        let objects = render(overlay);
        let mut drivers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for o in &objects {
            let target = match o["kind"].as_str().unwrap() {
                "HorizontalPodAutoscaler" => &o["spec"]["scaleTargetRef"]["name"],
                "ScaledObject" => &o["spec"]["scaleTargetRef"]["name"],
                _ => continue,
            };
            let target = target.as_str().unwrap().to_owned();
            object(&objects, "Deployment", &target);
            drivers.entry(target).or_default().push(format!(
                "{} {}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            ));
        }
        println!("{overlay}: {drivers:?}");
        for package in shop_services() {
            let found = drivers.get(&package.name).cloned().unwrap_or_default();
            assert_eq!(
                found.len(),
                1,
                "{overlay}: {} is driven by {found:?}",
                package.name
            );
        }
    }
}
