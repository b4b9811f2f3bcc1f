//! Wire interop with real Seneca.js over seneca-transport's HTTP format: a stock Seneca 3.38
//! client acts a Porticus listener, and a Porticus client acts a Seneca listener.

use porticus::config::{HttpClientConfig, HttpListenConfig};
use porticus::transport::http::{HttpClient, HttpListener};
use porticus::transport::Listener;
use porticus::{Code, Node};
use porticus_tests::interop::{self, NodeProcess};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seneca_client_acts_a_porticus_listener() {
    let server = porticus_tests::harness::server();
    let mut config = HttpListenConfig::default();
    config.bind = "127.0.0.1:0".into();
    let listener = HttpListener::bind(&config).await.expect("bind");
    let port = listener.local_addr().port().to_string();
    let serving = tokio::spawn(Box::new(listener).serve(server.clone()));

    let lines = tokio::task::spawn_blocking(move || {
        interop::run(
            "seneca-http-client.js",
            &[
                &port,
                "role:suite",
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
    // seneca-transport's HTTP client turns any non-2xx into its own act_execute; the Porticus
    // error travels as the response body.
    assert_eq!(lines[1]["ok"], false, "{lines:?}");
    assert_eq!(lines[1]["remote"]["code"], "card_declined", "{lines:?}");
    assert_eq!(
        lines[1]["remote"]["message"], "card was declined",
        "{lines:?}"
    );
    assert_eq!(lines[2], json!({"ok": true, "res": {"answer": 3}}));

    server.close();
    serving
        .await
        .expect("listener task")
        .expect("listener stops cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn porticus_client_acts_a_seneca_listener() {
    let port = interop::free_port();
    let _seneca = tokio::task::spawn_blocking(move || {
        NodeProcess::start("seneca-http-listener.js", &[&port.to_string()])
    })
    .await
    .expect("the Seneca listener started");

    let mut config = HttpClientConfig::default();
    config.url = format!("http://127.0.0.1:{port}/act");
    config.pin = "role:seneca_side".into();
    let caller = Node::builder()
        .without_registered()
        .client(
            "role:seneca_side",
            HttpClient::new(&config).expect("client"),
        )
        .build()
        .expect("caller");

    let reply = caller
        .act(json!({"role": "seneca_side", "cmd": "sum", "left": 20, "right": 22}))
        .await
        .expect("Seneca replies");
    assert_eq!(reply, json!({"answer": 42, "by": "seneca"}));

    let err = caller
        .act(json!({"role": "seneca_side", "cmd": "fail"}))
        .await
        .expect_err("the Seneca action fails");
    assert_eq!(err.code(), &Code::ACT_EXECUTE, "{err}");
    assert!(err.message().contains("seneca-fail-on-purpose"), "{err}");
}
