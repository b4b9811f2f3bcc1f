//! The Socket.IO listener (`porticus::socketio`) with the real Node.js `socket.io-client`:
//! mounted beside the REST gateway on one port, acts with acks, refused acts and
//! subscriptions, events pushed to subscribers, and malformed input — after each of which the
//! server keeps serving.

use std::net::SocketAddr;

use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::socketio::Sockets;
use porticus::{ActError, Node};
use porticus_tests::socketio::{Clients, STEP};
use serde_json::{json, Value};

const CONFIG: &str = r#"
[[route]]
method = "GET"
path = "/echo/{id}"
pattern = "role:echo"

[socketio]
events = ["role:order"]
act = ["role:echo", "role:fail", "role:slow", "role:order,cmd:place,customer:alice"]
subscribe = ["role:order,customer:alice"]
max_message_bytes = 4096
timeout_ms = 300
"#;

/// A node that echoes `role:echo`, fails `role:fail`, places orders (emitting `placed`), and
/// sleeps on `role:slow` — served with the REST gateway and the sockets on one port.
async fn serve() -> (String, Node, Sockets) {
    let config = Config::from_toml_str(CONFIG).expect("valid config");
    let sockets = Sockets::from_config(&config).expect("valid [socketio]");
    let node = Node::builder()
        .without_registered()
        .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
        .add("role:fail", |_: Value| async {
            Err::<Value, _>(ActError::new("card_declined", "card declined").with_details(json!({"card": "…0002"})))
        })
        .add("role:order,cmd:place", |msg: Value, ctx: porticus::Context| async move {
            ctx.emit(json!({"role": "order", "event": "placed", "customer": msg["customer"], "n": msg["n"]}))
                .await?;
            Ok::<_, ActError>(json!({"placed": msg["n"]}))
        })
        .add("role:slow", |_: Value| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            Ok::<_, ActError>(json!("late"))
        })
        .sockets(&sockets)
        .build()
        .expect("builds");
    let gateway = Gateway::from_config(&config).expect("valid routes");
    let app = sockets.mount(gateway.router(node.clone()), node.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), node, sockets)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acts_are_acked_and_rest_shares_the_port() {
    let (url, _node, sockets) = serve().await;
    let mut clients = Clients::start().await;
    clients
        .connect("a", &url, json!({}))
        .await
        .expect("connects");
    assert_eq!(sockets.connections(), 1);

    let reply = clients
        .act("a", json!({"role": "echo", "x": 1, "id$": "dropped"}))
        .await;
    assert_eq!(reply, json!({"role": "echo", "x": 1}), "directives dropped");

    let reply = clients.act("a", json!({"role": "fail"})).await;
    assert_eq!(
        reply,
        json!({"error": {"code": "card_declined", "message": "card declined", "details": {"card": "…0002"}}})
    );

    // `timeout$` is cut to `[socketio] timeout_ms` (300 ms); role:slow takes 5 s.
    let reply = clients
        .act("a", json!({"role": "slow", "timeout$": 60_000}))
        .await;
    assert_eq!(reply["error"]["code"], "action_timeout", "{reply}");

    let rest = reqwest::Client::new()
        .get(format!("{url}/echo/7"))
        .send()
        .await
        .expect("the REST gateway answers on the same port");
    assert_eq!(rest.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(&rest.bytes().await.expect("a body")).expect("JSON");
    assert_eq!(body["id"], "7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_polling_client_acts_and_receives_events_too() {
    let (url, node, _sockets) = serve().await;
    let mut clients = Clients::start().await;
    clients
        .send(
            json!({"op": "connect", "id": "p", "url": url, "auth": {}, "transports": ["polling"]}),
        )
        .await;
    clients
        .wait(|v| v["id"] == "p" && v["type"] == "connect", STEP)
        .await;
    assert_eq!(
        clients
            .act("p", json!({"role": "echo", "over": "polling"}))
            .await["over"],
        "polling"
    );
    clients
        .subscribe("p", json!("role:order,customer:alice"))
        .await;
    node.emit(json!({"role": "order", "customer": "alice", "event": "shipped"}))
        .await
        .expect("emits");
    assert_eq!(clients.event("p").await["event"], "shipped");

    // A browser's default: long-polling first, then the upgrade to WebSocket.
    clients
        .send(json!({"op": "connect", "id": "u", "url": url, "auth": {}, "transports": ["polling", "websocket"]}))
        .await;
    clients
        .wait(|v| v["id"] == "u" && v["type"] == "connect", STEP)
        .await;
    for n in 0..3 {
        assert_eq!(
            clients.act("u", json!({"role": "echo", "n": n})).await["n"],
            n
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acts_and_subscriptions_outside_the_allowed_patterns_are_refused() {
    let (url, _node, _sockets) = serve().await;
    let mut clients = Clients::start().await;
    clients
        .connect("a", &url, json!({}))
        .await
        .expect("connects");

    let reply = clients.act("a", json!({"role": "secret"})).await;
    assert_eq!(reply["error"]["code"], "forbidden", "{reply}");
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("may not act"), "{message}");

    let reply = clients
        .act(
            "a",
            json!({"role": "order", "cmd": "place", "customer": "bob", "n": 1}),
        )
        .await;
    assert_eq!(
        reply["error"]["code"], "forbidden",
        "another customer's order: {reply}"
    );

    for wide in [
        json!("role:order"),
        json!("role:order,customer:*"),
        json!({"role": "order", "customer": "bob"}),
    ] {
        let reply = clients.subscribe("a", wide.clone()).await;
        assert_eq!(reply["error"]["code"], "forbidden", "{wide}: {reply}");
    }
    let reply = clients
        .subscribe("a", json!("role:order,customer:alice"))
        .await;
    assert_eq!(
        reply,
        json!({"subscriptions": ["customer:alice,role:order"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_receive_the_events_they_asked_for_and_no_others() {
    let (url, node, _sockets) = serve().await;
    let mut clients = Clients::start().await;
    clients
        .connect("alice", &url, json!({}))
        .await
        .expect("connects");
    clients
        .connect("idle", &url, json!({}))
        .await
        .expect("connects");
    let reply = clients
        .subscribe("alice", json!("role:order,customer:alice,event:placed"))
        .await;
    assert!(reply["subscriptions"].is_array(), "{reply}");

    // An event for bob first: alice must not see it.
    node.emit(json!({"role": "order", "event": "placed", "customer": "bob", "n": 0}))
        .await
        .expect("emits");
    let reply = clients
        .act(
            "alice",
            json!({"role": "order", "cmd": "place", "customer": "alice", "n": 1}),
        )
        .await;
    assert_eq!(reply, json!({"placed": 1}));
    let event = clients.event("alice").await;
    assert_eq!(
        event,
        json!({"role": "order", "event": "placed", "customer": "alice", "n": 1})
    );

    let reply = clients
        .ask(
            "alice",
            "unsubscribe",
            json!(["role:order,customer:alice,event:placed"]),
        )
        .await;
    assert_eq!(reply, json!({"subscriptions": []}));
    clients
        .act(
            "alice",
            json!({"role": "order", "cmd": "place", "customer": "alice", "n": 2}),
        )
        .await;
    // The echo act's reply travels the same socket after any event pushed before it.
    clients.act("alice", json!({"role": "echo"})).await;
    assert!(
        !clients.saw(|v| v["type"] == "event" && v["data"]["n"] != 1),
        "bob's order or one after unsubscribing was pushed"
    );
    assert!(
        !clients.saw(|v| v["id"] == "idle" && v["type"] == "event"),
        "a socket without subscriptions got an event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_is_answered_and_the_server_keeps_serving() {
    let (url, _node, sockets) = serve().await;
    let mut clients = Clients::start().await;
    clients
        .connect("a", &url, json!({}))
        .await
        .expect("connects");

    for (args, code) in [
        (json!(["not an object"]), "act_invalid_msg"),
        (json!([[1, 2]]), "act_invalid_msg"),
        (json!([]), "act_invalid_msg"),
        (
            json!([{"role": "echo", "timeout$": "soon"}]),
            "act_invalid_msg",
        ),
    ] {
        let reply = clients.ask("a", "act", args.clone()).await;
        assert_eq!(reply["error"]["code"], code, "{args}: {reply}");
        println!(
            "RESULT malformed act {args} -> {}",
            reply["error"]["message"]
        );
    }
    for pattern in [json!("role:"), json!(42), json!({"a": {"b": 1}})] {
        let reply = clients.subscribe("a", pattern.clone()).await;
        assert_eq!(
            reply["error"]["code"], "act_invalid_msg",
            "{pattern}: {reply}"
        );
        println!(
            "RESULT malformed subscribe {pattern} -> {}",
            reply["error"]["message"]
        );
    }
    let reply = clients.ask("a", "launch", json!([{"x": 1}])).await;
    assert_eq!(reply["error"]["code"], "unknown_event", "{reply}");
    assert_eq!(
        clients
            .act("a", json!({"role": "echo", "still": true}))
            .await["still"],
        true
    );

    // Over `max_message_bytes` (4 KiB): the connection is closed, the others keep going.
    clients
        .connect("b", &url, json!({}))
        .await
        .expect("connects");
    let huge = "x".repeat(16 * 1024);
    clients
        .send(json!({"op": "emit", "id": "a", "event": "act", "args": [{"role": "echo", "blob": huge}]}))
        .await;
    let reason = clients.disconnected("a", STEP).await;
    println!("RESULT huge message: client disconnected ({reason})");

    // A packet Socket.IO cannot parse: that connection is closed too.
    clients
        .send(json!({"op": "raw", "id": "b", "data": "2[\"act\", {oops"}))
        .await;
    let reason = clients.disconnected("b", STEP).await;
    println!("RESULT unparsable packet: client disconnected ({reason})");

    clients
        .connect("c", &url, json!({}))
        .await
        .expect("the server still accepts");
    assert_eq!(
        clients.act("c", json!({"role": "echo", "n": 3})).await["n"],
        3
    );
    assert_eq!(sockets.connections(), 1, "the closed sockets left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_matching_several_configured_patterns_is_pushed_once() {
    let config = Config::from_toml_str(
        "[socketio]\nevents = [\"role:order\", \"event:shipped\"]\nsubscribe = [\"event:shipped\"]",
    )
    .expect("valid config");
    let sockets = Sockets::from_config(&config).expect("valid [socketio]");
    let node = Node::builder()
        .without_registered()
        .sockets(&sockets)
        .build()
        .expect("builds");
    let app = sockets.router(node.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut clients = Clients::start().await;
    clients
        .connect("a", &url, json!({}))
        .await
        .expect("connects");
    clients.subscribe("a", json!("event:shipped")).await;
    for n in 1..=2 {
        node.emit(json!({"role": "order", "event": "shipped", "n": n}))
            .await
            .expect("emits");
    }
    // Each subscriber of a local emit runs in its own task: the two may arrive in either order.
    for n in 1..=2 {
        clients
            .wait(|v| v["type"] == "event" && v["data"]["n"] == n, STEP)
            .await;
    }
    clients.subscribe("a", json!("event:shipped")).await; // a round trip for a late copy
    assert!(!clients.saw(|v| v["type"] == "event"), "a copy was pushed");
}
