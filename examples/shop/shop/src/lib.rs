//! The shop scenario: places orders through the gateway's HTTP API (one with a card that is
//! declined), ships the placed ones, and reads back what the subscribers saw. `cargo run -p shop`
//! runs it on the in-process transport; the end-to-end tests run the same scenario against the
//! services as separate processes.

use std::time::Duration;

pub mod live;

use porticus::Node;
use serde_json::{json, Value};

/// How long [`run`] keeps observing the subscribers once they saw every event, so that a late
/// duplicate delivery is counted too.
pub const SETTLE: Duration = Duration::from_millis(750);

const NOTIFIED: &str = "role:notification,cmd:sent";
const STATS: &str = "role:analytics,cmd:stats";

/// What one run of the scenario observed.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Ids of the orders that were placed (and then shipped).
    pub placed: Vec<String>,
    /// The declined order's reply: status and the error JSON from the payment service.
    pub declined: (u16, Value),
    /// `role:notification,cmd:sent` once every event arrived and [`SETTLE`] passed: deliveries
    /// of `order_shipped` per order (an order in it was notified, once).
    pub notified: Value,
    /// `role:analytics,cmd:stats` once every event arrived and [`SETTLE`] passed: deliveries per
    /// event and order (an order in it was counted, once), and the revenue counted.
    pub stats: Value,
}

/// Runs the scenario against the gateway at `base` (`http://127.0.0.1:8080`); `node` reaches the
/// notification and analytics services to read back what they saw. Prints the flow.
///
/// # Errors
/// When the gateway cannot be reached or a service does not answer.
pub async fn run(base: &str, node: &Node) -> anyhow::Result<Outcome> {
    let http = reqwest::Client::new();
    let orders = [
        json!({"customer": "ada", "card": "4000-0000-0000-0001", "items": [{"sku": "lamp", "qty": 1, "price_cents": 2500}]}),
        json!({"customer": "grace", "card": "4000-0000-0000-0002", "items": [{"sku": "desk", "qty": 1, "price_cents": 19900}]}),
        json!({"customer": "linus", "card": "4000-0000-0000-0003", "items": [{"sku": "pen", "qty": 3, "price_cents": 150}]}),
    ];
    let mut placed = Vec::new();
    let mut declined = (0, Value::Null);
    for order in orders {
        let (status, body) = call(&http, "POST", &format!("{base}/orders"), Some(&order)).await?;
        println!("POST /orders for {} -> {status} {body}", order["customer"]);
        match status {
            201 => placed.push(body["id"].as_str().unwrap_or_default().to_owned()),
            _ => declined = (status, body),
        }
    }
    for id in &placed {
        let (status, body) = call(&http, "POST", &format!("{base}/orders/{id}/ship"), None).await?;
        println!(
            "POST /orders/{id}/ship -> {status} status={}",
            body["status"]
        );
    }
    let (status, body) = call(&http, "GET", &format!("{base}/orders/o-missing"), None).await?;
    println!("GET /orders/o-missing -> {status} {body}");

    // Events are delivered asynchronously: wait (bounded) until the subscribers saw them all,
    // then keep observing a little longer, so that a late duplicate delivery shows up too.
    wait_until(node, NOTIFIED, |v| {
        placed.iter().all(|id| deliveries(&v["orders"][id]) >= 1)
    })
    .await?;
    wait_until(node, STATS, |v| {
        ["order_placed", "order_shipped"].iter().all(|event| {
            placed
                .iter()
                .all(|id| deliveries(&v["events"][event][id]) >= 1)
        })
    })
    .await?;
    tokio::time::sleep(SETTLE).await;
    let notified: Value = node.act_as(NOTIFIED, json!({})).await?;
    let stats: Value = node.act_as(STATS, json!({})).await?;
    // The subscribers act once per order however often an event arrives (delivery is at least
    // once): show the raw deliveries, so that a redelivery is visible.
    for id in &placed {
        println!(
            "order {id}: order_shipped deliveries: notifications {}, analytics {}",
            notified["orders"][id], stats["events"]["order_shipped"][id]
        );
    }
    println!("notifications sent: {notified}");
    println!("analytics stats: {stats}");
    Ok(Outcome {
        placed,
        declined,
        notified,
        stats,
    })
}

/// One request to the gateway; returns the status and the JSON body.
async fn call(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let request = match method {
        "POST" => http.post(url),
        _ => http.get(url),
    };
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body)?),
        None => request,
    };
    let response = request.send().await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// How often an event arrived, from a subscriber's count (0 when it did not).
fn deliveries(count: &Value) -> u64 {
    count.as_u64().unwrap_or(0)
}

/// Acts `pattern` until `done` holds for the reply (at most 10 s; a slow transport may still be
/// delivering; the caller's assertions then say what is missing).
async fn wait_until(
    node: &Node,
    pattern: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply: Value = node.act_as(pattern, json!({})).await?;
        if done(&reply) || tokio::time::Instant::now() > deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
