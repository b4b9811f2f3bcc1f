//! Injected events: each subscriber's outcome and the broker's settlement, duplicates,
//! shuffled orders from the seed, and redelivery until settled.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use porticus::testing::{Order, Seed, TestNode};
use porticus::transport::{Disposition, Redelivery};
use porticus::{ActError, Code};
use serde_json::{json, Value};

use super::panic_text;

#[tokio::test]
async fn each_outcome_and_the_settlement_a_broker_would_apply() {
    let node = TestNode::builder()
        .subscribe("event:paid", |_: Value| async { Ok::<_, ActError>(()) })
        .subscribe("event:paid", |_: Value| async {
            Err::<(), _>(ActError::new(Code::TRANSPORT_UNAVAILABLE, "ledger down"))
        })
        .subscribe("event:refunded", |_: Value| async {
            Err::<(), _>(ActError::invalid_msg("no amount"))
        })
        .build();
    let retried = node.inject(json!({"event": "paid"})).await;
    assert_eq!(
        (retried.succeeded().count(), retried.failed().count()),
        (1, 1)
    );
    assert_eq!(
        retried.disposition,
        Disposition::Retry {
            after: Duration::from_secs(1)
        }
    );
    let permanent = node.inject(json!({"event": "refunded"})).await;
    assert!(
        matches!(permanent.disposition, Disposition::DeadLetter { ref reason } if reason.code() == &Code::ACT_INVALID_MSG)
    );
    let nobody = node.inject(json!({"event": "unheard"})).await;
    assert!(nobody.is_acked() && nobody.delivery.is_empty());
}

/// Counts every notification it sends: sends a second one for a duplicate.
fn counting_mailer(
    sent: Arc<AtomicUsize>,
) -> impl Fn(Value) -> std::future::Ready<Result<(), ActError>> + Clone {
    move |_| {
        sent.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(()))
    }
}

#[tokio::test]
async fn a_subscriber_that_is_not_idempotent_is_caught_by_duplicates_with_the_seed() {
    let text = panic_text(async {
        let sent = Arc::new(AtomicUsize::new(0));
        let node = TestNode::builder()
            .seed(Seed::new(1234))
            .subscribe("event:shipped", counting_mailer(sent.clone()))
            .build();
        node.assert_idempotent(json!({"event": "shipped", "order": 1}), || async {
            sent.load(Ordering::SeqCst)
        })
        .await;
    })
    .await;
    assert!(
        text.contains(r#"the subscribers of {"event":"shipped","order":1} are not idempotent"#)
            && text.contains("after one delivery 1")
            && text.contains("seed 1234 (rerun with PORTICUS_TEST_SEED=1234)"),
        "{text}"
    );
}

#[tokio::test]
async fn an_idempotent_subscriber_passes_the_same_check() {
    let sent = Arc::new(Mutex::new(BTreeSet::new()));
    let mailer = sent.clone();
    let node = TestNode::builder()
        .subscribe("event:shipped", move |ev: Value| {
            let mailer = mailer.clone();
            async move {
                mailer.lock().unwrap().insert(ev["order"].to_string());
                Ok::<_, ActError>(())
            }
        })
        .build();
    let twice = node
        .inject_times(json!({"event": "shipped", "order": 2}), 2)
        .await;
    assert!(twice.iter().all(|i| i.is_acked() && i.attempt == 1));
    node.assert_idempotent(json!({"event": "shipped", "order": 3}), || async {
        sent.lock().unwrap().clone()
    })
    .await;
    assert_eq!(sent.lock().unwrap().len(), 2);
}

fn recorder(
    seen: Arc<Mutex<Vec<i64>>>,
) -> impl Fn(Value) -> std::future::Ready<Result<(), ActError>> + Clone {
    move |ev| {
        seen.lock().unwrap().push(ev["n"].as_i64().unwrap_or(-1));
        std::future::ready(Ok(()))
    }
}

async fn shuffled_with(seed: u64) -> Vec<i64> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let node = TestNode::builder()
        .seed(Seed::new(seed))
        .subscribe("event:tick", recorder(seen.clone()))
        .build();
    let events = (0..10).map(|n| json!({"event": "tick", "n": n})).collect();
    node.inject_all(events, Order::Shuffled).await;
    let order = seen.lock().unwrap().clone();
    order
}

#[tokio::test]
async fn a_shuffled_order_comes_from_the_seed() {
    let first = shuffled_with(42).await;
    assert_eq!(
        first,
        shuffled_with(42).await,
        "the same seed, the same order"
    );
    assert_ne!(first, (0..10).collect::<Vec<_>>(), "shuffled");
    let mut differs = false;
    for seed in [7, 8, 9] {
        differs |= shuffled_with(seed).await != first;
    }
    assert!(differs, "other seeds give other orders");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let node = TestNode::builder()
        .subscribe("event:tick", recorder(seen.clone()))
        .build();
    let events = (0..5).map(|n| json!({"event": "tick", "n": n})).collect();
    node.inject_all(events, Order::AsGiven).await;
    assert_eq!(*seen.lock().unwrap(), [0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn successive_shuffles_of_one_node_draw_on_from_its_seed() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let node = TestNode::builder()
        .seed(Seed::new(42))
        .subscribe("event:tick", recorder(seen.clone()))
        .build();
    let events: Vec<Value> = (0..10).map(|n| json!({"event": "tick", "n": n})).collect();
    node.inject_all(events.clone(), Order::Shuffled).await;
    node.inject_all(events, Order::Shuffled).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen[..10],
        shuffled_with(42).await[..],
        "the first draw is the seed's"
    );
    assert_ne!(
        seen[..10],
        seen[10..],
        "the second shuffle goes on from the first"
    );
}

#[tokio::test(start_paused = true)]
async fn redelivery_runs_the_backoff_on_tokios_clock_until_settled() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = attempts.clone();
    let node = TestNode::builder()
        .redelivery(Redelivery {
            max_attempts: 4,
            backoff: Duration::from_secs(10),
            backoff_max: Duration::from_secs(60),
        })
        .subscribe("event:sync", |_: Value| async { Ok::<_, ActError>(()) })
        .subscribe("event:sync", move |_: Value| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(ActError::execute("still down")) }
        })
        .build();
    let started = tokio::time::Instant::now();
    let deliveries = node.inject_until_settled(json!({"event": "sync"})).await;
    assert_eq!(deliveries.len(), 4);
    // The one that succeeded ran once; the failing one on every attempt.
    assert_eq!(deliveries[1].delivery.iter().count(), 1);
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
    assert!(matches!(
        deliveries[3].disposition,
        Disposition::DeadLetter { .. }
    ));
    // 10 + 20 + 40 s of backoff, in no wall time.
    assert_eq!(started.elapsed().as_secs(), 70);
}
