//! The test kit's own suite (`porticus::testing`): each capability against the real node,
//! router and in-process transport.

mod events;
mod faults;
mod inject;
mod mocks;
mod select;
mod time;

use porticus::{ActError, Context};
use serde_json::{json, Value};

/// Places an order: charges it through `role:payment,cmd:charge`, then emits
/// `event:order_placed`.
#[porticus::action("role:kit,cmd:place")]
pub async fn place(order: Value, ctx: Context) -> Result<Value, ActError> {
    let receipt = ctx
        .act(json!({"role": "payment", "cmd": "charge", "amount": order["total"]}))
        .await?;
    ctx.emit(json!({"event": "kit_placed", "order": order["id"]}))
        .await?;
    Ok(json!({"order": order["id"], "payment": receipt["payment"]}))
}

/// Linked but never selected by the tests that name `place`.
#[porticus::action("role:kit,cmd:audit")]
pub async fn audit(_msg: Value) -> Result<Value, ActError> {
    Ok(json!("audited"))
}

/// A subscriber linked into the binary.
#[porticus::event("event:kit_placed")]
pub async fn on_placed(_event: Value) -> Result<(), ActError> {
    Ok(())
}

/// Panics with the text of a task's panic, for the tests that expect the kit to fail a test.
pub async fn panic_text<F>(test: F) -> String
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let joined = tokio::spawn(test).await;
    let panic = joined.expect_err("the kit should have failed this test");
    let payload = panic.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}
