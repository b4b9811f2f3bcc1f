//! The analytics service: counts placed and shipped orders. It subscribes to
//! `event:order_placed` and `event:order_shipped` — added without touching the orders service.
//!
//! Delivery is at least once, so it counts distinct orders.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use porticus::ActError;
use serde::Deserialize;
use serde_json::{json, Value};

/// The part of an order event analytics reads.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderEvent {
    /// `order_placed` or `order_shipped`.
    pub event: String,
    /// The order.
    pub order: String,
    /// The total, on `order_placed`.
    #[serde(default)]
    pub total_cents: u64,
}

#[derive(Default)]
struct Stats {
    /// (event, order) → deliveries.
    seen: BTreeMap<(String, String), u32>,
    revenue_cents: u64,
}

static STATS: LazyLock<Mutex<Stats>> = LazyLock::new(Default::default);

fn record(ev: OrderEvent) {
    let mut stats = STATS.lock().unwrap_or_else(PoisonError::into_inner);
    let count = stats
        .seen
        .entry((ev.event.clone(), ev.order.clone()))
        .or_insert(0);
    *count += 1;
    if *count == 1 {
        stats.revenue_cents += ev.total_cents;
        tracing::info!(order = %ev.order, "analytics: counted {}", ev.event);
    }
}

/// Counts placed orders.
#[porticus::event("event:order_placed")]
pub async fn order_placed(ev: OrderEvent) -> Result<(), ActError> {
    record(ev);
    Ok(())
}

/// Counts shipped orders.
#[porticus::event("event:order_shipped")]
pub async fn order_shipped(ev: OrderEvent) -> Result<(), ActError> {
    record(ev);
    Ok(())
}

/// `role:analytics,cmd:stats`: deliveries per event and order, and the revenue counted.
#[porticus::action("role:analytics,cmd:stats")]
pub async fn stats(_msg: Value) -> Result<Value, ActError> {
    let stats = STATS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut events: BTreeMap<&str, BTreeMap<&str, u32>> = BTreeMap::new();
    for ((event, order), count) in &stats.seen {
        events.entry(event).or_default().insert(order, *count);
    }
    Ok(json!({ "events": events, "revenue_cents": stats.revenue_cents }))
}
