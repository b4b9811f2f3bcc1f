//! The orders service: `role:order,cmd:place|get|ship`. Placing an order charges it through
//! `role:payment,cmd:charge` and emits `event:order_placed`; shipping emits
//! `event:order_shipped`. Orders live in memory.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use porticus::{ActError, Code, Context};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stock-keeping unit.
    pub sku: String,
    /// How many.
    pub qty: u32,
    /// Price of one, in cents.
    pub price_cents: u64,
}

/// `role:order,cmd:place`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Place {
    /// Who orders.
    pub customer: String,
    /// The card to charge.
    pub card: String,
    /// What is ordered.
    pub items: Vec<Item>,
}

/// An order, as stored and returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The order's id.
    pub id: String,
    /// Who ordered.
    pub customer: String,
    /// What was ordered.
    pub items: Vec<Item>,
    /// The total, in cents.
    pub total_cents: u64,
    /// `placed` or `shipped`.
    pub status: String,
    /// The payment's id.
    pub payment: String,
}

/// What `role:payment,cmd:charge` replies (the fields this service needs).
#[derive(Debug, Clone, Deserialize)]
struct Receipt {
    payment: String,
}

/// `role:order,cmd:get` / `cmd:ship`: which order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ById {
    /// The order's id.
    pub id: String,
}

static ORDERS: LazyLock<Mutex<HashMap<String, Order>>> = LazyLock::new(Default::default);

fn orders() -> std::sync::MutexGuard<'static, HashMap<String, Order>> {
    ORDERS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn not_found(id: &str) -> ActError {
    ActError::new(Code::new("order_not_found"), format!("no order `{id}`"))
}

/// `role:order,cmd:place`: charges the card, stores the order, emits `event:order_placed`.
#[porticus::action("role:order,cmd:place")]
pub async fn place(req: Place, ctx: Context) -> Result<Order, ActError> {
    if req.items.is_empty() {
        return Err(ActError::invalid_msg("an order needs at least one item"));
    }
    let id = format!("o-{}", ctx.meta().message_id());
    let total_cents = req
        .items
        .iter()
        .map(|i| u64::from(i.qty) * i.price_cents)
        .sum();
    // A declined card comes back as the payment service's own error, and goes on to the caller.
    // (The payment service is reached by pattern only: this crate does not link it.)
    let receipt: Receipt = ctx
        .act_as(
            "role:payment,cmd:charge",
            json!({ "order": id, "card": req.card, "amount_cents": total_cents }),
        )
        .await?;
    let order = Order {
        id: id.clone(),
        customer: req.customer,
        items: req.items,
        total_cents,
        status: "placed".into(),
        payment: receipt.payment,
    };
    orders().insert(id.clone(), order.clone());
    tracing::info!(order = %id, total_cents, "orders: placed");
    ctx.emit(json!({ "event": "order_placed", "order": id, "customer": order.customer, "total_cents": total_cents }))
        .await?;
    Ok(order)
}

/// `role:order,cmd:get`.
#[porticus::action("role:order,cmd:get")]
pub async fn get(req: ById) -> Result<Order, ActError> {
    orders()
        .get(&req.id)
        .cloned()
        .ok_or_else(|| not_found(&req.id))
}

/// `role:order,cmd:ship`: marks the order shipped and emits `event:order_shipped`.
#[porticus::action("role:order,cmd:ship")]
pub async fn ship(req: ById, ctx: Context) -> Result<Order, ActError> {
    let order = {
        let mut all = orders();
        let order = all.get_mut(&req.id).ok_or_else(|| not_found(&req.id))?;
        order.status = "shipped".into();
        order.clone()
    };
    tracing::info!(order = %order.id, "orders: shipped");
    ctx.emit(json!({ "event": "order_shipped", "order": order.id, "customer": order.customer }))
        .await?;
    Ok(order)
}
