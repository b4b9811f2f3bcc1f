//! Acts over NATS: no responders, deadlines, malformed requests from a raw client, the size
//! limit, competing instances, and credentials (against a private server that requires them).
//!
//! Prints `RESULT` lines with the measured figures.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use porticus::config::{Config, NatsClientConfig, NatsCredentials, NatsListenConfig};
use porticus::transport::nats::NatsClient;
use porticus::{ActError, Code, Node, Server};
use porticus_tests::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Jet, Names};
use porticus_tests::private_nats::PrivateNats;
use serde_json::{json, Value};

#[derive(Debug, serde::Deserialize)]
struct Typed {
    n: u64,
}

/// A service `calc` serving `role:calc,cmd:*` over NATS.
async fn serve_calc(listen: NatsListenConfig) -> (Node, Server) {
    let node = Node::builder()
        .name("calc")
        .without_registered()
        .add("role:calc,cmd:sum", |m: Value| async move {
            Ok::<_, ActError>(json!({"answer": m["left"].as_i64().unwrap_or(0) + m["right"].as_i64().unwrap_or(0)}))
        })
        .add("role:calc,cmd:sleep", |m: Value| async move {
            tokio::time::sleep(Duration::from_millis(m["ms"].as_u64().unwrap_or(0))).await;
            Ok::<_, ActError>(json!({"slept": m["ms"]}))
        })
        .add("role:calc,cmd:big", |m: Value| async move {
            Ok::<_, ActError>(json!({"blob": "x".repeat(m["bytes"].as_u64().unwrap_or(0) as usize)}))
        })
        .add("role:calc,cmd:typed", |t: Typed| async move { Ok::<_, ActError>(json!({"n": t.n})) })
        .add("role:calc,cmd:whoami", |_: Value, ctx: porticus::Context| async move {
            Ok::<_, ActError>(json!({"instance": ctx.node().instance()}))
        })
        .build()
        .expect("builds");
    let server = node
        .start(&nats_listening("calc", listen))
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    (node, server)
}

async fn caller(client: &NatsClientConfig, credentials: &NatsCredentials) -> Node {
    let nats = NatsClient::new(client, credentials, "caller").expect("valid config");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    Node::builder()
        .name("caller")
        .without_registered()
        .client("", nats)
        .build()
        .expect("builds")
}

fn pinned(names: &Names) -> (NatsListenConfig, NatsClientConfig) {
    let (mut listen, mut client) = nats_configs(names, &nats_url());
    listen.pin = "role:calc,cmd:*".into();
    client.pin = "role:calc,cmd:*".into();
    (listen, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_responders_is_no_route_at_once_and_deadlines_bound_the_call() {
    let names = Names::new("deadline");
    let (listen, client) = pinned(&names);
    let caller = caller(&client, &NatsCredentials::default()).await;

    // Nobody serves the subject yet: NATS says so at once.
    let started = Instant::now();
    let err = caller
        .act(json!({"role": "calc", "cmd": "sum", "left": 1, "right": 2}))
        .await
        .expect_err("no listener");
    let no_route_ms = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(err.code(), &Code::NO_ROUTE, "{err}");
    assert!(
        err.message().contains("porticus.act") || err.message().contains(&names.prefix),
        "{err}"
    );
    assert!(no_route_ms < 100.0, "no_route took {no_route_ms:.1} ms");

    let (_node, server) = serve_calc(listen).await;
    let sum = caller
        .act(json!({"role": "calc", "cmd": "sum", "left": 1, "right": 2}))
        .await
        .expect("served");
    assert_eq!(sum, json!({"answer": 3}));

    // A handler slower than the caller's deadline: `action_timeout` at the deadline.
    let deadline_ms = 1_000.0;
    let started = Instant::now();
    let err = caller
        .act(json!({"role": "calc", "cmd": "sleep", "ms": 5_000, "timeout$": 1_000}))
        .await
        .expect_err("times out");
    let took_ms = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(err.code(), &Code::ACTION_TIMEOUT, "{err}");
    println!(
        "RESULT test=nats_deadlines no_route_ms={no_route_ms:.1} deadline_ms={deadline_ms} action_timeout_after_ms={took_ms:.1}"
    );
    assert!(
        (took_ms - deadline_ms).abs() <= deadline_ms * 0.05,
        "action_timeout after {took_ms:.1} ms for a {deadline_ms} ms deadline"
    );
    // The listener is still serving.
    assert_eq!(
        caller
            .act(json!({"role": "calc", "cmd": "sum", "left": 2, "right": 2}))
            .await
            .expect("still served"),
        json!({"answer": 4})
    );
    server.shutdown().await.expect("clean shutdown");
}

/// A raw NATS request on the listener's subject.
async fn raw(jet: &Jet, subject: &str, headers: &[(&str, &str)], body: &[u8]) -> (bool, Value) {
    let mut map = async_nats::HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, *v);
    }
    let reply = jet
        .client
        .request_with_headers(subject.to_owned(), map, body.to_vec().into())
        .await
        .expect("the listener answers");
    let failed = reply
        .headers
        .as_ref()
        .and_then(|h| h.get("porticus-error"))
        .is_some_and(|v| v.as_str() == "1");
    let value = serde_json::from_slice(&reply.payload).expect("a JSON reply");
    (failed, value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_a_clear_error_reply_and_the_listener_keeps_serving() {
    let names = Names::new("malformed");
    let (mut listen, client) = pinned(&names);
    listen.max_message_bytes = 4_096;
    let (_node, server) = serve_calc(listen).await;
    let jet = Jet::connect(&nats_url()).await;
    let subject = format!("{}.act.cmd.sum.role.calc", names.prefix);
    let typed = format!("{}.act.cmd.typed.role.calc", names.prefix);

    let invalid = Code::ACT_INVALID_MSG;
    let cases = [
        (
            "not JSON",
            &subject,
            vec![],
            b"{not json".to_vec(),
            invalid.clone(),
            "not valid JSON",
        ),
        (
            "an array",
            &subject,
            vec![],
            b"[1,2]".to_vec(),
            invalid.clone(),
            "an array",
        ),
        (
            "a bad deadline header",
            &subject,
            vec![("porticus-timeout-ms", "soon")],
            br#"{"role":"calc","cmd":"sum","left":1,"right":2}"#.to_vec(),
            invalid.clone(),
            "porticus-timeout-ms",
        ),
        (
            "a field of the wrong type",
            &typed,
            vec![],
            br#"{"role":"calc","cmd":"typed","n":"one"}"#.to_vec(),
            invalid.clone(),
            "`n`",
        ),
        (
            "too large",
            &subject,
            vec![],
            vec![b' '; 5_000],
            Code::PAYLOAD_TOO_LARGE,
            "4096-byte limit",
        ),
    ];
    for (what, subject, headers, body, code, says) in cases {
        let (failed, reply) = raw(&jet, subject, &headers, &body).await;
        assert!(failed, "{what}: an error reply, got {reply}");
        let err: ActError = serde_json::from_value(reply).expect("an ActError");
        assert_eq!(err.code(), &code, "{what}: {err}");
        assert!(err.message().contains(says), "{what}: {err}");
    }
    // A request with no reply subject has no one to answer: dropped, nothing breaks.
    jet.client
        .publish(subject.clone(), b"{}".to_vec().into())
        .await
        .expect("published");
    // A reply larger than the listener's limit becomes an error reply.
    let caller = caller(&client, &NatsCredentials::default()).await;
    let err = caller
        .act(json!({"role": "calc", "cmd": "big", "bytes": 10_000}))
        .await
        .expect_err("too large a reply");
    assert_eq!(err.code(), &Code::PAYLOAD_TOO_LARGE, "{err}");
    // Still serving.
    assert_eq!(
        caller
            .act(json!({"role": "calc", "cmd": "sum", "left": 1, "right": 1}))
            .await
            .expect("still served"),
        json!({"answer": 2})
    );
    // A client act with no pin to route it by fails at once, saying why.
    let unpinned = caller;
    let err = unpinned
        .act(json!({"role": "other"}))
        .await
        .expect_err("no pin matches");
    assert_eq!(err.code(), &Code::NO_ROUTE, "{err}");
    assert!(err.message().contains("pin"), "{err}");
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_of_one_service_share_the_requests() {
    let names = Names::new("share");
    let (listen, client) = pinned(&names);
    let (_one, one_server) = serve_calc(listen.clone()).await;
    let (_two, two_server) = serve_calc(listen).await;
    let caller = caller(&client, &NatsCredentials::default()).await;
    let answers: Vec<Value> = stream::iter(0..200)
        .map(|_| {
            let caller = caller.clone();
            async move {
                caller
                    .act(json!({"role": "calc", "cmd": "whoami"}))
                    .await
                    .expect("an instance answers")
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut by: HashMap<String, usize> = HashMap::new();
    for answer in &answers {
        *by.entry(answer["instance"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let counts: Vec<usize> = by.values().copied().collect();
    println!("RESULT test=nats_competing_consumers requests=200 per_instance={counts:?}");
    assert_eq!(by.len(), 2, "both instances answered: {by:?}");
    assert_eq!(counts.iter().sum::<usize>(), 200);
    one_server.shutdown().await.expect("clean shutdown");
    // With one instance gone, the other takes every request.
    for _ in 0..20 {
        caller
            .act(json!({"role": "calc", "cmd": "whoami"}))
            .await
            .expect("the remaining instance answers");
    }
    two_server.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_come_from_the_url_or_the_nats_section() {
    let server = PrivateNats::start_with_user("auth", "svc", "s3cret");
    let names = Names::new("auth");
    let (mut listen, mut client) = nats_configs(&names, &server.url());
    listen.pin = "role:calc,cmd:*".into();
    client.pin = listen.pin.clone();

    // No credentials: refused, naming the server.
    let refused = Node::builder()
        .without_registered()
        .build()
        .expect("builds")
        .start(&nats_listening("calc", listen.clone()))
        .await
        .expect_err("credentials are required");
    assert!(refused.to_string().contains(&server.url()), "{refused}");

    // The listener's credentials in its URL (masked in what it says).
    let mut with_url = listen.clone();
    with_url.url = server.url().replace("nats://", "nats://svc:s3cret@");
    let (_node, served) = serve_calc(with_url).await;
    assert!(
        served.addresses()[0].contains("svc:***@"),
        "{:?}",
        served.addresses()
    );
    assert!(!served.addresses()[0].contains("s3cret"));

    // The client's from `[nats]`, as PORTICUS__NATS__USER / __PASSWORD would set them.
    let config =
        Config::from_toml_str("[nats]\nuser = \"svc\"\npassword = \"s3cret\"").expect("valid");
    let caller = caller(&client, &config.nats).await;
    assert_eq!(
        caller
            .act(json!({"role": "calc", "cmd": "sum", "left": 20, "right": 22}))
            .await
            .expect("served"),
        json!({"answer": 42})
    );
    served.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_running_requests_and_hands_the_waiting_ones_to_another_instance() {
    let names = Names::new("drain");
    let (mut listen, client) = pinned(&names);
    // One request at a time: the others wait in the subscription.
    listen.max_concurrent_requests = 1;
    let (_leaving, leaving) = serve_calc(listen.clone()).await;
    let caller = caller(&client, &NatsCredentials::default()).await;
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let caller = caller.clone();
            tokio::spawn(async move {
                caller
                    .act(json!({"role": "calc", "cmd": "sleep", "ms": 300, "i": i, "timeout$": 10_000}))
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A second instance joins, then the first leaves while one request runs and five wait.
    let (_staying, staying) = serve_calc(listen).await;
    let started = Instant::now();
    leaving.shutdown().await.expect("clean shutdown");
    let shutdown_ms = started.elapsed().as_millis();
    let mut answered = 0;
    for call in calls {
        let reply = call
            .await
            .expect("joins")
            .unwrap_or_else(|e| panic!("call {answered} is not answered: {e}"));
        assert_eq!(reply, json!({"slept": 300}));
        answered += 1;
    }
    println!("RESULT test=nats_drain calls=6 answered={answered} shutdown_ms={shutdown_ms}");
    assert_eq!(answered, 6);
    staying.shutdown().await.expect("clean shutdown");
}
