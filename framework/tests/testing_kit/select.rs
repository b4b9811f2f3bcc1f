//! A test node runs the handlers it names, or everything linked.

use porticus::testing::{Mock, TestNode};
use porticus::Code;
use serde_json::json;

use super::{audit, on_placed, place};

#[tokio::test]
async fn a_named_handler_runs_and_the_others_do_not() {
    let node = TestNode::builder()
        .handler(place)
        .mock(
            "role:payment,cmd:charge",
            Mock::value(json!({"payment": "p-1"})),
        )
        .allow_unmocked()
        .build();
    let reply = node
        .act(json!({"role": "kit", "cmd": "place", "id": 1, "total": 5}))
        .await
        .unwrap();
    assert_eq!(reply, json!({"order": 1, "payment": "p-1"}));
    // `audit` is linked into this binary but was not named.
    let err = node
        .act(json!({"role": "kit", "cmd": "audit"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
    assert!(
        err.message().contains("registered: role:kit,cmd:place")
            && err.message().contains("mocked: role:payment,cmd:charge"),
        "{err}"
    );
}

#[tokio::test]
async fn subscribers_are_named_the_same_way() {
    let node = TestNode::builder().handler(on_placed).build();
    let injected = node
        .inject(json!({"event": "kit_placed", "order": 1}))
        .await;
    assert_eq!(injected.succeeded().count(), 1);
}

#[tokio::test]
async fn registered_runs_everything_linked() {
    let node = TestNode::builder()
        .registered()
        .mock("role:payment", Mock::value(json!({"payment": "p"})))
        .build();
    assert_eq!(
        node.act(json!({"role": "kit", "cmd": "audit"}))
            .await
            .unwrap(),
        json!("audited")
    );
    let _ = audit;
}

#[test]
fn a_function_that_is_not_a_handler_is_refused_by_name() {
    fn helper() {}
    let refused = std::panic::catch_unwind(|| TestNode::builder().handler(helper)).unwrap_err();
    let text = refused.downcast_ref::<String>().unwrap();
    assert!(
        text.contains("helper") && text.contains("is not an #[action] or #[event] function"),
        "{text}"
    );
}
