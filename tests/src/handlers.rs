//! The handlers the behaviour suite acts, registered with `#[porticus::action]` / `#[event]`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use porticus::{ActError, Code, Context};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Notify;

/// Input of `role:suite,cmd:sum`.
#[derive(Debug, Deserialize)]
pub struct Sum {
    /// Left operand.
    pub left: i64,
    /// Right operand.
    pub right: i64,
}

/// Reply of `role:suite,cmd:sum`.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Total {
    /// The sum.
    pub answer: i64,
}

/// Adds two integers.
#[porticus::action("role:suite,cmd:sum")]
pub async fn sum(req: Sum) -> Result<Total, ActError> {
    Ok(Total {
        answer: req.left + req.right,
    })
}

/// Input of `role:suite,cmd:sum,integer:true`: any numbers.
#[derive(Debug, Deserialize)]
pub struct Loose {
    /// Left operand.
    pub left: f64,
    /// Right operand.
    pub right: f64,
}

/// More specific than `sum`: floors its inputs and hands over to its prior (`sum`).
#[porticus::action("role:suite,cmd:sum,integer:true")]
pub async fn integer_sum(req: Loose, ctx: Context) -> Result<Value, ActError> {
    ctx.prior(json!({
        "role": "suite",
        "cmd": "sum",
        "left": req.left.floor() as i64,
        "right": req.right.floor() as i64,
    }))
    .await
}

/// Input of `role:suite,cmd:sleep`.
#[derive(Debug, Deserialize)]
pub struct Sleep {
    /// How long to sleep, in milliseconds.
    pub ms: u64,
}

/// Sleeps, then replies `{slept: ms}`.
#[porticus::action("role:suite,cmd:sleep")]
pub async fn sleep(req: Sleep) -> Result<Value, ActError> {
    tokio::time::sleep(Duration::from_millis(req.ms)).await;
    Ok(json!({ "slept": req.ms }))
}

/// Panics with a known message.
#[porticus::action("role:suite,cmd:panic")]
pub async fn panics(_msg: Value) -> Result<Value, ActError> {
    panic!("deliberate panic in role:suite,cmd:panic")
}

/// Fails with a handler-defined code and details.
#[porticus::action("role:suite,cmd:fail")]
pub async fn fail(msg: Value) -> Result<Value, ActError> {
    Err(
        ActError::new(Code::new("card_declined"), "card was declined")
            .with_details(json!({ "card": msg["card"] })),
    )
}

/// Replies with the raw message it received and its meta, to check directives and ids.
#[porticus::action("role:suite,cmd:inspect")]
pub async fn inspect(msg: Value, ctx: Context) -> Result<Value, ActError> {
    Ok(json!({
        "msg": msg,
        "tx": ctx.meta().tx(),
        "id": ctx.meta().id(),
        "pattern": ctx.pattern(),
        "remaining_ms": ctx.remaining().as_millis() as u64,
        "traceparent": ctx.meta().traceparent(),
    }))
}

/// Acts `role:suite,cmd:inspect` from inside an action, to check inheritance.
#[porticus::action("role:suite,cmd:nested")]
pub async fn nested(_msg: Value, ctx: Context) -> Result<Value, ActError> {
    let inner = ctx.act(json!({"role": "suite", "cmd": "inspect"})).await?;
    Ok(json!({ "outer_tx": ctx.meta().tx(), "inner": inner }))
}

/// Emits `event:suite_ping` with the given id from inside an action.
#[porticus::action("role:suite,cmd:ping")]
pub async fn ping(msg: Value, ctx: Context) -> Result<Value, ActError> {
    ctx.emit(json!({ "event": "suite_ping", "id": msg["id"] }))
        .await?;
    Ok(json!({ "emitted": true }))
}

/// An event of the suite.
#[derive(Debug, Deserialize)]
pub struct Ping {
    /// The test's own id, so parallel tests do not see each other's events.
    pub id: String,
}

/// First subscriber of `event:suite_ping`.
#[porticus::event("event:suite_ping")]
pub async fn ping_audit(ev: Ping) -> Result<(), ActError> {
    record(&ev.id, "audit");
    Ok(())
}

/// Second subscriber of `event:suite_ping`.
#[porticus::event("event:suite_ping")]
pub async fn ping_mail(ev: Ping) -> Result<(), ActError> {
    record(&ev.id, "mail");
    Ok(())
}

/// A subscriber that always fails; the others must not notice.
#[porticus::event("event:suite_ping")]
pub async fn ping_broken(_ev: Ping) -> Result<(), ActError> {
    Err(ActError::execute("this subscriber always fails"))
}

/// A subscriber that panics; the others must not notice.
#[porticus::event("event:suite_ping")]
pub async fn ping_panics(_ev: Ping) -> Result<(), ActError> {
    panic!("deliberate panic in an event subscriber")
}

static RECEIVED: Mutex<Option<HashMap<String, Vec<&'static str>>>> = Mutex::new(None);
static ARRIVED: Notify = Notify::const_new();

fn record(id: &str, who: &'static str) {
    RECEIVED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .entry(id.to_owned())
        .or_default()
        .push(who);
    ARRIVED.notify_waiters();
}

/// The subscribers that received event `id` so far, sorted.
pub fn received(id: &str) -> Vec<&'static str> {
    let mut out = RECEIVED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|m| m.get(id).cloned())
        .unwrap_or_default();
    out.sort_unstable();
    out
}

/// Waits until at least `count` deliveries of event `id` arrived, or `within` passed;
/// returns what arrived.
pub async fn wait_for(id: &str, count: usize, within: Duration) -> Vec<&'static str> {
    let _ = tokio::time::timeout(within, async {
        loop {
            let notified = ARRIVED.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if received(id).len() >= count {
                return;
            }
            notified.await;
        }
    })
    .await;
    received(id)
}
