//! The behaviour suite through the local transport, plus the faults it injects.

use std::time::Duration;

use porticus::{ActError, Code};
use porticus_tests::harness::local_transport;
use serde_json::json;

porticus_tests::behaviour_suite!(porticus_tests::harness::local_transport);

#[tokio::test]
async fn injected_failure_reaches_the_caller_then_clears() {
    let h = local_transport().await;
    let faults = h
        .faults
        .as_ref()
        .expect("the local transport injects faults");
    faults.fail_next(1, ActError::new(Code::TRANSPORT_UNAVAILABLE, "link down"));
    let msg = json!({"role": "suite", "cmd": "sum", "left": 1, "right": 2});
    let err = h
        .caller
        .act(msg.clone())
        .await
        .expect_err("the injected failure");
    assert_eq!(err.code(), &Code::TRANSPORT_UNAVAILABLE);
    assert_eq!(
        h.caller.act(msg).await.expect("the next call passes"),
        json!({"answer": 3})
    );
}

#[tokio::test]
async fn injected_delay_runs_into_the_deadline() {
    let h = local_transport().await;
    let faults = h
        .faults
        .as_ref()
        .expect("the local transport injects faults");
    faults.set_delay(Duration::from_secs(5));
    let err = h
        .caller
        .act(json!({"role": "suite", "cmd": "sum", "left": 1, "right": 2, "timeout$": 30}))
        .await
        .expect_err("the delay exceeds the deadline");
    assert_eq!(err.code(), &Code::ACTION_TIMEOUT);
    faults.clear();
    let ok = h
        .caller
        .act(json!({"role": "suite", "cmd": "sum", "left": 1, "right": 2}))
        .await;
    assert_eq!(ok.expect("no delay after clear"), json!({"answer": 3}));
}

#[tokio::test]
async fn duplicated_events_arrive_twice() {
    let h = local_transport().await;
    h.faults
        .as_ref()
        .expect("the local transport injects faults")
        .set_duplicate(true);
    let id = format!("dup-{}", std::process::id());
    h.caller
        .emit(json!({"event": "suite_ping", "id": id}))
        .await
        .expect("emit hands over");
    let got = porticus_tests::handlers::wait_for(&id, 4, Duration::from_secs(10)).await;
    assert_eq!(got, vec!["audit", "audit", "mail", "mail"]);
}
