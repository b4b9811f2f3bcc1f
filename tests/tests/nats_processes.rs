//! The math example as its own process, served over NATS by configuration only
//! (`PORTICUS_ENV=nats`, the example's own `config/nats.toml`).

use std::process::Command;

use porticus::config::{NatsClientConfig, NatsCredentials};
use porticus::transport::nats::NatsClient;
use porticus::{Code, Node};
use porticus_tests::jetstream::{nats_down, nats_url};
use porticus_tests::process;
use porticus_tests::service_process::{scratch, Service};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_math_example_serves_over_nats_by_config_only() {
    // The example's own config files; only the server URL follows the test environment.
    let dir = scratch("math-nats-config");
    let example = process::workspace().join("examples/math/config");
    for file in ["default.toml", "nats.toml"] {
        let text = std::fs::read_to_string(example.join(file)).expect("the example's config");
        let text = text.replace(porticus::config::DEFAULT_NATS_URL, &nats_url());
        std::fs::write(dir.join(file), text).expect("write config");
    }
    let mut command = Command::new(&process::build(&["math"])["math"]);
    command
        .env("PORTICUS_CONFIG_DIR", &dir)
        .env("PORTICUS_ENV", "nats")
        // The example's admin endpoint on a free port, and SIGTERM without a drain delay.
        .env("PORTICUS__ADMIN__BIND", "127.0.0.1:0")
        .env("PORTICUS__ADMIN__DRAIN_DELAY_MS", "0")
        .env("RUST_LOG", process::QUIET_LOGS);
    let math = Service::start_when(command, "nats listener on");

    let mut client = NatsClientConfig::default();
    client.url = nats_url();
    client.pin = "role:math,cmd:*".into();
    let nats = NatsClient::new(&client, &NatsCredentials::default(), "test-caller").expect("valid");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    let caller = Node::builder()
        .without_registered()
        .client("role:math,cmd:*", nats)
        .build()
        .expect("builds");
    let sum = caller
        .act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}))
        .await
        .expect("sum over NATS");
    assert_eq!(sum, json!({"answer": 3.0}));
    let integer = caller
        .act(json!({"role": "math", "cmd": "sum", "integer": true, "left": 1.5, "right": 2.7}))
        .await
        .expect("the most specific action, calling its prior");
    assert_eq!(integer, json!({"answer": 3.0}));
    let err = caller
        .act(json!({"role": "math", "cmd": "divide", "left": 1, "right": 0}))
        .await
        .expect_err("no such action");
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
    assert!(math.terminate(), "SIGTERM: a clean exit");
}
