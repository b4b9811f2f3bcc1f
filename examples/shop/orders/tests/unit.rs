//! Unit tests of the orders service with `porticus::testing`: `orders::place`, `get` and `ship`
//! run alone, `role:payment,cmd:charge` is mocked (approved, declined, never answering), and
//! the tests check the reply, the charge's message, the emitted events and what was stored.

use std::time::Duration;

use porticus::testing::{Mock, TestNode};
use porticus::{ActError, Code};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What the orders service sends to `role:payment,cmd:charge` (decoded by the typed mock).
#[derive(Debug, Deserialize)]
struct Charge {
    order: String,
    amount_cents: u64,
}

/// What the payments service answers.
#[derive(Debug, Serialize)]
struct Receipt {
    payment: String,
    order: String,
    amount_cents: u64,
}

/// A payment mock that approves every charge, answering like the payments service.
fn approving() -> Mock {
    Mock::typed(|c: Charge| async move {
        Ok::<_, ActError>(Receipt {
            payment: format!("pay-{}", c.order),
            order: c.order,
            amount_cents: c.amount_cents,
        })
    })
}

/// An order for two lamps and a bulb: 2 × 2500 + 1 × 300 = 5300 cents.
fn order(card: &str) -> Value {
    json!({
        "role": "order",
        "cmd": "place",
        "customer": "ada",
        "card": card,
        "items": [
            {"sku": "lamp", "qty": 2, "price_cents": 2500},
            {"sku": "bulb", "qty": 1, "price_cents": 300}
        ]
    })
}

/// Places the standard order with an approved card and decodes the reply.
async fn place_approved(node: &TestNode) -> orders::Order {
    let reply = node
        .act(order("4000-0000-0000-0001"))
        .await
        .expect("placed");
    serde_json::from_value(reply).expect("an Order")
}

#[tokio::test]
async fn an_approved_order_is_charged_stored_and_announced() {
    let node = TestNode::builder()
        .handler(orders::place)
        .handler(orders::get)
        .mock("role:payment,cmd:charge", approving())
        .build();

    let placed = place_approved(&node).await;
    assert!(placed.id.starts_with("o-"), "{placed:?}");
    assert_eq!(placed.customer, "ada");
    assert_eq!(placed.total_cents, 5300);
    assert_eq!(placed.status, "placed");
    assert_eq!(placed.payment, format!("pay-{}", placed.id));

    node.assert_called("role:payment,cmd:charge", 1);
    let charge = &node.calls("role:payment,cmd:charge")[0].msg;
    assert_eq!(charge["amount_cents"], 5300);
    assert_eq!(charge["card"], "4000-0000-0000-0001");
    assert_eq!(charge["order"], placed.id.as_str());

    node.assert_emitted("event:order_placed", 1);
    let event = &node.emitted("event:order_placed")[0].event;
    assert_eq!(
        *event,
        json!({"event": "order_placed", "order": placed.id, "customer": "ada", "total_cents": 5300})
    );

    let stored: orders::Order = node
        .act_as("role:order,cmd:get", json!({"id": placed.id}))
        .await
        .expect("stored");
    assert_eq!(stored, placed);
}

#[tokio::test]
async fn a_declined_card_reaches_the_caller_unchanged_and_nothing_is_announced() {
    let declined = ActError::new(Code::new("card_declined"), "card …0002 was declined")
        .with_details(json!({"order": "whatever the payment service said"}));
    let node = TestNode::builder()
        .handler(orders::place)
        .mock("role:payment,cmd:charge", Mock::error(declined.clone()))
        .build();

    let err = node
        .act(order("4000-0000-0000-0002"))
        .await
        .expect_err("declined");
    assert_eq!(err, declined);
    node.assert_called("role:payment,cmd:charge", 1);
    node.assert_emitted("event:order_placed", 0);
}

#[tokio::test(start_paused = true)]
async fn a_payment_service_that_never_answers_times_the_order_out_and_stores_nothing() {
    let node = TestNode::builder()
        .handler(orders::place)
        .handler(orders::get)
        .mock("role:payment,cmd:charge", Mock::never())
        .timeout(Duration::from_secs(20))
        .build();

    let started = tokio::time::Instant::now();
    let err = node
        .act(order("4000-0000-0000-0001"))
        .await
        .expect_err("timed out");
    assert_eq!(err.code(), &Code::ACTION_TIMEOUT, "{err}");
    assert!(started.elapsed() >= Duration::from_secs(20));
    node.assert_emitted("event:order_placed", 0);

    // The order's id comes from the message id; the charge carried it.
    node.assert_called("role:payment,cmd:charge", 1);
    let id = node.calls("role:payment,cmd:charge")[0].msg["order"].clone();
    let missing = node
        .act(json!({"role": "order", "cmd": "get", "id": id}))
        .await
        .expect_err("not stored");
    assert_eq!(missing.code(), &Code::new("order_not_found"), "{missing}");
}

#[tokio::test]
async fn shipping_a_placed_order_announces_it() {
    let node = TestNode::builder()
        .handler(orders::place)
        .handler(orders::ship)
        .mock("role:payment,cmd:charge", approving())
        .build();

    let placed = place_approved(&node).await;
    node.assert_emitted("event:order_shipped", 0);

    let shipped: orders::Order = node
        .act_as("role:order,cmd:ship", json!({"id": placed.id}))
        .await
        .expect("shipped");
    assert_eq!(shipped.status, "shipped");
    assert_eq!(shipped.id, placed.id);
    node.assert_emitted("event:order_shipped", 1);
    assert_eq!(
        node.emitted("event:order_shipped")[0].event,
        json!({"event": "order_shipped", "order": placed.id, "customer": "ada"})
    );
}

#[tokio::test]
async fn shipping_an_unknown_order_is_order_not_found() {
    let node = TestNode::builder().handler(orders::ship).build();
    let err = node
        .act(json!({"role": "order", "cmd": "ship", "id": "o-nope"}))
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), &Code::new("order_not_found"), "{err}");
    node.assert_emitted("event:order_shipped", 0);
}

#[tokio::test]
async fn an_order_without_items_is_invalid_and_charges_nothing() {
    let node = TestNode::builder()
        .handler(orders::place)
        .mock("role:payment,cmd:charge", approving())
        .build();
    let err = node
        .act(json!({"role": "order", "cmd": "place", "customer": "ada", "card": "4000", "items": []}))
        .await
        .expect_err("invalid");
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG, "{err}");
    assert_eq!(err.details()["field"], "items", "{err}");
    node.assert_called("role:payment,cmd:charge", 0);
    node.assert_emitted("event:order_placed", 0);
}
