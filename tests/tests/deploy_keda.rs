//! KEDA scales each event consumer on the length of the queue it really consumes: the
//! production overlay's pods are run as Kubernetes would run them — each shop service's
//! binary with the files of its rendered ConfigMap as /app/config and the environment of its
//! rendered Deployment, the broker Secret pointing at a RabbitMQ virtual host of this test —
//! and the queues they declare (their listeners' addresses on `/readyz`, and the broker's
//! bindings to the event exchange) are compared with the ScaledObjects' `queueName`s: every
//! service that consumes an event queue is scaled on it, and no ScaledObject watches another.
//! And the queues the services declare there are all quorum queues (replicated on the broker
//! cluster), requests and dead letters included.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use porticus::config::AmqpListenConfig;
use porticus_tests::deploy::{object, render, shop_services, Vhost};
use porticus_tests::process;
use porticus_tests::service_process::scratch;
use serde_json::Value;

/// A process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The queues in an AMQP listener's address (`amqp://…/vhost (queue-a, queue-b)`).
fn queues_of(address: &str) -> Vec<String> {
    address
        .rsplit_once(" (")
        .and_then(|(_, list)| list.strip_suffix(')'))
        .map(|list| list.split(", ").map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Waits (up to 30 s) for `GET /readyz` to answer 200, and returns its JSON.
async fn ready(name: &str, admin: &str, child: &mut Running) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(reply) = reqwest::get(format!("http://{admin}/readyz")).await {
            if reply.status() == 200 {
                return serde_json::from_str(&reply.text().await.unwrap()).expect("JSON");
            }
        }
        if let Some(status) = child.0.try_wait().unwrap() {
            panic!("{name} exited ({status}) before it was ready");
        }
        assert!(Instant::now() < deadline, "{name} not ready after 30 s");
        // Nothing to await for a port that is not open yet: poll briefly.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keda_watches_the_queues_the_consumers_declare() {
    let objects = render("deploy/k8s/overlays/production");
    let names: Vec<String> = shop_services().into_iter().map(|p| p.name).collect();
    let bins = process::build(&names.iter().map(String::as_str).collect::<Vec<_>>());
    let vhost = Vhost::new(&format!("porticus-deploy-keda-{}", std::process::id()));
    let mut running = Vec::new();
    for name in &names {
        let deployment = object(&objects, "Deployment", name);
        let pod = &deployment["spec"]["template"]["spec"];
        let container = &pod["containers"][0];
        let map_name = pod["volumes"][0]["configMap"]["name"].as_str().unwrap();
        let map = objects
            .iter()
            .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == map_name)
            .unwrap();
        let dir = scratch(&format!("keda-{name}"));
        for (file, text) in map["data"].as_object().unwrap() {
            std::fs::write(dir.join(file), text.as_str().unwrap()).unwrap();
        }
        let admin = format!("127.0.0.1:{}", process::free_port());
        let mut command = Command::new(&bins[name]);
        command
            .env_clear()
            .env("PORTICUS_CONFIG_DIR", &dir)
            .env("RUST_LOG", process::QUIET_LOGS)
            .current_dir(&dir);
        for var in container["env"].as_array().unwrap() {
            let key = var["name"].as_str().unwrap();
            let value = match key {
                "SHOP_AMQP_URL" => vhost.url(),
                "PORTICUS__ADMIN__BIND" => admin.clone(),
                "PORTICUS__GATEWAY__BIND" => format!("127.0.0.1:{}", process::free_port()),
                _ => var["value"].as_str().expect("a plain value").to_owned(),
            };
            command.env(key, value);
        }
        let child = Running(command.stdout(std::process::Stdio::null()).spawn().unwrap());
        running.push((name.clone(), admin, child));
    }
    let events_exchange = AmqpListenConfig::default().events_exchange;
    let mut declared: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, admin, child) in &mut running {
        let readyz = ready(name, admin, child).await;
        let queues: Vec<String> = readyz["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| queues_of(l["address"].as_str().unwrap_or_default()))
            .collect();
        declared.insert(name.clone(), queues);
    }
    let event_queues: BTreeSet<String> = vhost.bound_to(&events_exchange).into_iter().collect();
    let consumers: BTreeMap<String, String> = declared
        .iter()
        .filter_map(|(name, queues)| {
            let mine: Vec<&String> = queues
                .iter()
                .filter(|q| event_queues.contains(*q))
                .collect();
            assert!(
                mine.len() <= 1,
                "{name} consumes several event queues: {mine:?}"
            );
            Some((name.clone(), mine.first()?.to_string()))
        })
        .collect();
    for (name, queue) in &consumers {
        println!("RESULT service={name} event_queue={queue}");
    }
    assert!(
        !consumers.is_empty(),
        "no service consumes events: {declared:?}"
    );
    let mut scaled = BTreeMap::new();
    for o in objects.iter().filter(|o| o["kind"] == "ScaledObject") {
        let target = o["spec"]["scaleTargetRef"]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        for trigger in o["spec"]["triggers"].as_array().unwrap() {
            if trigger["type"] == "rabbitmq" {
                let queue = trigger["metadata"]["queueName"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                println!("ScaledObject {target}: queueName {queue}");
                scaled.insert(target.clone(), queue);
            }
        }
    }
    assert_eq!(
        scaled, consumers,
        "the ScaledObjects' queues, against the consumers'"
    );
    // On the broker cluster, the queues the services declare are replicated: the events',
    // the requests' and the dead letters' queues are quorum queues (the overlay's SHOP_QUEUE_TYPE);
    // only the callers' per-connection reply queues are not.
    let names = AmqpListenConfig::default();
    let types = vhost.queue_types();
    println!("queue types: {types:?}");
    let kept: Vec<(&String, &String)> = types
        .iter()
        .filter(|(queue, _)| {
            queue.starts_with(&format!("{}.", names.event_queue_prefix))
                || queue.starts_with(&format!("{}.", names.queue_prefix))
                || **queue == names.dead_letter_queue
        })
        .collect();
    assert!(
        kept.iter().any(|(q, _)| q.starts_with(&names.queue_prefix)),
        "no request queue declared: {types:?}"
    );
    assert!(
        kept.iter().all(|(_, kind)| *kind == "quorum"),
        "not all replicated: {kept:?}"
    );
    drop(running);
    drop(vhost);
}
