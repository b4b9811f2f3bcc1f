//! Events over RabbitMQ: group and broadcast delivery, retries and dead-lettering, unroutable
//! events, full queues.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use porticus::config::{AmqpClientConfig, AmqpListenConfig, EventMode};
use porticus::transport::amqp::{AmqpClient, AmqpListener};
use porticus::{ActError, Code, Node};
use porticus_tests::broker::Broker;
use porticus_tests::harness::{amqp_configs, broker_down, listening, unique_prefix};
use porticus_tests::seen::Seen;
use serde::Deserialize;
use serde_json::{json, Value};

/// A node of service `name` subscribed to `pattern`, recording each event's `n` in `seen`,
/// served by an AMQP listener.
async fn subscriber(name: &str, pattern: &str, listen: &AmqpListenConfig, seen: Arc<Seen>) -> Node {
    let node = Node::builder()
        .name(name)
        .without_registered()
        .subscribe(pattern, move |ev: Value| {
            let seen = seen.clone();
            async move {
                seen.record(ev["n"].as_u64().unwrap_or(u64::MAX));
                Ok::<_, ActError>(())
            }
        })
        .build()
        .expect("builds");
    let started = node
        .start(&listening(name, listen.clone()))
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    drop(started);
    node
}

/// A node that emits everything through a catch-all AMQP client.
async fn emitter(client: &AmqpClientConfig) -> Node {
    let amqp = AmqpClient::new(client, "emitter").expect("valid config");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    Node::builder()
        .name("emitter")
        .without_registered()
        .client("", amqp)
        .build()
        .expect("builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_each_get_every_event_and_instances_share_or_broadcast() {
    let prefix = unique_prefix("fanout");
    let (listen, client) = amqp_configs(&prefix);
    let mut broadcast = listen.clone();
    broadcast.event_mode = EventMode::Broadcast;
    let seen: Vec<Arc<Seen>> = (0..5).map(|_| Arc::default()).collect();
    let _nodes = [
        subscriber("a", "event:fan", &listen, seen[0].clone()).await,
        subscriber("a", "event:fan", &listen, seen[1].clone()).await,
        subscriber("b", "event:fan", &listen, seen[2].clone()).await,
        subscriber("c", "event:fan", &broadcast, seen[3].clone()).await,
        subscriber("c", "event:fan", &broadcast, seen[4].clone()).await,
    ];
    let emitter = emitter(&client).await;
    const N: u64 = 200;
    for n in 0..N {
        emitter
            .emit(json!({"event": "fan", "n": n}))
            .await
            .expect("every emit is confirmed");
    }
    let within = Duration::from_secs(20);
    Seen::wait(&[&seen[0], &seen[1]], N as usize, within).await;
    for s in &seen[2..] {
        Seen::wait(&[s], N as usize, within).await;
    }
    let [a1, a2, b, c1, c2] = [0, 1, 2, 3, 4].map(|i| seen[i].distinct());
    println!("RESULT test=fan_out events={N} a1={a1} a2={a2} b={b} c1={c1} c2={c2}");
    assert_eq!(
        a1 + a2,
        N as usize,
        "group: the instances of `a` share the events"
    );
    assert_eq!(
        seen[0].deliveries() + seen[1].deliveries(),
        N as u32,
        "each event reaches one instance of `a`"
    );
    assert!(
        a1 > 0 && a2 > 0,
        "both instances of `a` get some: {a1}/{a2}"
    );
    assert_eq!(b, N as usize, "service `b` gets every event");
    assert_eq!(
        (c1, c2),
        (N as usize, N as usize),
        "broadcast: every instance of `c`"
    );
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_dead_lettered_after_its_attempts_and_the_rest_flow() {
    let prefix = unique_prefix("poison");
    let (mut listen, client) = amqp_configs(&prefix);
    listen.event_max_attempts = 3;
    let attempts = Arc::new(AtomicU32::new(0));
    let good = Arc::new(Seen::default());
    let node = {
        let (attempts, good) = (attempts.clone(), good.clone());
        Node::builder()
            .name("jobs")
            .without_registered()
            .subscribe("event:job", move |ev: Value| {
                let (attempts, good) = (attempts.clone(), good.clone());
                async move {
                    if ev["poison"] == true {
                        attempts.fetch_add(1, Ordering::SeqCst);
                        return Err(ActError::new("job_failed", "this job always fails"));
                    }
                    good.record(ev["n"].as_u64().unwrap_or(u64::MAX));
                    Ok(())
                }
            })
            .build()
            .expect("builds")
    };
    drop(
        node.start(&listening("jobs", listen.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}", broker_down(&e))),
    );
    let emitter = emitter(&client).await;
    emitter
        .emit(json!({"event": "job", "poison": true, "n": 0}))
        .await
        .expect("the poison event is accepted");
    for n in 1..=100 {
        emitter
            .emit(json!({"event": "job", "n": n}))
            .await
            .expect("accepted");
    }
    Seen::wait(&[&good], 100, Duration::from_secs(20)).await;
    assert_eq!(
        good.distinct(),
        100,
        "the good events flow past the poison one"
    );

    let broker = Broker::connect().await;
    let dead_letter_queue = format!("{prefix}.ev.jobs.dlq");
    let dead = broker
        .wait_get(&dead_letter_queue, Duration::from_secs(20))
        .await
        .expect("the poison event is dead-lettered");
    let ran = attempts.load(Ordering::SeqCst);
    println!(
        "RESULT test=poison attempts={ran} good={} dead_lettered=1 error_code={}",
        good.distinct(),
        dead.headers["x-porticus-error-code"]
    );
    assert_eq!(ran, 3, "exactly event_max_attempts attempts");
    assert_eq!(dead.headers["x-porticus-attempts"], "3");
    assert_eq!(dead.headers["x-porticus-error-code"], "job_failed");
    assert_eq!(
        dead.headers["x-porticus-error-message"],
        "this job always fails"
    );
    assert_eq!(
        dead.headers["x-porticus-queue"],
        format!("{prefix}.ev.jobs")
    );
    assert!(dead.headers["x-porticus-errors"].contains("job_failed"));
    let body: Value = serde_json::from_slice(&dead.body).expect("the original event");
    assert_eq!(body, json!({"event": "job", "poison": true, "n": 0}));
    assert!(
        broker.get(&dead_letter_queue).await.is_none(),
        "only the poison one"
    );
    node.close();
    Broker::connect().await.cleanup(&prefix).await;
}

#[derive(Debug, Deserialize)]
struct Typed {
    #[allow(dead_code)]
    n: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_that_can_never_succeed_are_dead_lettered_at_once() {
    let prefix = unique_prefix("permanent");
    let (listen, client) = amqp_configs(&prefix);
    let runs = Arc::new(AtomicU32::new(0));
    let node = {
        let runs = runs.clone();
        Node::builder()
            .name("typed")
            .without_registered()
            .subscribe("event:typed", move |_ev: Typed| {
                let runs = runs.clone();
                async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ActError>(())
                }
            })
            .build()
            .expect("builds")
    };
    drop(
        node.start(&listening("typed", listen.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}", broker_down(&e))),
    );
    let emitter = emitter(&client).await;
    // The input does not fit the handler's type: `act_invalid_msg`, never retried.
    emitter
        .emit(json!({"event": "typed", "n": "not a number"}))
        .await
        .expect("accepted");
    let broker = Broker::connect().await;
    let dead_letter_queue = format!("{prefix}.ev.typed.dlq");
    let dead = broker
        .wait_get(&dead_letter_queue, Duration::from_secs(10))
        .await
        .expect("dead-lettered");
    assert_eq!(dead.headers["x-porticus-attempts"], "1");
    assert_eq!(dead.headers["x-porticus-error-code"], "act_invalid_msg");
    // A body that is not JSON: rejected straight to the dead-letter queue.
    broker
        .publish(&listen.events_exchange, "event.typed", b"{not json", None)
        .await;
    let dead = broker
        .wait_get(&dead_letter_queue, Duration::from_secs(10))
        .await
        .expect("dead-lettered");
    assert_eq!(dead.body, b"{not json");
    assert_eq!(dead.headers["x-first-death-reason"], "rejected");
    // The subscriber still handles good events.
    emitter
        .emit(json!({"event": "typed", "n": 7}))
        .await
        .expect("accepted");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while runs.load(Ordering::SeqCst) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    node.close();
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_nobody_subscribes_to_is_no_route() {
    let prefix = unique_prefix("nosub");
    let (_, client) = amqp_configs(&prefix);
    let emitter = emitter(&client).await;
    let err = emitter
        .emit(json!({"event": "nobody_listens"}))
        .await
        .expect_err("no queue is bound");
    assert_eq!(err.code(), &Code::NO_ROUTE, "{err}");
    assert!(err.message().contains("event.nobody_listens"), "{err}");
    Broker::connect().await.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_subscriber_queue_refuses_new_events() {
    let prefix = unique_prefix("full");
    let (mut listen, client) = amqp_configs(&prefix);
    listen.event_max_queue_length = 5;
    let node = Node::builder()
        .name("slow")
        .without_registered()
        .subscribe("event:fill", |_: Value| async { Ok::<_, ActError>(()) })
        .build()
        .expect("builds");
    // Declared, never consumed: the subscriber is down.
    drop(
        AmqpListener::bind(&listen, &node)
            .await
            .unwrap_or_else(|e| panic!("{}", broker_down(&e))),
    );
    let emitter = emitter(&client).await;
    let mut accepted = 0;
    let mut refused = 0;
    for n in 0..10 {
        match emitter.emit(json!({"event": "fill", "n": n})).await {
            Ok(()) => accepted += 1,
            Err(err) => {
                assert_eq!(err.code(), &Code::OVERLOADED, "{err}");
                refused += 1;
            }
        }
    }
    println!("RESULT test=full_queue cap=5 accepted={accepted} refused={refused}");
    assert!(
        (5..=7).contains(&accepted),
        "accepted {accepted} (the quorum cap is approximate)"
    );
    assert_eq!(accepted + refused, 10);
    Broker::connect().await.cleanup(&prefix).await;
}
