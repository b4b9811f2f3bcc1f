//! `cargo run -p shop -- --serve` in a real browser: the shop binary serves the live page, REST
//! and Socket.IO on one port; headless Chromium (Debian's, driven by playwright-core from
//! tests/browser) opens the page, connects as a customer, places an order through it and waits
//! until the page shows that order's `order_shipped`. Another customer's order, placed over
//! REST meanwhile, must never appear on the page. A screenshot is left at
//! `target/live-page.png`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// Far more than any step needs, for a loaded machine (a bound, not a measurement).
const WITHIN: Duration = Duration::from_secs(120);

/// The shop binary with `--serve`, stopped with ctrl-c (SIGINT) when dropped if still running.
struct Shop {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Shop {
    fn serve() -> (Shop, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shop"))
            .arg("--serve")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("PORTICUS_ENV")
            .env_remove("PORTICUS_CONFIG_DIR")
            .env("PORTICUS__APP__SERVE", "127.0.0.1:0")
            .env("PORTICUS__APP__SHIP_AFTER_MS", "300")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the shop binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("shop: {line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let shop = Shop { child, lines };
        let url = loop {
            let line = shop
                .lines
                .recv_timeout(WITHIN)
                .expect("the shop prints its URL");
            if let Some(rest) = line.strip_prefix("shop live on ") {
                break rest.split_whitespace().next().expect("a URL").to_owned();
            }
        };
        (shop, url)
    }

    /// ctrl-c, and the exit status.
    fn interrupt(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "send SIGINT to the shop");
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the shop") {
                return status;
            }
            assert!(
                started.elapsed() < WITHIN,
                "the shop did not stop on ctrl-c"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../target"))
}

/// Debian's Chromium, which `.ci/run` installs (`apt-get install chromium chromium-driver`).
fn chromium() -> &'static str {
    let path = "/usr/bin/chromium";
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install Debian's chromium (as .ci/run does: apt-get install chromium chromium-driver)"
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_sees_their_order_placed_paid_and_shipped_live_in_chromium() {
    let chromium = chromium();
    let dir = porticus_tests::npm::prepare("browser");
    let (mut shop, url) = Shop::serve();

    // The page and its client script are served beside the REST routes.
    let http = reqwest::Client::new();
    let page = http.get(&url).send().await.expect("GET /");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("the page");
    assert!(
        html.contains("<script src=\"/socket.io.min.js\">"),
        "{html}"
    );

    // Another customer's order, over REST: the page must never show it.
    let other = http
        .post(format!("{url}orders"))
        .header("content-type", "application/json")
        .body(
            json!({"customer": "eve", "card": "4000-0000-0000-0001",
                   "items": [{"sku": "mug", "qty": 2, "price_cents": 900}]})
            .to_string(),
        )
        .send()
        .await
        .expect("POST /orders for eve");
    assert_eq!(other.status(), 201);
    let other: Value =
        serde_json::from_str(&other.text().await.expect("eve's order")).expect("JSON");
    let other = other["id"].as_str().expect("an order id").to_owned();

    let screenshot = target_dir().join("live-page.png");
    let browser = tokio::process::Command::new("node")
        .arg("live_page.js")
        .args([&url, "grace", &screenshot.display().to_string()])
        .current_dir(&dir)
        .env("CHROMIUM", chromium)
        .output();
    let output = tokio::time::timeout(WITHIN, browser)
        .await
        .expect("the browser run ends")
        .expect("node runs live_page.js");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("live_page.js printed no report: {stdout}"));
    println!("RESULT live page: {report}");
    assert!(
        report.get("error").is_none(),
        "the browser run failed: {report:#}"
    );

    let order = report["order"].as_str().expect("the page's order id");
    let events = report["events"].as_array().expect("the page's events");
    let shown = |kind: &str, id: &str| {
        events
            .iter()
            .any(|e| e["event"] == kind && e["order"] == id)
    };
    assert!(shown("order_placed", order), "{report:#}");
    assert!(shown("payment", order), "{report:#}");
    assert!(shown("order_shipped", order), "{report:#}");
    assert!(
        events.iter().all(|e| e["order"] != other.as_str()),
        "eve's order {other} reached grace's page: {report:#}"
    );
    assert!(
        screenshot.exists(),
        "a screenshot at {}",
        screenshot.display()
    );

    let status = shop.interrupt();
    assert!(status.success(), "the shop exits 0 on ctrl-c, not {status}");
}
