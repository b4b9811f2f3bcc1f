//! Events over NATS JetStream: group and broadcast delivery, retries and dead letters,
//! malformed events, no stream, a full stream.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use porticus::config::{Discard, EventMode, NatsClientConfig, NatsCredentials, NatsListenConfig};
use porticus::transport::nats::NatsClient;
use porticus::{ActError, Code, Node};
use porticus_tests::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Jet, Names};
use porticus_tests::seen::Seen;
use serde::Deserialize;
use serde_json::{json, Value};

/// A node of service `name` subscribed to `pattern`, recording each event's `n` in `seen`,
/// served by a NATS listener.
async fn subscriber(name: &str, pattern: &str, listen: &NatsListenConfig, seen: Arc<Seen>) -> Node {
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
        .start(&nats_listening(name, listen.clone()))
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    drop(started);
    node
}

/// A node that emits everything through a catch-all NATS client.
async fn emitter(client: &NatsClientConfig) -> Node {
    let nats =
        NatsClient::new(client, &NatsCredentials::default(), "emitter").expect("valid config");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    Node::builder()
        .name("emitter")
        .without_registered()
        .client("", nats)
        .build()
        .expect("builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_each_get_every_event_and_instances_share_or_broadcast() {
    let names = Names::new("fanout");
    let (listen, client) = nats_configs(&names, &nats_url());
    let mut broadcast = listen.clone();
    broadcast.event_mode = EventMode::Broadcast;
    let seen: Vec<Arc<Seen>> = (0..5).map(|_| Arc::default()).collect();
    let nodes = [
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
            .expect("every emit is stored");
    }
    let within = Duration::from_secs(20);
    Seen::wait(&[&seen[0], &seen[1]], N as usize, within).await;
    for s in &seen[2..] {
        Seen::wait(&[s], N as usize, within).await;
    }
    let [a1, a2, b, c1, c2] = [0, 1, 2, 3, 4].map(|i| seen[i].distinct());
    println!("RESULT test=nats_fan_out events={N} a1={a1} a2={a2} b={b} c1={c1} c2={c2}");
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
    for node in nodes {
        node.close();
    }
    Jet::connect(&nats_url()).await.cleanup(&names).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_dead_lettered_after_max_deliver_and_the_rest_flow() {
    let names = Names::new("poison");
    let (mut listen, client) = nats_configs(&names, &nats_url());
    listen.max_deliver = 3;
    listen.pin = "role:jobs".into();
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
            .add("role:jobs", |_: Value| async {
                Ok::<_, ActError>(json!({"alive": true}))
            })
            .build()
            .expect("builds")
    };
    drop(
        node.start(&nats_listening("jobs", listen.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}", nats_down(&e))),
    );
    let emitter = emitter(&client).await;
    emitter
        .emit(json!({"event": "job", "poison": true, "n": 0}))
        .await
        .expect("the poison event is stored");
    for n in 1..=100 {
        emitter
            .emit(json!({"event": "job", "n": n}))
            .await
            .expect("stored");
    }
    Seen::wait(&[&good], 100, Duration::from_secs(20)).await;
    assert_eq!(
        good.distinct(),
        100,
        "the good events flow past the poison one"
    );

    let jet = Jet::connect(&nats_url()).await;
    let dead = jet
        .wait_dead_letters(&names.dead_letters, 1, Duration::from_secs(20))
        .await;
    let ran = attempts.load(Ordering::SeqCst);
    assert_eq!(dead.len(), 1, "only the poison event is dead-lettered");
    let dead = &dead[0];
    println!(
        "RESULT test=nats_poison attempts={ran} good={} dead_lettered=1 error_code={}",
        good.distinct(),
        dead.headers["porticus-error-code"]
    );
    assert_eq!(ran, 3, "exactly max_deliver attempts");
    assert_eq!(dead.headers["porticus-attempts"], "3");
    assert_eq!(dead.headers["porticus-error-code"], "job_failed");
    assert_eq!(
        dead.headers["porticus-error-message"],
        "this job always fails"
    );
    assert_eq!(dead.headers["porticus-service"], "jobs");
    assert_eq!(
        dead.headers["porticus-subject"],
        format!("{}.event.event.job.n.0.poison.true", names.prefix)
    );
    assert!(dead.headers["porticus-errors"].contains("job_failed"));
    let body: Value = serde_json::from_slice(&dead.body).expect("the original event");
    assert_eq!(body, json!({"event": "job", "poison": true, "n": 0}));

    // The service still serves acts.
    let mut pinned = client.clone();
    pinned.pin = "role:jobs".into();
    let caller = emitter_pinned(&pinned).await;
    assert_eq!(
        caller.act(json!({"role": "jobs"})).await.expect("served"),
        json!({"alive": true})
    );
    node.close();
    jet.cleanup(&names).await;
}

async fn emitter_pinned(client: &NatsClientConfig) -> Node {
    emitter(client).await
}

#[derive(Debug, Deserialize)]
struct Typed {
    #[allow(dead_code)]
    n: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_that_can_never_succeed_are_dead_lettered_at_once() {
    let names = Names::new("permanent");
    let (listen, client) = nats_configs(&names, &nats_url());
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
        node.start(&nats_listening("typed", listen.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}", nats_down(&e))),
    );
    let emitter = emitter(&client).await;
    // The input does not fit the handler's type: `act_invalid_msg`, never retried.
    emitter
        .emit(json!({"event": "typed", "n": "not a number"}))
        .await
        .expect("stored");
    let jet = Jet::connect(&nats_url()).await;
    let dead = jet
        .wait_dead_letters(&names.dead_letters, 1, Duration::from_secs(10))
        .await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].headers["porticus-attempts"], "1");
    assert_eq!(dead[0].headers["porticus-error-code"], "act_invalid_msg");

    // Bodies that are not JSON, or not an object, published straight into the stream with
    // headers that mean nothing: dead-lettered at once, naming what was wrong.
    let subject = format!("{}.event.event.typed", names.prefix);
    let mut junk = async_nats::HeaderMap::new();
    junk.insert("porticus-id", "\u{1F4A9}/???");
    junk.insert("traceparent", "not-a-traceparent");
    junk.insert("porticus-timeout-ms", "soon");
    for body in [&b"{not json"[..], b"[1,2,3]"] {
        jet.js
            .publish_with_headers(subject.clone(), junk.clone(), body.to_vec().into())
            .await
            .expect("published")
            .await
            .expect("stored");
    }
    let dead = jet
        .wait_dead_letters(&names.dead_letters, 3, Duration::from_secs(10))
        .await;
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert_eq!(dead[1].body, b"{not json");
    assert!(
        dead[1].headers["porticus-error-message"].contains("not valid JSON"),
        "{:?}",
        dead[1].headers
    );
    assert!(
        dead[2].headers["porticus-error-message"].contains("an array"),
        "{:?}",
        dead[2].headers
    );
    assert!(dead[1..]
        .iter()
        .all(|d| d.headers["porticus-error-code"] == "act_invalid_msg"));

    // The subscriber still handles good events.
    emitter
        .emit(json!({"event": "typed", "n": 7}))
        .await
        .expect("stored");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while runs.load(Ordering::SeqCst) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    node.close();
    jet.cleanup(&names).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emit_no_stream_takes_is_no_route_and_a_full_stream_is_overloaded() {
    let names = Names::new("full");
    let (mut listen, client) = nats_configs(&names, &nats_url());
    let emitter = emitter(&client).await;
    // No subscribing service has created the stream yet.
    let err = emitter
        .emit(json!({"event": "fill", "n": 0}))
        .await
        .expect_err("no stream takes the subject");
    assert_eq!(err.code(), &Code::NO_ROUTE, "{err}");
    assert!(err.message().contains("stream"), "{err}");

    // A stream of 5 events that refuses more; a subscriber that never acks keeps them.
    listen.stream_max_messages = 5;
    listen.stream_discard = Discard::New;
    let stuck = Node::builder()
        .name("stuck")
        .without_registered()
        .subscribe("event:fill", |_: Value| {
            std::future::pending::<Result<(), ActError>>()
        })
        .build()
        .expect("builds");
    drop(
        stuck
            .start(&nats_listening("stuck", listen))
            .await
            .unwrap_or_else(|e| panic!("{}", nats_down(&e))),
    );
    for n in 0..5 {
        emitter
            .emit(json!({"event": "fill", "n": n}))
            .await
            .expect("room left");
    }
    let err = emitter
        .emit(json!({"event": "fill", "n": 5}))
        .await
        .expect_err("the stream is full");
    assert_eq!(err.code(), &Code::OVERLOADED, "{err}");
    assert!(err.message().contains("full"), "{err}");
    stuck.close();
    Jet::connect(&nats_url()).await.cleanup(&names).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_runs_only_the_subscribers_that_failed() {
    let names = Names::new("skip");
    let (listen, client) = nats_configs(&names, &nats_url());
    let (mail, ledger) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let node = {
        let (mail, ledger) = (mail.clone(), ledger.clone());
        Node::builder()
            .name("billing")
            .without_registered()
            .subscribe("event:paid", move |_: Value| {
                let mail = mail.clone();
                async move {
                    mail.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ActError>(())
                }
            })
            .subscribe("event:paid", move |_: Value| {
                let ledger = ledger.clone();
                async move {
                    // The ledger is restarting: it fails twice, then takes the event.
                    if ledger.fetch_add(1, Ordering::SeqCst) < 2 {
                        Err(ActError::new(
                            Code::TRANSPORT_UNAVAILABLE,
                            "ledger restarting",
                        ))
                    } else {
                        Ok(())
                    }
                }
            })
            .build()
            .expect("builds")
    };
    drop(
        node.start(&nats_listening("billing", listen))
            .await
            .unwrap_or_else(|e| panic!("{}", nats_down(&e))),
    );
    emitter(&client)
        .await
        .emit(json!({"event": "paid", "amount": 5}))
        .await
        .expect("stored");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ledger.load(Ordering::SeqCst) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Settled: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        ledger.load(Ordering::SeqCst),
        3,
        "two retries, then it succeeded"
    );
    assert_eq!(
        mail.load(Ordering::SeqCst),
        1,
        "the mail subscriber ran once"
    );
    let jet = Jet::connect(&nats_url()).await;
    assert!(jet.dead_letters(&names.dead_letters).await.is_empty());
    node.close();
    jet.cleanup(&names).await;
}
