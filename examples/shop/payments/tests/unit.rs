//! Unit tests of the payments service with `porticus::testing`: `payments::charge` runs alone
//! (it calls nothing), and the tests check its receipt, its decline with details and its
//! refusal of a zero amount.

use payments::{Receipt, CARD_DECLINED};
use porticus::testing::TestNode;
use porticus::Code;
use serde_json::json;

fn node() -> TestNode {
    TestNode::builder().handler(payments::charge).build()
}

#[tokio::test]
async fn an_approved_charge_answers_a_receipt() {
    let node = node();
    let receipt: Receipt = node
        .act_as(
            "role:payment,cmd:charge",
            json!({"order": "o-1", "card": "4000-0000-0000-0001", "amount_cents": 2500}),
        )
        .await
        .expect("approved");
    assert_eq!(
        receipt,
        Receipt {
            payment: "pay-o-1".into(),
            order: "o-1".into(),
            amount_cents: 2500
        }
    );
}

#[tokio::test]
async fn a_card_ending_in_0002_is_declined_with_the_order_in_the_details() {
    let node = node();
    let err = node
        .act(json!({
            "role": "payment", "cmd": "charge",
            "order": "o-2", "card": "4000-0000-0000-0002", "amount_cents": 2500
        }))
        .await
        .expect_err("declined");
    assert_eq!(err.code(), &Code::new(CARD_DECLINED), "{err}");
    assert_eq!(err.message(), "card …0002 was declined");
    assert_eq!(err.details(), &json!({"order": "o-2"}));
}

#[tokio::test]
async fn nothing_to_charge_is_an_invalid_message() {
    let node = node();
    let err = node
        .act(json!({
            "role": "payment", "cmd": "charge",
            "order": "o-3", "card": "4000-0000-0000-0001", "amount_cents": 0
        }))
        .await
        .expect_err("invalid");
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG, "{err}");
    // Validated before the handler runs (`validate`): the field the schema constrains is named.
    assert_eq!(err.details()["field"], "amount_cents", "{err}");
    assert_eq!(err.details()["errors"][0]["field"], "amount_cents", "{err}");
}

#[tokio::test]
async fn a_charge_without_an_amount_is_an_invalid_message() {
    let node = node();
    let err = node
        .act(json!({"role": "payment", "cmd": "charge", "order": "o-4", "card": "4000"}))
        .await
        .expect_err("invalid");
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG, "{err}");
}
