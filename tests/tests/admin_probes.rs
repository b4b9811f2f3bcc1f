//! The admin endpoint over real HTTP: `/livez` and `/readyz` while serving, `/readyz` 503
//! naming an AMQP listener whose broker connection is cut (and 200 again once it recovers),
//! 404/405 JSON, and a taken admin port as a start-up error naming `[admin] bind`.

use std::net::SocketAddr;
use std::time::Duration;

use porticus::config::Config;
use porticus::{ActError, ErrorKind, Node, Phase, Server};
use porticus_tests::harness::{
    amqp_caller, amqp_configs, broker_down, http_caller, listening, unique_prefix,
};
use porticus_tests::jetstream::{nats_configs, nats_listening, Names};
use porticus_tests::private_nats::PrivateNats;
use porticus_tests::proxy::FaultProxy;
use porticus_tests::raw::{self, Reply, SOON};
use serde_json::{json, Value};

/// `method path` on the admin endpoint at `addr`.
async fn ask(addr: SocketAddr, method: &str, path: &str) -> Reply {
    raw::send(&format!("http://{addr}/"), &raw::bodiless(method, path)).await
}

/// Asks `/readyz` until it answers `status` (the state it reports changes in the background:
/// a probe has nothing to await but the next answer).
async fn readyz_until(addr: SocketAddr, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        let reply = ask(addr, "GET", "/readyz").await;
        if reply.status == status {
            return reply.json();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz still answers {} after {SOON:?}, not {status}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A node serving `role:echo` over HTTP, with the admin endpoint, both on free ports.
async fn http_service() -> (Node, Server) {
    let config = Config::from_toml_str(
        r#"
        [service]
        name = "probed"
        [[listen]]
        type = "http"
        bind = "127.0.0.1:0"
        [admin]
        bind = "127.0.0.1:0"
        "#,
    )
    .expect("a valid config");
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .add(
            "role:echo",
            |msg: Value| async move { Ok::<_, ActError>(msg) },
        )
        .build()
        .expect("builds");
    let server = node.start(&config).await.expect("starts");
    (node, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn livez_and_readyz_answer_200_while_serving() {
    let (node, server) = http_service().await;
    let admin = server.admin_address().expect("[admin] bind is set");

    let livez = ask(admin, "GET", "/livez").await;
    assert_eq!(livez.status, 200);
    assert_eq!(livez.header("content-type"), Some("application/json"));
    let body = livez.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "probed");
    assert_eq!(body["instance"], node.instance());

    let readyz = ask(admin, "GET", "/readyz").await;
    assert_eq!(readyz.status, 200);
    let body = readyz.json();
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["phase"], "serving");
    let listeners = body["listeners"].as_array().expect("a list of listeners");
    assert_eq!(listeners.len(), 1, "{body}");
    assert_eq!(listeners[0]["transport"], "http");
    assert_eq!(listeners[0]["ready"], true);
    assert_eq!(listeners[0]["address"], server.addresses()[0].as_str());
    assert!(
        listeners[0]["since"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z')),
        "{body}"
    );
    // A query string does not change the page.
    assert_eq!(ask(admin, "GET", "/readyz?verbose=1").await.status, 200);

    // Closed: not ready (the endpoint still answers until the shutdown ends).
    node.close();
    let body = readyz_until(admin, 503).await;
    assert_eq!(body["status"], "closed", "{body}");
    assert!(
        body["reasons"][0].as_str().unwrap().contains("closed"),
        "{body}"
    );
    server.shutdown().await.expect("a clean shutdown");
    // Stopped with the server.
    assert!(tokio::net::TcpStream::connect(admin).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_get_json_errors() {
    let (_node, server) = http_service().await;
    let admin = server.admin_address().expect("[admin] bind is set");

    let missing = ask(admin, "GET", "/metricz").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), Some("application/json"));
    let body = missing.json();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["details"]["path"], "/metricz");
    let message = body["message"].as_str().expect("a message");
    assert!(
        message.contains("/metricz") && message.contains("/livez") && message.contains("/readyz"),
        "{message}"
    );

    let posted = ask(admin, "POST", "/livez").await;
    assert_eq!(posted.status, 405);
    assert_eq!(posted.header("allow"), Some("GET"));
    let body = posted.json();
    assert_eq!(body["code"], "method_not_allowed");
    assert!(body["message"].as_str().unwrap().contains("POST"), "{body}");

    // Bad requests do not stop it.
    assert_eq!(ask(admin, "GET", "/livez").await.status, 200);
    server.shutdown().await.expect("a clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_admin_port_is_a_startup_error_naming_the_key() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = taken.local_addr().expect("its address");
    let config = Config::from_toml_str(&format!(
        "[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"\n[admin]\nbind = \"{addr}\"\n"
    ))
    .expect("a valid config");
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .build()
        .expect("builds");
    let err = node.start(&config).await.expect_err("the port is taken");
    assert_eq!(err.kind(), ErrorKind::Transport);
    let text = err.to_string();
    assert!(
        text.contains("[admin] bind") && text.contains(&addr.to_string()),
        "{text}"
    );

    // A malformed address is a config error, named the same way.
    let config = Config::from_toml_str("[admin]\nbind = \"not an address\"").expect("valid");
    let err = node.start(&config).await.expect_err("not an address");
    assert!(
        err.to_string()
            .contains("[admin] bind = \"not an address\""),
        "{err}"
    );
    // The node is untouched: it still acts in-process.
    assert!(!node.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_an_amqp_listener_whose_broker_connection_is_down() {
    let proxy = FaultProxy::start().await;
    let prefix = unique_prefix("probe");
    let (mut listen, client) = amqp_configs(&prefix);
    listen.url = proxy.url();
    listen.pin = "role:probe".into();
    (listen.reconnect_min_ms, listen.reconnect_max_ms) = (50, 200);
    // A cut link is noticed by heartbeats too, not only by a closed socket.
    listen.heartbeat_s = 1;
    let mut config = listening("probed-amqp", listen);
    // An HTTP listener beside it stays ready: only the AMQP one is named.
    let http = Config::from_toml_str("[[listen]]\ntype = \"http\"\nbind = \"127.0.0.1:0\"")
        .expect("valid");
    config.listen.extend(http.listen);
    config.admin.bind = Some("127.0.0.1:0".into());
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .add(
            "role:probe",
            |msg: Value| async move { Ok::<_, ActError>(msg) },
        )
        .build()
        .expect("builds");
    let server = node
        .start(&config)
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let admin = server.admin_address().expect("[admin] bind is set");
    assert_eq!(readyz_until(admin, 200).await["status"], "ready");
    // Consuming for sure (an act through the broker answered) before the link is cut.
    let (caller, amqp_client) =
        amqp_caller(&client, &format!("caller-{prefix}"), "role:probe").await;
    caller
        .act(json!({"role": "probe", "n": 0}))
        .await
        .expect("an act over AMQP before the cut");

    proxy.cut();
    let body = readyz_until(admin, 503).await;
    assert_eq!(body["status"], "not_ready", "{body}");
    assert_eq!(body["phase"], "serving");
    let listeners = body["listeners"].as_array().expect("listeners");
    let amqp = &listeners[0];
    assert_eq!(amqp["transport"], "amqp");
    assert_eq!(amqp["ready"], false, "{body}");
    let reason = amqp["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("connection to the broker") && reason.contains("down"),
        "{reason}"
    );
    assert!(
        !reason.contains("guest:guest"),
        "the password is masked: {reason}"
    );
    assert!(
        amqp["since"].as_str().is_some_and(|s| s.ends_with('Z')),
        "{body}"
    );
    assert!(amqp["for_ms"].is_u64(), "{body}");
    assert_eq!(listeners[1]["transport"], "http");
    assert_eq!(listeners[1]["ready"], true, "{body}");
    let reasons = body["reasons"].as_array().expect("reasons");
    assert_eq!(reasons.len(), 1, "{body}");
    assert!(
        reasons[0].as_str().unwrap().starts_with("amqp listener "),
        "{body}"
    );
    // The same, in code.
    let report = server.readiness();
    assert!(!report.is_ready());
    assert_eq!(report.phase(), Phase::Serving);
    assert_eq!(report.not_ready().count(), 1);
    // Liveness does not follow the broker: restarting the process would not bring it back.
    assert_eq!(ask(admin, "GET", "/livez").await.status, 200);

    proxy.restore().await;
    let body = readyz_until(admin, 200).await;
    assert_eq!(body["listeners"][0]["ready"], true, "{body}");
    assert!(body["listeners"][0].get("reason").is_none(), "{body}");

    // It serves again, over HTTP too.
    let over_http = http_caller(&server.addresses()[1]);
    assert_eq!(
        over_http
            .act(json!({"role": "probe", "n": 1}))
            .await
            .expect("an act"),
        json!({"role": "probe", "n": 1})
    );
    caller
        .act(json!({"role": "probe", "n": 2}))
        .await
        .expect("an act over AMQP after the recovery");
    server.shutdown().await.expect("a clean shutdown");
    amqp_client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_server_keeps_its_admin_endpoint_until_the_node_closes() {
    let (node, server) = http_service().await;
    let admin = server.admin_address().expect("[admin] bind is set");
    drop(server); // as its listeners: they serve until the node closes
    assert_eq!(ask(admin, "GET", "/livez").await.status, 200);
    node.close();
    let deadline = tokio::time::Instant::now() + SOON;
    while tokio::net::TcpStream::connect(admin).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the admin endpoint still accepts connections after the node closed"
        );
        // Closing happens in the background: nothing to await but the next attempt.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_a_nats_listener_whose_server_is_down() {
    let mut nats = PrivateNats::start("probe");
    let names = Names::new("probe");
    let (mut listen, _) = nats_configs(&names, &nats.url());
    listen.pin = "role:probe".into();
    listen.reconnect_max_ms = 200;
    let mut config = nats_listening("probed-nats", listen);
    config.admin.bind = Some("127.0.0.1:0".into());
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .add(
            "role:probe",
            |msg: Value| async move { Ok::<_, ActError>(msg) },
        )
        .build()
        .expect("builds");
    let server = node
        .start(&config)
        .await
        .expect("starts on the private server");
    let admin = server.admin_address().expect("[admin] bind is set");
    assert_eq!(readyz_until(admin, 200).await["status"], "ready");

    nats.kill();
    let body = readyz_until(admin, 503).await;
    let listener = &body["listeners"][0];
    assert_eq!(listener["transport"], "nats", "{body}");
    let reason = listener["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("NATS server") && reason.contains("down"),
        "{reason}"
    );
    assert!(
        listener["since"].as_str().is_some_and(|s| s.ends_with('Z')),
        "{body}"
    );

    nats.restart();
    let body = readyz_until(admin, 200).await;
    assert_eq!(body["listeners"][0]["ready"], true, "{body}");
    server.shutdown().await.expect("a clean shutdown");
}
