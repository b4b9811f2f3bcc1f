//! A retry policy across a real transport: the math example runs as its own OS process behind
//! its HTTP listener, is stopped, and is started again while an act for it is under way. With
//! `[[policy]] retries`, the act rides out the refused connections and gets its answer; without
//! one, it fails at once with `transport_unavailable`. Real time here (two processes), so only
//! the outcome is asserted; the figures are printed.

use std::time::{Duration, Instant};

use porticus::config::Config;
use porticus::{Code, Node};
use porticus_tests::process::{self, Service};
use porticus_tests::raw::SOON;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_retries_through_a_restart_of_its_service() {
    let bins = process::build(&["math"]);
    let port = process::free_port();
    let bind = format!("127.0.0.1:{port}");
    let dir = process::config_copy(
        "examples/math/config",
        &[("127.0.0.1:10101".into(), bind.clone())],
    );
    let start = || Service::start("math", &bins["math"], "http", &dir);
    let mut math = start();
    math.line_after("http listener on ", SOON).await;

    let client = format!(
        "[[client]]\ntype = \"http\"\nurl = \"http://{bind}/act\"\npin = \"role:math\"\nconnect_timeout_ms = 200\n"
    );
    let policy = "[[policy]]\npattern = \"role:math\"\nretries = 200\nbackoff_ms = 20\nmax_backoff_ms = 100\n";
    let node = |toml: &str| {
        Node::builder()
            .without_registered()
            .config(&Config::from_toml_str(toml).unwrap())
            .build()
            .unwrap()
    };
    let patient = node(&format!("{client}{policy}"));
    let plain = node(&client);
    let sum = json!({"role": "math", "cmd": "sum", "left": 1, "right": 2, "timeout$": 15_000});

    assert_eq!(
        patient.act(sum.clone()).await.unwrap(),
        json!({"answer": 3.0})
    );
    assert!(math.stop(SOON).await, "math exits 0 on SIGTERM");

    // Down: without a policy the act fails at once.
    let err = plain.act(sum.clone()).await.unwrap_err();
    assert_eq!(*err.code(), Code::TRANSPORT_UNAVAILABLE);

    // With one, it waits out the restart.
    let began = Instant::now();
    let act = tokio::spawn({
        let patient = patient.clone();
        let sum = sum.clone();
        async move { patient.act(sum).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !act.is_finished(),
        "still retrying while the service is down"
    );
    let restarted = Instant::now();
    let mut math = start();
    math.line_after("http listener on ", SOON).await;
    let reply = act.await.unwrap();
    println!(
        "RESULT act_took_ms={} restart_took_ms={} reply={reply:?}",
        began.elapsed().as_millis(),
        restarted.elapsed().as_millis()
    );
    assert_eq!(reply.unwrap(), json!({"answer": 3.0}));
    assert!(math.stop(SOON).await);
    std::fs::remove_dir_all(&dir).ok();
}
