//! Unit tests of the analytics service with `porticus::testing`: order events are injected out
//! of order and in a seeded shuffle with duplicates, and `role:analytics,cmd:stats` must count
//! the same orders and the same revenue as when they come in order.
//!
//! The service keeps its state in a process-wide static, so each test uses its own order ids,
//! and the tests that measure revenue (a single process-wide total) take turns.

use std::collections::BTreeMap;

use porticus::testing::{Order, Seed, TestNode};
use serde_json::{json, Value};

/// Revenue is one total for the whole process: tests that read its change run one at a time.
static REVENUE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn node() -> TestNode {
    TestNode::builder()
        .handler(analytics::order_placed)
        .handler(analytics::order_shipped)
        .handler(analytics::stats)
        .seed(Seed::new(20_251_205))
        .build()
}

fn placed(order: &str, total_cents: u64) -> Value {
    json!({"event": "order_placed", "order": order, "customer": "ada", "total_cents": total_cents})
}

fn shipped(order: &str) -> Value {
    json!({"event": "order_shipped", "order": order, "customer": "ada"})
}

/// What `role:analytics,cmd:stats` reports.
struct Stats {
    /// event → order → deliveries.
    events: BTreeMap<String, BTreeMap<String, u32>>,
    revenue_cents: u64,
}

async fn stats(node: &TestNode) -> Stats {
    let reply = node
        .act(json!({"role": "analytics", "cmd": "stats"}))
        .await
        .expect("stats");
    Stats {
        events: serde_json::from_value(reply["events"].clone()).expect("event → order → count"),
        revenue_cents: reply["revenue_cents"].as_u64().expect("revenue_cents"),
    }
}

impl Stats {
    /// The deliveries of `event` for each of `orders`, in that order (0 when none came).
    fn counts(&self, event: &str, orders: &[String]) -> Vec<u32> {
        let seen = self.events.get(event);
        orders
            .iter()
            .map(|o| seen.and_then(|s| s.get(o)).copied().unwrap_or(0))
            .collect()
    }
}

/// What an injection left in the stats for its orders: deliveries counted per order of
/// `order_placed`, of `order_shipped`, and the revenue it added.
type Counted = (Vec<u32>, Vec<u32>, u64);

/// Injects `events` in `order`; returns the events in the order they were delivered and what
/// the stats counted for `orders`.
async fn run(
    node: &TestNode,
    events: Vec<Value>,
    order: Order,
    orders: &[String],
) -> (Vec<Value>, Counted) {
    let before = stats(node).await.revenue_cents;
    let mut delivered = Vec::new();
    for injected in node.inject_all(events, order).await {
        assert!(injected.is_acked(), "{injected:?}");
        delivered.push(injected.event);
    }
    let after = stats(node).await;
    let counted = (
        after.counts("order_placed", orders),
        after.counts("order_shipped", orders),
        after.revenue_cents - before,
    );
    (delivered, counted)
}

#[tokio::test]
async fn shipped_before_placed_counts_the_same_as_in_order() {
    let _turn = REVENUE.lock().await;
    let node = node();
    let in_order = ["o-an-early-1".to_owned()];
    let reversed = ["o-an-early-2".to_owned()];

    let (_, expected) = run(
        &node,
        vec![placed(&in_order[0], 1500), shipped(&in_order[0])],
        Order::AsGiven,
        &in_order,
    )
    .await;
    assert_eq!(expected, (vec![1], vec![1], 1500));

    let (_, got) = run(
        &node,
        vec![shipped(&reversed[0]), placed(&reversed[0], 1500)],
        Order::AsGiven,
        &reversed,
    )
    .await;
    assert_eq!(got, expected);
}

/// Three orders placed, two shipped, with a redelivered `order_placed` and `order_shipped`.
fn history(ids: &[String]) -> Vec<Value> {
    vec![
        placed(&ids[0], 1000),
        placed(&ids[1], 2500),
        placed(&ids[1], 2500),
        shipped(&ids[0]),
        placed(&ids[2], 700),
        shipped(&ids[1]),
        shipped(&ids[0]),
    ]
}

#[tokio::test]
async fn a_seeded_shuffle_with_duplicates_counts_the_same_as_in_order() {
    let _turn = REVENUE.lock().await;
    let node = node();
    let in_order: Vec<String> = (1..=3).map(|i| format!("o-an-given-{i}")).collect();
    let shuffled: Vec<String> = (1..=3).map(|i| format!("o-an-shuffled-{i}")).collect();

    let (_, expected) = run(&node, history(&in_order), Order::AsGiven, &in_order).await;
    assert_eq!(expected, (vec![1, 2, 1], vec![2, 1, 0], 4200));

    let (delivered, got) = run(&node, history(&shuffled), Order::Shuffled, &shuffled).await;
    // The seed must actually reorder the events, or this test proves nothing.
    assert_ne!(delivered, history(&shuffled), "seed {}", node.seed());
    assert_eq!(got, expected, "seed {}", node.seed());
}
