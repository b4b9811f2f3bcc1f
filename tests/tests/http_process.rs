//! Two OS processes: the math example, started as an HTTP listener by configuration alone
//! (`PORTICUS_ENV=http` and a config folder), and this test acting it over HTTP.

use porticus::Code;
use porticus_tests::harness::http_caller;
use porticus_tests::process::{self, Service};
use porticus_tests::raw::SOON;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn math_example_serves_over_http_by_config_alone() {
    let bins = process::build(&["math"]);
    // The example's own config files, with the HTTP port moved to 0 (any free port).
    let dir = process::config_copy(
        "examples/math/config",
        &[("127.0.0.1:10101".into(), "127.0.0.1:0".into())],
    );
    let mut math = Service::start("math", &bins["math"], "http", &dir);

    // It prints its address once the listener is bound (and so accepting connections).
    let url = math.line_after("http listener on ", SOON).await;
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/act"),
        "{url}"
    );

    let caller = http_caller(&url);
    let sum = caller
        .act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}))
        .await;
    assert_eq!(sum.expect("sum"), json!({"answer": 3.0}));
    let product = caller
        .act(json!({"role": "math", "cmd": "product", "left": 6, "right": 7}))
        .await;
    assert_eq!(product.expect("product"), json!({"answer": 42.0}));
    let floored = caller
        .act(json!({"role": "math", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7}))
        .await;
    assert_eq!(
        floored.expect("integer sum through its prior"),
        json!({"answer": 3.0})
    );

    let err = caller
        .act(json!({"role": "math", "cmd": "sum", "left": "one", "right": 2}))
        .await
        .expect_err("a string is not a number");
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert!(err.message().contains("`left`"), "{err}");
    assert_eq!(err.details()["field"], "left");
    let err = caller
        .act(json!({"role": "math", "cmd": "divide", "left": 1, "right": 0}))
        .await
        .expect_err("no such action");
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
    assert!(err.message().contains("cmd:divide"), "{err}");

    assert!(math.stop(SOON).await, "exits 0 on SIGTERM");
    std::fs::remove_dir_all(&dir).ok();
}
