//! Request/reply over RabbitMQ beyond the behaviour suite: what goes on the wire, and what
//! happens with no route, no responder, malformed and oversized messages.

use std::time::{Duration, Instant};

use porticus::config::{AmqpClientConfig, AmqpListenConfig};
use porticus::transport::amqp::{AmqpClient, AmqpListener};
use porticus::{ActError, Code, Node};
use porticus_tests::broker::{next_json, Broker};
use porticus_tests::harness::{amqp_caller, amqp_configs, broker_down, listening, unique_prefix};
use serde_json::{json, Value};

/// A node serving `role:echo` (replies with what it got) from an AMQP listener.
async fn echo_server(listen: AmqpListenConfig) -> Node {
    let node = Node::builder()
        .name("echo")
        .without_registered()
        .add(
            "role:echo",
            |msg: Value| async move { Ok::<_, ActError>(msg) },
        )
        .add("role:echo,cmd:big", |msg: Value| async move {
            let n = msg["n"].as_u64().unwrap_or(0) as usize;
            Ok::<_, ActError>(json!({ "big": "x".repeat(n) }))
        })
        .build()
        .expect("builds");
    let started = node
        .start(&listening("echo", listen))
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    drop(started);
    node
}

async fn caller(client: &AmqpClientConfig, pin: &str) -> (Node, AmqpClient) {
    amqp_caller(client, "caller", pin).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_transient_with_ids_deadline_and_trace_context() {
    let prefix = unique_prefix("wire");
    let (_, mut client) = amqp_configs(&prefix);
    client.pin = "role:wire,cmd:*".into();
    let (node, _amqp) = caller(&client, &client.pin).await;
    // Opted in, a second client publishes its requests persistent.
    let mut durable = client.clone();
    durable.persistent_requests = true;
    let (durable_node, _durable_amqp) = amqp_caller(&durable, "durable-caller", &durable.pin).await;
    let broker = Broker::connect().await;
    let tap = format!("{prefix}.tap");
    broker.tap(&tap, &client.exchange, "cmd.*.role.wire").await;

    let pending = tokio::spawn(async move {
        node.act(json!({"role": "wire", "cmd": "look", "tx$": "tx-wire", "timeout$": 3_000}))
            .await
    });
    let got = broker
        .wait_get(&tap, Duration::from_secs(5))
        .await
        .expect("the request reached the tap queue");
    assert_eq!(got.routing_key, "cmd.look.role.wire");
    let props = &got.properties;
    assert_eq!(*props.delivery_mode(), Some(1), "transient by default");
    assert_eq!(
        props.content_type().as_ref().map(|c| c.as_str()),
        Some("application/json")
    );
    assert!(props.message_id().is_some(), "every message has an id");
    assert!(props.correlation_id().is_some());
    assert!(props
        .reply_to()
        .as_ref()
        .is_some_and(|r| r.as_str().starts_with(&format!("{prefix}.act."))));
    let expiration: u64 = props
        .expiration()
        .as_ref()
        .expect("an expiration")
        .as_str()
        .parse()
        .expect("milliseconds");
    assert!((1..=3_000).contains(&expiration), "expiration {expiration}");
    let traceparent = got.headers.get("traceparent").expect("a traceparent");
    assert_eq!(traceparent.len(), 55, "{traceparent}");
    let timeout: u64 = got.headers["x-porticus-timeout-ms"].parse().unwrap();
    assert!(timeout <= 3_000 && timeout + 1_000 > 3_000, "{timeout}");
    let body: Value = serde_json::from_slice(&got.body).expect("a JSON envelope");
    assert_eq!(body["kind"], "act");
    assert_eq!(body["sync"], true);
    assert_eq!(body["origin"], "caller");
    assert_eq!(body["track"], json!(["caller"]));
    assert!(body["id"].as_str().unwrap().ends_with("/tx-wire"), "{body}");
    assert!(body["time"]["client_sent"].is_u64());
    assert_eq!(
        body["act"],
        json!({"role": "wire", "cmd": "look"}),
        "no directives"
    );
    let durable_pending = tokio::spawn(async move {
        durable_node
            .act(json!({"role": "wire", "cmd": "look", "timeout$": 1_000}))
            .await
    });
    let got = broker
        .wait_get(&tap, Duration::from_secs(5))
        .await
        .expect("the second request reached the tap queue");
    assert_eq!(
        *got.properties.delivery_mode(),
        Some(2),
        "persistent_requests = true"
    );
    broker.delete_queue(&tap).await;
    for pending in [pending, durable_pending] {
        let err = pending
            .await
            .expect("joins")
            .expect_err("nobody answers the tap");
        assert_eq!(err.code(), &Code::ACTION_TIMEOUT, "{err}");
    }
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unroutable_request_fails_at_once_with_no_route() {
    let prefix = unique_prefix("noroute");
    let (_, mut client) = amqp_configs(&prefix);
    client.pin = "role:nobody".into();
    let (node, _amqp) = caller(&client, "role:nobody").await;
    let started = Instant::now();
    let err = node
        .act(json!({"role": "nobody", "cmd": "x", "timeout$": 10_000}))
        .await
        .expect_err("nothing is bound");
    let elapsed = started.elapsed();
    println!(
        "RESULT test=unroutable code={} elapsed_ms={}",
        err.code(),
        elapsed.as_millis()
    );
    assert_eq!(err.code(), &Code::NO_ROUTE, "{err}");
    assert!(err.message().contains("role.nobody"), "{err}");
    assert!(elapsed < Duration::from_millis(1_000), "took {elapsed:?}");
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responder_down_times_out_and_the_request_expires_unrun() {
    let prefix = unique_prefix("down");
    let (mut listen, mut client) = amqp_configs(&prefix);
    listen.pin = "role:down".into();
    client.pin = "role:down".into();
    let server = Node::builder()
        .name("down")
        .without_registered()
        .add("role:down", |_: Value| async move {
            if true {
                panic!("a request past its deadline must never run");
            }
            Ok::<_, ActError>(Value::Null)
        })
        .build()
        .expect("builds");
    // Declare the queue and go away without consuming it.
    let listener = AmqpListener::bind(&listen, &server)
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let queue = listener
        .request_queue()
        .expect("a request queue")
        .to_owned();
    drop(listener);
    let (node, _amqp) = caller(&client, "role:down").await;

    let started = Instant::now();
    let err = node
        .act(json!({"role": "down", "timeout$": 1_000}))
        .await
        .expect_err("nobody consumes");
    let elapsed = started.elapsed();
    assert_eq!(err.code(), &Code::ACTION_TIMEOUT, "{err}");
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_millis(1_500),
        "timed out after {elapsed:?}"
    );
    let broker = Broker::connect().await;
    let depth = broker.wait_depth(&queue, 0, Duration::from_secs(5)).await;
    let dead = broker
        .wait_get(&listen.dead_letter_queue, Duration::from_secs(5))
        .await
        .expect("the expired request is dead-lettered");
    println!(
        "RESULT test=responder_down elapsed_ms={} queue_depth_after={:?} dead_letter_reason={}",
        elapsed.as_millis(),
        depth,
        dead.headers
            .get("x-first-death-reason")
            .map_or("-", String::as_str)
    );
    assert_eq!(depth, Some(0), "the request expired in the broker");
    assert_eq!(dead.headers["x-first-death-reason"], "expired");
    // Serving the queue now finds nothing to run (the handler would panic the test).
    let started = server
        .start(&listening("down", listen))
        .await
        .expect("serves");
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.close();
    started.shutdown().await.expect("clean shutdown");
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_dead_lettered_and_the_listener_keeps_serving() {
    let prefix = unique_prefix("malformed");
    let (mut listen, mut client) = amqp_configs(&prefix);
    listen.pin = "role:echo".into();
    client.pin = "role:echo".into();
    let _server = echo_server(listen.clone()).await;
    let broker = Broker::connect().await;
    let (reply_to, mut replies) = broker.reply_queue().await;
    let exchange = &listen.exchange;

    // Not JSON, with a reply queue: an error reply, and the dead-letter queue.
    broker
        .publish(exchange, "role.echo", b"\xff not json", Some(&reply_to))
        .await;
    let reply = next_json(&mut replies, Duration::from_secs(5))
        .await
        .expect("an error reply");
    assert_eq!(reply["kind"], "res");
    assert_eq!(reply["error"]["code"], "act_invalid_msg", "{reply}");
    // Valid JSON, not an envelope.
    broker
        .publish(exchange, "role.echo", b"[1, 2]", Some(&reply_to))
        .await;
    let reply = next_json(&mut replies, Duration::from_secs(5))
        .await
        .expect("an error reply");
    assert_eq!(reply["error"]["code"], "act_invalid_msg", "{reply}");
    // A wrong kind keeps its id and origin in the error reply.
    broker
        .publish(
            exchange,
            "role.echo",
            br#"{"id":"m1/t1","origin":"raw","kind":"res","act":{"role":"echo"}}"#,
            Some(&reply_to),
        )
        .await;
    let reply = next_json(&mut replies, Duration::from_secs(5))
        .await
        .expect("an error reply");
    assert_eq!(
        (reply["id"].clone(), reply["origin"].clone()),
        (json!("m1/t1"), json!("raw"))
    );
    // No reply queue: nothing to answer, dead-lettered.
    broker
        .publish(
            exchange,
            "role.echo",
            br#"{"kind":"act","act":{"role":"echo"}}"#,
            None,
        )
        .await;
    // Seneca's minimal envelope is served.
    broker
        .publish(
            exchange,
            "role.echo",
            br#"{"kind":"act","act":{"role":"echo","x":1}}"#,
            Some(&reply_to),
        )
        .await;
    let reply = next_json(&mut replies, Duration::from_secs(5))
        .await
        .expect("a reply");
    assert_eq!(reply["res"], json!({"role": "echo", "x": 1}), "{reply}");

    let mut dead = Vec::new();
    while dead.len() < 4 {
        match broker
            .wait_get(&listen.dead_letter_queue, Duration::from_secs(5))
            .await
        {
            Some(got) => dead.push(got),
            None => break,
        }
    }
    assert_eq!(dead.len(), 4, "every malformed request is dead-lettered");
    assert!(dead
        .iter()
        .all(|d| d.headers["x-first-death-reason"] == "rejected"));

    // The channel and the consumer are alive.
    let (node, _amqp) = caller(&client, "role:echo").await;
    let reply = node
        .act(json!({"role": "echo", "after": true}))
        .await
        .expect("still serving");
    assert_eq!(reply, json!({"role": "echo", "after": true}));
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_refused_before_publishing() {
    let prefix = unique_prefix("oversized");
    let (mut listen, mut client) = amqp_configs(&prefix);
    listen.pin = "role:echo".into();
    listen.max_message_bytes = 64 * 1024;
    client.pin = "role:echo".into();
    client.max_message_bytes = 1024 * 1024;
    let _server = echo_server(listen.clone()).await;
    let (node, amqp) = caller(&client, "role:echo").await;

    // Over the client's limit: refused at once, nothing published.
    let started = Instant::now();
    let err = node
        .act(json!({"role": "echo", "blob": "x".repeat(2 * 1024 * 1024)}))
        .await
        .expect_err("2 MiB is over 1 MiB");
    assert_eq!(err.code(), &Code::PAYLOAD_TOO_LARGE, "{err}");
    assert!(started.elapsed() < Duration::from_millis(500));
    let emitter = Node::builder()
        .name("emitter")
        .without_registered()
        .client("event:*", amqp.clone())
        .build()
        .expect("builds");
    let err = emitter
        .emit(json!({"event": "blob", "blob": "x".repeat(2 * 1024 * 1024)}))
        .await
        .expect_err("events too");
    assert_eq!(err.code(), &Code::PAYLOAD_TOO_LARGE, "{err}");
    // Within the client's limit, over the listener's: refused by the listener.
    let err = node
        .act(json!({"role": "echo", "blob": "x".repeat(100 * 1024)}))
        .await
        .expect_err("100 KiB is over the listener's 64 KiB");
    assert_eq!(err.code(), &Code::PAYLOAD_TOO_LARGE, "{err}");
    // A reply over the listener's limit becomes an error reply.
    let err = node
        .act(json!({"role": "echo", "cmd": "big", "n": 100 * 1024}))
        .await
        .expect_err("the reply is too large");
    assert_eq!(err.code(), &Code::PAYLOAD_TOO_LARGE, "{err}");
    // The channels are fine: small messages pass.
    for i in 0..20 {
        let reply = node
            .act(json!({"role": "echo", "i": i}))
            .await
            .expect("small acts pass");
        assert_eq!(reply["i"], i);
    }
    Broker::connect().await.cleanup(&prefix).await;
}
