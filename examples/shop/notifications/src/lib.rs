//! The notifications service: tells customers their order shipped. It subscribes to
//! `event:order_shipped` — added without touching the orders service.
//!
//! Delivery is at least once, so it remembers what it already sent and sends once per order.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use porticus::ActError;
use serde::Deserialize;
use serde_json::{json, Value};

/// `event:order_shipped`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderShipped {
    /// The order.
    pub order: String,
    /// Who to tell.
    pub customer: String,
}

/// Deliveries per order (a redelivery counts, but sends nothing).
static SEEN: LazyLock<Mutex<BTreeMap<String, u32>>> = LazyLock::new(Default::default);

/// Notifies the customer, once per order.
#[porticus::event("event:order_shipped")]
pub async fn order_shipped(ev: OrderShipped) -> Result<(), ActError> {
    let first = {
        let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
        let count = seen.entry(ev.order.clone()).or_insert(0);
        *count += 1;
        *count == 1
    };
    if first {
        tracing::info!(order = %ev.order, "notifications: told {} that order {} shipped", ev.customer, ev.order);
    }
    Ok(())
}

/// `role:notification,cmd:sent`: the orders notified so far, with how often each event arrived.
#[porticus::action("role:notification,cmd:sent")]
pub async fn sent(_msg: Value) -> Result<Value, ActError> {
    let seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(json!({ "orders": *seen }))
}
