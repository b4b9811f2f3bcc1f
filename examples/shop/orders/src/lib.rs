//! The orders service: `role:order,cmd:place|get|ship`. Placing an order charges it through
//! `role:payment,cmd:charge` and emits `event:order_placed`; shipping emits
//! `event:order_shipped`. Orders live in memory. Requests are validated before the handlers
//! run and described by JSON Schemas (`docs/contracts.md`).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use garde::Validate;
use porticus::{ActError, Code, Context};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct Item {
    /// Stock-keeping unit.
    #[garde(length(min = 1, max = 64))]
    pub sku: String,
    /// How many: at least one.
    #[garde(range(min = 1, max = 1000))]
    pub qty: u32,
    /// Price of one, in cents.
    #[garde(skip)]
    pub price_cents: u64,
}

/// `role:order,cmd:place`.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, JsonSchema)]
pub struct Place {
    /// Who orders.
    #[garde(length(min = 1, max = 64))]
    pub customer: String,
    /// The card to charge.
    #[garde(length(min = 4, max = 32))]
    pub card: String,
    /// What is ordered: at least one item.
    #[garde(length(min = 1), dive)]
    pub items: Vec<Item>,
}

/// An order, as stored and returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, Validate, JsonSchema)]
pub struct ById {
    /// The order's id.
    #[garde(length(min = 1))]
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
#[porticus::action("role:order,cmd:place", validate, schema)]
pub async fn place(req: Place, ctx: Context) -> Result<Order, ActError> {
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
#[porticus::action("role:order,cmd:get", validate, schema)]
pub async fn get(req: ById) -> Result<Order, ActError> {
    orders()
        .get(&req.id)
        .cloned()
        .ok_or_else(|| not_found(&req.id))
}

/// `role:order,cmd:ship`: marks the order shipped and emits `event:order_shipped`.
#[porticus::action("role:order,cmd:ship", validate, schema)]
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
