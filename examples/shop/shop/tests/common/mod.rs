//! What every mode of the shop's end-to-end test shares.

use std::collections::BTreeSet;

use serde_json::{json, Value};

/// The placed orders' totals: ada's lamp (2500) and linus's three pens (3 × 150).
const REVENUE_CENTS: u64 = 2950;

/// The assertions of every mode: two orders placed and shipped; the declined card's error from
/// the payment service intact at the gateway (code, message and details); and each subscriber
/// having handled each event exactly once per placed order — and for no other order — even after
/// [`shop::SETTLE`] of further observation (the outcome is read after it).
pub fn assert_outcome(outcome: &shop::Outcome) {
    let placed: BTreeSet<&str> = outcome.placed.iter().map(String::as_str).collect();
    assert_eq!(placed.len(), 2, "two distinct orders placed: {outcome:?}");

    let (status, error) = &outcome.declined;
    assert_eq!(*status, 402, "{outcome:?}");
    assert_eq!(error["code"], "card_declined", "{outcome:?}");
    assert_eq!(error["message"], "card …0002 was declined", "{outcome:?}");
    let declined = error["details"]["order"]
        .as_str()
        .unwrap_or_else(|| panic!("the decline's details name the order: {outcome:?}"));
    assert_eq!(
        error["details"],
        json!({ "order": declined }),
        "the decline's details arrive as payments sent them: {outcome:?}"
    );
    assert!(
        declined.starts_with("o-") && !placed.contains(declined),
        "details.order is the declined order's id: {outcome:?}"
    );

    // The subscribers act on an order's first delivery only: an order in their reply was handled
    // once, however many deliveries (printed by the scenario) it took.
    assert_eq!(
        handled(&outcome.notified["orders"], "notifications"),
        placed,
        "notifications: sent exactly once per shipped order, for no other: {outcome:?}"
    );
    let events: BTreeSet<&str> = outcome.stats["events"]
        .as_object()
        .map(|events| events.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        events,
        BTreeSet::from(["order_placed", "order_shipped"]),
        "{outcome:?}"
    );
    for event in events {
        assert_eq!(
            handled(&outcome.stats["events"][event], "analytics"),
            placed,
            "analytics: {event} counted exactly once per placed order, for no other: {outcome:?}"
        );
    }
    // Revenue is added when an order_placed is handled: once per order, or it would be more.
    assert_eq!(
        outcome.stats["revenue_cents"], REVENUE_CENTS,
        "analytics: each order's revenue counted once: {outcome:?}"
    );
}

/// The orders in a subscriber's reply (`{order: deliveries}`): each with at least one delivery.
fn handled<'a>(deliveries: &'a Value, subscriber: &str) -> BTreeSet<&'a str> {
    let deliveries = deliveries
        .as_object()
        .unwrap_or_else(|| panic!("{subscriber}: no deliveries per order in {deliveries}"));
    for (order, count) in deliveries {
        assert!(
            count.as_u64().is_some_and(|n| n >= 1),
            "{subscriber}: {order} has {count} deliveries"
        );
    }
    deliveries.keys().map(String::as_str).collect()
}

/// Where the test sees the services' info logs (one process): each subscriber logged handling
/// each event exactly once per placed order — a second handling would log again — and never
/// for the declined order.
#[allow(dead_code)] // Not every mode sees the logs.
pub fn assert_handled_once_in_log(log: &str, outcome: &shop::Outcome) {
    let declined = outcome.declined.1["details"]["order"]
        .as_str()
        .unwrap_or_default();
    let handlers = [
        ("notifications: told ", "notifications sent order_shipped"),
        (
            "analytics: counted order_placed",
            "analytics counted order_placed",
        ),
        (
            "analytics: counted order_shipped",
            "analytics counted order_shipped",
        ),
    ];
    for (marker, what) in handlers {
        for id in &outcome.placed {
            assert_eq!(
                handlings(log, marker, id),
                1,
                "{what} for {id} exactly once:\n{log}"
            );
        }
        assert_eq!(
            handlings(log, marker, declined),
            0,
            "{what} never for the declined {declined}:\n{log}"
        );
    }
}

/// Log lines containing `marker` about `order` (the `order=…` field).
/// Log lines saying `marker` about `order`: text lines (`… order=<id>`) or JSON lines
/// (`"order":"<id>"`), as the service logs to a terminal or not.
fn handlings(log: &str, marker: &str, order: &str) -> usize {
    let field = format!("order={order}");
    log.lines()
        .filter(|line| line.contains(marker))
        .filter(
            |line| match serde_json::from_str::<serde_json::Value>(line) {
                Ok(json) => json["order"] == order,
                Err(_) => line.split_whitespace().any(|token| token == field),
            },
        )
        .count()
}
