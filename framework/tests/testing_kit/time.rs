//! Virtual time: a dependency that never answers within a 20 s deadline costs no wall time
//! under `start_paused`.

use std::time::{Duration, Instant};

use porticus::testing::{Mock, TestNode};
use porticus::Code;
use serde_json::json;

use super::place;

#[tokio::test(start_paused = true)]
async fn a_twenty_second_deadline_passes_in_no_wall_time() {
    let wall = Instant::now();
    let node = TestNode::builder()
        .handler(place)
        .mock("role:payment,cmd:charge", Mock::never())
        .timeout(Duration::from_secs(20))
        .build();
    let virtual_start = tokio::time::Instant::now();
    let err = node
        .act(json!({"role": "kit", "cmd": "place", "id": 1, "total": 5}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &Code::ACTION_TIMEOUT);
    assert!(virtual_start.elapsed() >= Duration::from_secs(20));
    node.assert_emitted("event:kit_placed", 0);
    let took = wall.elapsed();
    eprintln!("a 20 s deadline took {} ms of wall time", took.as_millis());
    // Far below the 20 s it would take on the real clock, whatever the machine's load.
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
