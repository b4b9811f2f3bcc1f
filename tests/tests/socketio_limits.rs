//! Who may connect and what each socket may do (`[socketio] authorizer`), and the limits that
//! keep one client from hurting the others — with the real Node.js `socket.io-client`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use porticus::config::Config;
use porticus::socketio::Sockets;
use porticus::{ActError, Node};
use porticus_tests::socketio::Clients;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

/// Serves the sockets of `toml` alone, on a node with `role:echo`, the authorizer
/// `role:auth,cmd:socket` (token `alice` may act and follow alice's orders; any other token is
/// refused) and `role:wait`, which counts itself in `started` and waits for a `gate` permit.
async fn serve(
    toml: &str,
    started: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
) -> (String, Node, Sockets) {
    let config = Config::from_toml_str(toml).expect("valid config");
    let sockets = Sockets::from_config(&config).expect("valid [socketio]");
    let node = Node::builder()
        .without_registered()
        .add(
            "role:echo",
            |msg: Value| async move { Ok::<_, ActError>(msg) },
        )
        .add("role:auth,cmd:socket", |msg: Value| async move {
            match msg["auth"]["token"].as_str() {
                Some("alice") => Ok(json!({
                    "act": ["role:echo,customer:alice"],
                    "subscribe": ["role:order,customer:alice"],
                })),
                Some("garbled") => Ok(json!({"act": "everything"})),
                Some(_) => Err(ActError::new("unauthorized", "unknown token")),
                None => Err(ActError::new("unauthorized", "a token is needed")),
            }
        })
        .add("role:wait", move |_: Value| {
            let (started, gate) = (started.clone(), gate.clone());
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                gate.acquire().await.expect("open gate").forget();
                Ok::<_, ActError>(json!("done"))
            }
        })
        .sockets(&sockets)
        .build()
        .expect("builds");
    let app = sockets.router(node.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), node, sockets)
}

async fn serve_plain(toml: &str) -> (String, Node, Sockets) {
    serve(toml, Arc::default(), Arc::new(Semaphore::new(0))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_refuses_connections_and_scopes_each_socket() {
    let (url, node, sockets) = serve_plain(
        "[socketio]\nauthorizer = \"role:auth,cmd:socket\"\nevents = [\"role:order\"]\nact = [\"role:echo\"]",
    )
    .await;
    let mut clients = Clients::start().await;

    let refused = clients
        .connect("nobody", &url, json!({}))
        .await
        .unwrap_err();
    assert_eq!(refused, "unauthorized: a token is needed");
    let refused = clients
        .connect("mallory", &url, json!({"token": "mallory"}))
        .await
        .unwrap_err();
    assert_eq!(refused, "unauthorized: unknown token");
    let refused = clients
        .connect("garbled", &url, json!({"token": "garbled"}))
        .await
        .unwrap_err();
    assert!(
        refused.starts_with("reply_invalid: the authorizer's `act` must be a list"),
        "{refused}"
    );
    println!("RESULT refused connection -> {refused:?}");

    clients
        .connect("alice", &url, json!({"token": "alice"}))
        .await
        .expect("alice connects");
    assert_eq!(sockets.connections(), 1, "refused sockets are not kept");
    // The authorizer's answer replaces `[socketio] act`: alice may echo only as herself.
    let reply = clients
        .act("alice", json!({"role": "echo", "customer": "alice"}))
        .await;
    assert_eq!(reply, json!({"role": "echo", "customer": "alice"}));
    let reply = clients.act("alice", json!({"role": "echo"})).await;
    assert_eq!(reply["error"]["code"], "forbidden", "{reply}");

    let reply = clients.subscribe("alice", json!("role:order")).await;
    assert_eq!(reply["error"]["code"], "forbidden", "all orders: {reply}");
    let reply = clients
        .subscribe("alice", json!({"role": "order", "customer": "alice"}))
        .await;
    assert_eq!(
        reply,
        json!({"subscriptions": ["customer:alice,role:order"]})
    );
    for customer in ["bob", "alice"] {
        node.emit(json!({"role": "order", "event": "shipped", "customer": customer}))
            .await
            .expect("emits");
    }
    assert_eq!(clients.event("alice").await["customer"], "alice");
    clients
        .act("alice", json!({"role": "echo", "customer": "alice"}))
        .await;
    assert!(!clients.saw(|v| v["type"] == "event" && v["data"]["customer"] == "bob"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_maximum_are_refused_until_one_leaves() {
    let (url, _node, sockets) =
        serve_plain("[socketio]\nmax_connections = 3\nact = [\"role:echo\"]").await;
    let mut clients = Clients::start().await;
    for id in ["a", "b", "c"] {
        clients
            .connect(id, &url, json!({}))
            .await
            .expect("under the maximum");
    }
    let refused = clients.connect("d", &url, json!({})).await.unwrap_err();
    assert_eq!(
        refused,
        "overloaded: the server has its maximum of 3 connections"
    );
    assert_eq!(
        clients.act("a", json!({"role": "echo", "n": 1})).await["n"],
        1
    );

    clients.send(json!({"op": "close", "id": "a"})).await;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match clients.connect("e", &url, json!({})).await {
            Ok(()) => break,
            Err(e) if attempts < 50 => {
                assert!(e.contains("maximum of 3"), "{e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the freed place was never given back: {e}"),
        }
    }
    assert_eq!(sockets.connections(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acts_over_the_rate_or_in_flight_limits_and_extra_subscriptions_are_refused() {
    let started = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(0));
    let (url, _node, _sockets) = serve(
        "[socketio]\nact = [\"role:echo\", \"role:wait\"]\nsubscribe = [\"role:order\"]\nmax_acts_in_flight = 2\nmax_acts_per_second = 4\nmax_subscriptions = 2",
        started.clone(),
        gate.clone(),
    )
    .await;
    let mut clients = Clients::start().await;
    clients
        .connect("a", &url, json!({}))
        .await
        .expect("connects");

    // In flight: two acts wait at the gate, the third is refused at once.
    for tag in ["w1", "w2", "w3"] {
        clients
            .send(json!({"op": "emit", "id": "a", "event": "act", "args": [{"role": "wait"}], "tag": tag}))
            .await;
    }
    let refused = clients
        .wait(|v| v["type"] == "ack", porticus_tests::socketio::STEP)
        .await;
    assert_eq!(refused["reply"]["error"]["code"], "overloaded", "{refused}");
    assert!(refused["reply"]["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("2 acts in flight"));
    // The two admitted acts reach their handler in their own time (bounded wait).
    let deadline = std::time::Instant::now() + porticus_tests::socketio::STEP;
    while started.load(Ordering::SeqCst) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the admitted acts never ran"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        started.load(Ordering::SeqCst),
        2,
        "the refused act never ran"
    );
    gate.add_permits(2);
    for _ in 0..2 {
        let done = clients
            .wait(|v| v["type"] == "ack", porticus_tests::socketio::STEP)
            .await;
        assert_eq!(done["reply"], "done");
    }

    // Rate: the four acts above took the bucket's four tokens, minus what refilled since.
    let mut outcomes = Vec::new();
    for n in 0..12 {
        let reply = clients.act("a", json!({"role": "echo", "n": n})).await;
        outcomes.push(reply["error"]["code"].as_str().unwrap_or("ok").to_owned());
    }
    let refused = outcomes.iter().filter(|o| *o == "overloaded").count();
    println!(
        "RESULT 12 acts at 4/s: {} ok, {refused} overloaded",
        12 - refused
    );
    assert!(refused >= 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o == "ok" || o == "overloaded"),
        "{outcomes:?}"
    );

    for (pattern, code) in [
        ("role:order,event:a", None),
        ("role:order,event:b", None),
        ("role:order,event:c", Some("overloaded")),
    ] {
        let reply = clients.subscribe("a", json!(pattern)).await;
        assert_eq!(reply["error"]["code"].as_str(), code, "{pattern}: {reply}");
    }
}
