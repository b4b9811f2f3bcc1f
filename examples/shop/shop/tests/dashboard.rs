//! The Grafana dashboard, `deploy/grafana/porticus.json`, against a real Prometheus scraping
//! the shop's services in AMQP mode under a little load — and the math example over HTTP, for
//! the HTTP listener's panel: every query of every panel, and the `service` variable's, is
//! evaluated through Prometheus's HTTP API and must return data.

use std::path::Path;
use std::time::Duration;

use porticus_tests::harness::http_caller;
use porticus_tests::process::{self, Service};
use serde_json::Value;

mod amqp_reader;
mod common;
mod processes;

const SOON: Duration = Duration::from_secs(30);
/// Subscribers first: an event's queue must exist before it is emitted.
const SERVICES: [&str; 4] = ["notifications", "analytics", "payments", "orders"];

/// A Prometheus server of its own, stopped when dropped.
struct Prometheus {
    child: std::process::Child,
    base: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts `prometheus` (Debian package `prometheus`; `.ci/run` installs it) scraping
    /// `targets` every second, with its data in a fresh temporary folder.
    async fn start(targets: &[String]) -> Prometheus {
        let dir = std::env::temp_dir().join(format!("porticus-prometheus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder for Prometheus");
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        std::fs::write(
            dir.join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: porticus\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ),
        )
        .expect("write prometheus.yml");
        let port = process::free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("a log file");
        let child = std::process::Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .spawn()
            .expect("prometheus runs (Debian package `prometheus`; .ci/run installs it)");
        let prometheus = Prometheus {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let ready = format!("{}/-/ready", prometheus.base);
        let deadline = tokio::time::Instant::now() + SOON;
        loop {
            if let Ok(reply) = reqwest::get(&ready).await {
                if reply.status().is_success() {
                    break;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Prometheus not ready within {SOON:?}: see {}",
                dir.join("prometheus.log").display()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        prometheus
    }

    /// The instant query's `data.result`, or why it failed.
    async fn query(&self, expr: &str) -> Result<Vec<Value>, String> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.base),
            &[("query", expr)],
        )
        .map_err(|e| e.to_string())?;
        let reply = reqwest::get(url).await.map_err(|e| e.to_string())?;
        let text = reply.text().await.map_err(|e| e.to_string())?;
        let body: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if body["status"] != "success" {
            return Err(body.to_string());
        }
        Ok(body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

/// `expr` as Grafana would send it with every service selected.
fn grafana(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("${service}", ".*")
        .replace("$service", ".*")
}

/// The admin address a service's startup summary names.
async fn admin_of(service: &mut Service) -> String {
    let rest = service.line_after("admin endpoint on http://", SOON).await;
    rest.split_whitespace()
        .next()
        .expect("an address")
        .to_owned()
}

/// Three sums from `caller` over HTTP.
async fn sum_thrice(caller: &porticus::Node) {
    for right in 1..=3 {
        let reply = caller
            .act(serde_json::json!({"role": "math", "cmd": "sum", "left": 1, "right": right}))
            .await
            .expect("math answers over HTTP");
        assert_eq!(reply["answer"], serde_json::json!(1.0 + f64::from(right)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_has_data_for_the_shop_over_amqp() {
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../deploy/grafana/porticus.json"),
        )
        .expect("the dashboard"),
    )
    .expect("the dashboard is JSON");
    let bins = process::build(&[processes::BINARIES.as_slice(), &["math"]].concat());
    let moves = processes::amqp_moves();
    let mut running = Vec::new();
    let mut targets = Vec::new();
    for name in SERVICES {
        let dir = process::config_copy(&format!("examples/shop/{name}/config"), &moves);
        let mut service = Service::start(name, &bins[name], "amqp", &dir);
        service.line_containing("listener on ", SOON).await;
        targets.push(admin_of(&mut service).await);
        running.push(service);
    }
    let dir = process::config_copy("examples/shop/gateway/config", &moves);
    let mut gateway = Service::start("gateway", &bins["gateway"], "amqp", &dir);
    targets.push(admin_of(&mut gateway).await);
    let base = gateway.line_after("gateway listening on ", SOON).await;
    let math_port = process::free_port().to_string();
    let dir = process::config_copy(
        "examples/math/config",
        &[(
            "127.0.0.1:10101".to_owned(),
            format!("127.0.0.1:{math_port}"),
        )],
    );
    let mut math = Service::start("math", &bins["math"], "http", &dir);
    let url = math.line_after("http listener on ", SOON).await;
    targets.push(admin_of(&mut math).await);
    let math_caller = http_caller(&url);
    let prometheus = Prometheus::start(&targets).await;

    let reader = amqp_reader::reader("shop-dashboard-reader").await;
    // A little load, twice, with scrapes in between: rates need two samples.
    let outcome = shop::run(&base, &reader).await.expect("the scenario runs");
    common::assert_outcome(&outcome);
    sum_thrice(&math_caller).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    shop::run(&base, &reader)
        .await
        .expect("the scenario runs again");
    sum_thrice(&math_caller).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Every service is scraped and named by the dashboard's variable.
    let up = prometheus.query("up == 1").await.expect("up");
    assert_eq!(up.len(), targets.len(), "every target up: {up:?}");
    let variable = grafana(
        dashboard["templating"]["list"]
            .as_array()
            .and_then(|l| l.iter().find(|v| v["name"] == "service"))
            .and_then(|v| v["definition"].as_str())
            .expect("a service variable"),
    );
    let metric = variable
        .strip_prefix("label_values(")
        .and_then(|r| r.strip_suffix(", service)"))
        .expect("label_values(<metric>, service)");
    let services = prometheus
        .query(&format!("count by (service) ({metric})"))
        .await
        .expect("the variable's query");
    let named: Vec<&str> = services
        .iter()
        .filter_map(|s| s["metric"]["service"].as_str())
        .collect();
    for service in [
        "math",
        "gateway",
        "orders",
        "payments",
        "notifications",
        "analytics",
    ] {
        assert!(named.contains(&service), "{service} in {named:?}");
    }

    let mut problems = Vec::new();
    let mut checked = 0;
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = grafana(target["expr"].as_str().expect("an expr"));
            checked += 1;
            match prometheus.query(&expr).await {
                Ok(result) if result.is_empty() => {
                    problems.push(format!("{}: no data for {expr}", panel["title"]))
                }
                Ok(_) => {}
                Err(e) => problems.push(format!("{}: {expr} failed: {e}", panel["title"])),
            }
        }
    }
    assert!(checked >= 10, "only {checked} queries in the dashboard");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    drop(prometheus);
    assert!(gateway.stop(SOON).await, "gateway exits 0 on SIGTERM");
    assert!(math.stop(SOON).await, "math exits 0 on SIGTERM");
    for service in running {
        assert!(service.stop(SOON).await, "each service exits 0 on SIGTERM");
    }
}
