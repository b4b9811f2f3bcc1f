//! The behaviour suite: one body per behaviour, run unchanged against every harness by
//! [`behaviour_suite!`](crate::behaviour_suite).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use porticus::{ActError, Code};
use serde_json::{json, Value};

use crate::handlers::{wait_for, Total};
use crate::harness::Harness;

/// Instantiates every body of the suite as a `#[tokio::test]` against `$harness`, an
/// `async fn() -> Harness`.
#[macro_export]
macro_rules! behaviour_suite {
    ($harness:path) => {
        $crate::behaviour_suite!(@each $harness;
            act_replies, typed_act, pattern_wins_over_payload, most_specific_wins_and_calls_prior,
            not_found, default_reply, timeout, invalid_input_names_the_field, panic_is_isolated,
            handler_error_crosses_unchanged, directives_never_reach_handlers, ids_are_inherited,
            message_id_is_kept, non_object_message, emit_fans_out, emit_from_an_action);
    };
    (@each $harness:path; $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let harness = $harness().await;
                $crate::suite::$name(&harness).await;
            }
        )+
    };
}

fn unique(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn expect_err(result: Result<Value, ActError>) -> ActError {
    match result {
        Ok(reply) => panic!("expected an error, got the reply {reply}"),
        Err(err) => err,
    }
}

/// A JSON act gets the handler's reply.
pub async fn act_replies(h: &Harness) {
    let reply = h
        .caller
        .act(json!({"role": "suite", "cmd": "sum", "left": 1, "right": 2}))
        .await
        .expect("sum replies");
    assert_eq!(reply, json!({"answer": 3}));
}

/// `act_as` sends a typed payload and decodes a typed reply.
pub async fn typed_act(h: &Harness) {
    let total: Total = h
        .caller
        .act_as("role:suite,cmd:sum", json!({"left": 20, "right": 22}))
        .await
        .expect("typed sum replies");
    assert_eq!(total, Total { answer: 42 });
    let err = h
        .caller
        .act_as::<Vec<String>>("role:suite,cmd:sum", json!({"left": 1, "right": 1}))
        .await
        .expect_err("an object reply is not a Vec");
    assert_eq!(err.code(), &Code::REPLY_INVALID);
}

/// Seneca's merge rule: the pattern string's values win over the payload's.
pub async fn pattern_wins_over_payload(h: &Harness) {
    let total: Total = h
        .caller
        .act_as("role:suite,cmd:sum,left:10", json!({"left": 1, "right": 1}))
        .await
        .expect("sum replies");
    assert_eq!(total.answer, 11);
}

/// `integer:true` is more specific than the plain sum; it floors and calls its prior.
pub async fn most_specific_wins_and_calls_prior(h: &Harness) {
    let msg = json!({"role": "suite", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7});
    assert_eq!(
        h.caller.act(msg).await.expect("integer sum"),
        json!({"answer": 3})
    );
    // Without `integer:true` the plain sum gets the fractions, which it refuses.
    let err = expect_err(
        h.caller
            .act(json!({"role": "suite", "cmd": "sum", "left": 1.5, "right": 2}))
            .await,
    );
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
}

/// An unknown pattern is `act_not_found`, naming the message's pattern.
pub async fn not_found(h: &Harness) {
    let err = expect_err(h.caller.act(json!({"role": "suite", "cmd": "nope"})).await);
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
    assert!(err.message().contains("cmd:nope,role:suite"), "{err}");
}

/// `default$` is the reply when nothing matches.
pub async fn default_reply(h: &Harness) {
    let reply = h
        .caller
        .act(json!({"role": "suite", "cmd": "nope", "default$": {"fallback": true}}))
        .await
        .expect("default$ replies");
    assert_eq!(reply, json!({"fallback": true}));
}

/// `timeout$` bounds the act; the caller gets `action_timeout` naming the pattern.
pub async fn timeout(h: &Harness) {
    let err = expect_err(
        h.caller
            .act(json!({"role": "suite", "cmd": "sleep", "ms": 5_000, "timeout$": 50}))
            .await,
    );
    assert_eq!(err.code(), &Code::ACTION_TIMEOUT, "{err}");
    let fast = h
        .caller
        .act(json!({"role": "suite", "cmd": "sleep", "ms": 1, "timeout$": 5_000}))
        .await
        .expect("a fast act within its timeout");
    assert_eq!(fast, json!({"slept": 1}));
}

/// A field of the wrong type, or a missing one, is `act_invalid_msg` naming the field.
pub async fn invalid_input_names_the_field(h: &Harness) {
    let err = expect_err(
        h.caller
            .act(json!({"role": "suite", "cmd": "sum", "left": "one", "right": 2}))
            .await,
    );
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert!(err.message().contains("`left`"), "{err}");
    let err = expect_err(
        h.caller
            .act(json!({"role": "suite", "cmd": "sum", "left": 1}))
            .await,
    );
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert!(err.message().contains("right"), "{err}");
}

/// A panicking handler is an `act_execute` error; the node keeps serving.
pub async fn panic_is_isolated(h: &Harness) {
    let err = expect_err(h.caller.act(json!({"role": "suite", "cmd": "panic"})).await);
    assert_eq!(err.code(), &Code::ACT_EXECUTE);
    assert!(err.message().contains("deliberate panic"), "{err}");
    act_replies(h).await;
}

/// The handler's own error arrives with the same code, message and details.
pub async fn handler_error_crosses_unchanged(h: &Harness) {
    let err = expect_err(
        h.caller
            .act(json!({"role": "suite", "cmd": "fail", "card": "4000-0002"}))
            .await,
    );
    assert_eq!(err.code(), "card_declined");
    assert_eq!(err.message(), "card was declined");
    assert_eq!(err.details(), &json!({"card": "4000-0002"}));
}

/// Keys ending in `$` steer the act and never reach a handler.
pub async fn directives_never_reach_handlers(h: &Harness) {
    let reply = h
        .caller
        .act(json!({"role": "suite", "cmd": "inspect", "x": 1, "timeout$": 3_000, "custom$": {"a": 1}}))
        .await
        .expect("inspect replies");
    assert_eq!(
        reply["msg"],
        json!({"role": "suite", "cmd": "inspect", "x": 1})
    );
    assert_eq!(reply["pattern"], "cmd:inspect,role:suite");
    let remaining = reply["remaining_ms"].as_u64().expect("a number");
    assert!(
        remaining <= 3_000,
        "remaining {remaining} ms exceeds timeout$"
    );
}

/// `tx$` names the transaction; acts made from inside a handler inherit it.
pub async fn ids_are_inherited(h: &Harness) {
    let reply = h
        .caller
        .act(json!({"role": "suite", "cmd": "nested", "tx$": "tx-inherited"}))
        .await
        .expect("nested replies");
    assert_eq!(reply["outer_tx"], "tx-inherited");
    assert_eq!(reply["inner"]["tx"], "tx-inherited");
}

/// `id$` (`"mi/tx"`, Seneca's form) gives the message its id and transaction, end to end.
pub async fn message_id_is_kept(h: &Harness) {
    let id = unique("m");
    let reply = h
        .caller
        .act(json!({"role": "suite", "cmd": "inspect", "id$": format!("{id}/tx-given")}))
        .await
        .expect("inspect replies");
    assert_eq!(reply["id"], format!("{id}/tx-given"));
    assert_eq!(reply["tx"], "tx-given");
    assert_eq!(reply["msg"], json!({"role": "suite", "cmd": "inspect"}));
}

/// A message that is not a JSON object is refused, saying what it was.
pub async fn non_object_message(h: &Harness) {
    let err = expect_err(h.caller.act(json!([1, 2])).await);
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert!(err.message().contains("an array"), "{err}");
}

/// `emit` reaches every subscriber; a failing or panicking one does not affect the others.
pub async fn emit_fans_out(h: &Harness) {
    let id = unique("emit");
    h.caller
        .emit(json!({"event": "suite_ping", "id": id}))
        .await
        .expect("emit hands the event over");
    let got = wait_for(&id, 2, Duration::from_secs(10)).await;
    assert_eq!(got, vec!["audit", "mail"]);
    // The failing subscribers did not take the node down.
    act_replies(h).await;
}

/// An action emits through its context.
pub async fn emit_from_an_action(h: &Harness) {
    let id = unique("ping");
    let reply = h
        .caller
        .act(json!({"role": "suite", "cmd": "ping", "id": id}))
        .await
        .expect("ping replies");
    assert_eq!(reply, json!({"emitted": true}));
    assert_eq!(
        wait_for(&id, 2, Duration::from_secs(10)).await,
        vec!["audit", "mail"]
    );
}
