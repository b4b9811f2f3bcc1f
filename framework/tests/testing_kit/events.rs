//! Captured events: every emit recorded in order with its meta, typed reads, waiting for an
//! event from a spawned flow, and assertions that show what was emitted.

use std::time::Duration;

use porticus::testing::{Mock, TestNode};
use serde::Deserialize;
use serde_json::json;

use super::{panic_text, place};

#[derive(Debug, Deserialize, PartialEq)]
struct Placed {
    order: u32,
}

#[tokio::test]
async fn emits_are_recorded_in_order_with_their_meta() {
    let node = TestNode::builder()
        .handler(place)
        .mock("role:payment", Mock::value(json!({"payment": "p"})))
        .build();
    for id in [1, 2, 3] {
        node.act(
            json!({"role": "kit", "cmd": "place", "id": id, "total": 1, "tx$": format!("t{id}")}),
        )
        .await
        .unwrap();
    }
    node.emit(json!({"event": "other"})).await.unwrap();
    let placed = node.emitted("event:kit_placed");
    assert_eq!(placed.len(), 3);
    assert_eq!(placed[1].meta.tx(), "t2");
    assert_eq!(
        node.emitted_as::<Placed>("event:kit_placed"),
        [
            Placed { order: 1 },
            Placed { order: 2 },
            Placed { order: 3 }
        ]
    );
    node.assert_emitted("event:other", 1);
}

#[tokio::test]
async fn a_waiter_sees_an_event_emitted_later_by_another_task() {
    let node = TestNode::builder().build();
    let emitter = node.node().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        emitter.emit(json!({"event": "late", "n": 1})).await
    });
    let late = node
        .wait_for_event("event:late", Duration::from_secs(5))
        .await;
    assert_eq!(late.event["n"], 1);
}

#[tokio::test(start_paused = true)]
async fn a_waiter_that_sees_nothing_fails_listing_what_was_emitted() {
    let text = panic_text(async {
        let node = TestNode::builder().build();
        node.emit(json!({"event": "order_placed", "order": 8}))
            .await
            .unwrap();
        node.wait_for_event("event:order_shipped", Duration::from_secs(30))
            .await;
    })
    .await;
    assert!(
        text.contains("no event matching `event:order_shipped` was emitted within 30000 ms")
            && text.contains(r#"{"event":"order_placed","order":8}"#),
        "{text}"
    );
}

#[tokio::test]
async fn assert_emitted_lists_every_event_when_it_fails() {
    let text = panic_text(async {
        let node = TestNode::builder().build();
        node.emit(json!({"event": "a"})).await.unwrap();
        node.assert_emitted("event:b", 1);
    })
    .await;
    assert!(
        text.contains("expected 1 emitted event(s) matching `event:b`, got 0")
            && text.contains(r#"{"event":"a"}"#),
        "{text}"
    );
}
