//! The drain of a real service process (the math example over HTTP, its own config files):
//! on SIGTERM `/readyz` turns 503 while acts still succeed for `[admin] drain_delay_ms`, then
//! the process exits 0; ctrl-c (SIGINT) does not wait.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use porticus_tests::harness::http_caller;
use porticus_tests::process::{self, Service};
use porticus_tests::raw::{self, SOON};
use serde_json::{json, Value};

/// The drain delay of these tests, in ms: short, to keep them fast.
const DELAY_MS: u64 = 1_500;

/// The math example over HTTP (port 0) with its admin endpoint on a free port and
/// `PORTICUS__ADMIN__DRAIN_DELAY_MS` = `delay_ms`; returns it, its act URL and admin address.
async fn math(delay_ms: u64) -> (Service, String, SocketAddr) {
    let bins = process::build(&["math"]);
    let admin = SocketAddr::from(([127, 0, 0, 1], process::free_port()));
    let dir = process::config_copy(
        "examples/math/config",
        &[
            ("127.0.0.1:10101".into(), "127.0.0.1:0".into()),
            // The example's own admin port, moved: the test must not collide with anything.
            ("127.0.0.1:9464".into(), admin.to_string()),
        ],
    );
    let delay = delay_ms.to_string();
    let mut math = Service::start_with(
        "math",
        &bins["math"],
        "http",
        &dir,
        &[("PORTICUS__ADMIN__DRAIN_DELAY_MS", delay.as_str())],
    );
    let url = math.line_after("http listener on ", SOON).await;
    math.wait_for_port(admin, SOON).await;
    (math, url, admin)
}

async fn readyz(admin: SocketAddr) -> (u16, Value) {
    let reply = raw::send(
        &format!("http://{admin}/"),
        &raw::bodiless("GET", "/readyz"),
    )
    .await;
    (reply.status, reply.json())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_turns_unready_keeps_serving_for_the_delay_then_exits_0() {
    let (mut math, url, admin) = math(DELAY_MS).await;
    let (status, body) = readyz(admin).await;
    assert_eq!(status, 200, "{body}");
    let caller = http_caller(&url);
    let sum = json!({"role": "math", "cmd": "sum", "left": 1, "right": 2});
    assert_eq!(
        caller.act(sum.clone()).await.expect("before"),
        json!({"answer": 3.0})
    );

    math.terminate();
    let signalled = Instant::now();
    // /readyz turns 503 first (a probe has nothing to await but its next answer).
    let body = loop {
        let (status, body) = readyz(admin).await;
        if status == 503 {
            break body;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            signalled.elapsed() < SOON,
            "/readyz still 200 after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(body["status"], "draining", "{body}");
    assert_eq!(body["phase"], "draining");
    assert!(
        body["reasons"][0].as_str().unwrap().contains("draining"),
        "{body}"
    );
    // …while the service keeps serving acts, and stays alive.
    for n in 0..5 {
        let reply = caller
            .act(json!({"role": "math", "cmd": "product", "left": n, "right": 2}))
            .await
            .unwrap_or_else(|e| panic!("act {n} during the drain delay: {e}"));
        assert_eq!(reply, json!({"answer": f64::from(n * 2)}));
    }
    let (status, _) = readyz(admin).await;
    if signalled.elapsed() < Duration::from_millis(DELAY_MS) {
        assert_eq!(status, 503, "still draining");
        assert!(!math.has_exited(), "exited before the drain delay");
    }

    assert!(math.wait(SOON).await, "exits 0 after the drain");
    // Timers never fire early: it served for at least the delay.
    assert!(
        signalled.elapsed() >= Duration::from_millis(DELAY_MS),
        "exited {:?} after SIGTERM, before the {DELAY_MS} ms drain delay",
        signalled.elapsed()
    );
    // And it is gone: nothing answers acts any more.
    assert!(caller.act(sum).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_at_once_without_the_drain_delay() {
    // A delay far longer than the test may take: SIGINT must not wait for it.
    let (mut math, _url, admin) = math(600_000).await;
    assert_eq!(readyz(admin).await.0, 200);
    math.signal("INT");
    assert!(
        math.wait(SOON).await,
        "exits 0 on ctrl-c, without the drain delay"
    );
}
