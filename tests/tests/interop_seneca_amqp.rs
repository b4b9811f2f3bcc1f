//! Wire interop with real Seneca.js through RabbitMQ: a stock Seneca 3.38 client using
//! seneca-amqp-transport 2.2.0 acts a Porticus AMQP listener, and a Porticus AMQP client acts a
//! Seneca listener — with Seneca's default topology (`seneca.topic`, pin-derived queues).

use porticus::config::{AmqpClientConfig, AmqpListenConfig, Config, ListenConfig};
use porticus::transport::amqp::AmqpClient;
use porticus::{Code, Node};
use porticus_tests::harness::{amqp_url, broker_down};
use porticus_tests::interop::{self, NodeProcess};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seneca_client_acts_a_porticus_listener() {
    let server = porticus_tests::harness::server();
    let mut listen = AmqpListenConfig::default();
    listen.url = amqp_url();
    listen.pin = "role:suite,cmd:*".into();
    let mut config = Config::default();
    config.service.name = "interop".into();
    config.listen.push(ListenConfig::Amqp(Box::new(listen)));
    let running = server
        .start(&config)
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));

    let url = amqp_url();
    let lines = tokio::task::spawn_blocking(move || {
        interop::run(
            "seneca-amqp-client.js",
            &[
                &url,
                "role:suite,cmd:*",
                r#"{"role":"suite","cmd":"sum","left":1,"right":2}"#,
                r#"{"role":"suite","cmd":"fail","card":"4000-0002"}"#,
                r#"{"role":"suite","cmd":"sum","integer":true,"left":1.5,"right":2.7}"#,
            ],
        )
    })
    .await
    .expect("the node client ran");

    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], json!({"ok": true, "res": {"answer": 3}}));
    // Seneca's client wraps a remote error as act_execute "…failed: <remote message>".
    assert_eq!(lines[1]["ok"], false, "{lines:?}");
    let message = lines[1]["message"].as_str().unwrap_or_default();
    assert!(message.contains("card was declined"), "{lines:?}");
    assert_eq!(lines[2], json!({"ok": true, "res": {"answer": 3}}));
    running
        .shutdown()
        .await
        .expect("the listener stops cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn porticus_client_acts_a_seneca_listener() {
    let url = amqp_url();
    let _seneca =
        tokio::task::spawn_blocking(move || NodeProcess::start("seneca-amqp-listener.js", &[&url]))
            .await
            .expect("the Seneca listener started");

    let mut config = AmqpClientConfig::default();
    config.url = amqp_url();
    config.pin = "role:seneca_side,cmd:*".into();
    let client = AmqpClient::new(&config, "interop-caller").expect("a valid client config");
    client
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let caller = Node::builder()
        .without_registered()
        .client("role:seneca_side", client)
        .build()
        .expect("caller");

    let reply = caller
        .act(json!({"role": "seneca_side", "cmd": "sum", "left": 20, "right": 22, "timeout$": 10_000}))
        .await
        .expect("Seneca replies");
    assert_eq!(reply, json!({"answer": 42, "by": "seneca"}));

    let err = caller
        .act(json!({"role": "seneca_side", "cmd": "fail", "timeout$": 10_000}))
        .await
        .expect_err("the Seneca action fails");
    assert!(err.message().contains("seneca-fail-on-purpose"), "{err}");
    assert_ne!(err.code(), &Code::ACTION_TIMEOUT, "{err}");
}
