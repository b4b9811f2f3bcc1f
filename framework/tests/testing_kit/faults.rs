//! Seeded faults on the in-process transport and on mocks: latency, errors with a chosen code,
//! drops, duplicates — the same seed, the same run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use porticus::testing::{FaultRule, Faults, Mock, Seed, TestNode};
use porticus::transport::local::LocalClient;
use porticus::{ActError, Code, Node};
use serde_json::{json, Value};

/// The outcome of each of 40 acts through a `LocalClient` with seeded faults: `ok`, an error
/// code, and the virtual milliseconds it took.
async fn run_through_local(seed: u64) -> Vec<(String, u128)> {
    let server = Node::builder()
        .without_registered()
        .add("role:stock", |_: Value| async {
            Ok::<_, ActError>(json!(1))
        })
        .build()
        .unwrap();
    let faults = Faults::seeded(seed);
    faults
        .rule(
            "role:stock",
            FaultRule::new()
                .latency(Duration::from_millis(10), Duration::from_millis(200))
                .errors(0.25, ActError::new(Code::OVERLOADED, "busy"))
                .drops(0.1),
        )
        .unwrap();
    let client = LocalClient::with_faults(server, faults);
    let caller = Node::builder()
        .without_registered()
        .timeout(Duration::from_secs(1))
        .client("role:stock", client)
        .build()
        .unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..40 {
        let started = tokio::time::Instant::now();
        let outcome = match caller.act(json!({"role": "stock"})).await {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code().as_str().to_owned(),
        };
        outcomes.push((outcome, started.elapsed().as_millis()));
    }
    outcomes
}

#[tokio::test(start_paused = true)]
async fn the_in_process_transport_replays_its_faults_from_the_seed() {
    let first = run_through_local(99).await;
    assert_eq!(
        first,
        run_through_local(99).await,
        "the same seed, the same run"
    );
    assert_ne!(
        first,
        run_through_local(100).await,
        "another seed, another run"
    );
    let count = |code: &str| first.iter().filter(|(c, _)| c == code).count();
    assert!(
        count("ok") > 0 && count("overloaded") > 0 && count("action_timeout") > 0,
        "{first:?}"
    );
    for (outcome, ms) in &first {
        match outcome.as_str() {
            // A dropped act ends at the caller's 1 s deadline.
            "action_timeout" => assert_eq!(*ms, 1000),
            _ => assert!((10..=200).contains(ms), "{outcome} after {ms} ms"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn mocks_take_seeded_faults_too_and_duplicates_reach_them_twice() {
    let answered = Arc::new(AtomicUsize::new(0));
    let counted = answered.clone();
    let node = TestNode::builder()
        .seed(Seed::new(5))
        .mock(
            "role:payment",
            Mock::reply(move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
                async { Ok(json!({"payment": "p"})) }
            }),
        )
        .fault("role:payment", FaultRule::new().duplicates(1.0))
        .build();
    node.act(json!({"role": "payment"})).await.unwrap();
    assert_eq!(answered.load(Ordering::SeqCst), 2);
    node.assert_called("role:payment", 2);
}
