//! Mocked acts: canned values, errors, typed and computed answers, latency, call records, and
//! the failure of a test whose code acts on something nobody mocked.

use std::time::Duration;

use porticus::testing::{Mock, TestNode};
use porticus::{ActError, Code};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{panic_text, place};

#[derive(Deserialize)]
struct Charge {
    amount: u32,
}

#[derive(Serialize)]
struct Receipt {
    payment: String,
}

#[tokio::test]
async fn every_call_is_recorded_with_its_message_and_meta() {
    let node = TestNode::builder()
        .handler(place)
        .mock(
            "role:payment,cmd:charge",
            Mock::typed(|c: Charge| async move {
                Ok(Receipt {
                    payment: format!("p-{}", c.amount),
                })
            }),
        )
        .build();
    for (id, total) in [(1, 10), (2, 20)] {
        let reply = node
            .act(json!({"role": "kit", "cmd": "place", "id": id, "total": total, "tx$": "t-9"}))
            .await
            .unwrap();
        assert_eq!(reply["payment"], format!("p-{total}"));
    }
    node.assert_called("role:payment,cmd:charge", 2);
    let calls = node.calls("role:payment");
    assert_eq!(
        calls[0].msg,
        json!({"role": "payment", "cmd": "charge", "amount": 10})
    );
    assert_eq!(calls[1].msg["amount"], 20);
    // The mock sees the caller's transaction: the meta travels as on a real transport.
    assert_eq!(calls[0].meta.tx(), "t-9");
    assert_eq!(calls[0].pattern, "role:payment,cmd:charge");
}

#[tokio::test]
async fn canned_errors_and_computed_replies() {
    let node = TestNode::builder()
        .handler(place)
        .mock_error(
            "role:payment,cmd:charge",
            ActError::new("card_declined", "the card was declined"),
        )
        .mock(
            "role:fx",
            Mock::reply(|msg: Value| async move { Ok(json!({"ccy": msg["ccy"], "rate": 2})) }),
        )
        .build();
    let declined = node
        .act(json!({"role": "kit", "cmd": "place", "id": 3, "total": 1}))
        .await
        .unwrap_err();
    assert_eq!(declined.code(), &Code::new("card_declined"));
    node.assert_emitted("event:kit_placed", 0);
    assert_eq!(
        node.act(json!({"role": "fx", "ccy": "EUR"})).await.unwrap(),
        json!({"ccy": "EUR", "rate": 2})
    );
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_answer_on_tokios_clock() {
    let node = TestNode::builder()
        .mock(
            "role:slow",
            Mock::value(json!(1)).with_latency(Duration::from_secs(3)),
        )
        .build();
    let started = tokio::time::Instant::now();
    node.act(json!({"role": "slow"})).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(3));
    let timed_out = node
        .act(json!({"role": "slow", "timeout$": 1000}))
        .await
        .unwrap_err();
    assert_eq!(timed_out.code(), &Code::ACTION_TIMEOUT);
}

#[tokio::test]
async fn a_typed_mock_refuses_a_message_of_the_wrong_shape() {
    let node = TestNode::builder()
        .mock(
            "role:payment",
            Mock::typed(|c: Charge| async move { Ok(json!(c.amount)) }),
        )
        .build();
    let err = node
        .act(json!({"role": "payment", "amount": "ten"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert!(err.message().contains("does not decode"), "{err}");
}

#[tokio::test]
async fn assert_called_lists_the_calls_when_it_fails() {
    let text = panic_text(async {
        let node = TestNode::builder()
            .mock("role:payment", Mock::value(json!({})))
            .build();
        node.act(json!({"role": "payment", "cmd": "charge", "amount": 4}))
            .await
            .unwrap();
        node.assert_called("role:payment,cmd:refund", 1);
    })
    .await;
    assert!(
        text.contains("expected 1 call(s) matching `role:payment,cmd:refund`, got 0")
            && text.contains(r#"{"amount":4,"cmd":"charge","role":"payment"}"#),
        "{text}"
    );
}

#[tokio::test]
async fn an_unmocked_dependency_fails_the_test() {
    let text = panic_text(async {
        let node = TestNode::builder().handler(place).build();
        // The code under test may swallow the error; the test still fails when the node goes.
        let _ = node
            .act(json!({"role": "kit", "cmd": "place", "id": 5, "total": 1}))
            .await;
    })
    .await;
    assert!(
        text.contains("1 act(s) matched no handler and no mock")
            && text.contains(r#"{"amount":1,"cmd":"charge","role":"payment"}"#)
            && text.contains("registered: role:kit,cmd:place")
            && text.contains("PORTICUS_TEST_SEED="),
        "{text}"
    );
}
