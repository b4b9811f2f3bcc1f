//! A toy broker transport written, as a transport in another crate would be, from Porticus's
//! public items alone: if anything it needs stopped being public, this file stops compiling.
//!
//! The "broker" is in memory: a request queue with replies, and a durable event log whose
//! messages are settled by [`Disposition`] — acked, retried after a delay, requeued or moved to
//! the dead letters — exactly the contract the AMQP and NATS listeners follow.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use porticus::transport::{
    Client, Delivery, Disposition, Inbound, Listener, Readiness, Redelivery,
};
use porticus::{ActError, BoxFuture, Code, Error, Meta, Node};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Notify};

/// What goes on the toy wire with an act: the body as bytes and the meta as "headers".
struct Request {
    body: Vec<u8>,
    id: String,
    timeout_ms: u64,
    traceparent: String,
    origin: String,
    reply: oneshot::Sender<Result<Value, ActError>>,
}

/// One stored event and how many times it was delivered.
#[derive(Debug, Clone)]
struct Stored {
    body: Vec<u8>,
    id: String,
    attempts: u32,
}

/// A dead letter: the body and why.
#[derive(Debug, Clone)]
struct DeadLetter {
    body: Vec<u8>,
    reason: ActError,
    attempts: u32,
}

#[derive(Default)]
struct Log {
    events: VecDeque<Stored>,
    dead: Vec<DeadLetter>,
    next_id: u64,
}

/// The in-memory broker both sides share.
#[derive(Clone)]
struct ToyBroker {
    requests: mpsc::UnboundedSender<Request>,
    inbox: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Request>>>,
    log: Arc<Mutex<Log>>,
    stored: Arc<Notify>,
}

impl std::fmt::Debug for ToyBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ToyBroker")
    }
}

impl ToyBroker {
    fn new() -> Self {
        let (requests, inbox) = mpsc::unbounded_channel();
        ToyBroker {
            requests,
            inbox: Arc::new(tokio::sync::Mutex::new(inbox)),
            log: Arc::default(),
            stored: Arc::default(),
        }
    }

    fn store(&self, stored: Stored) {
        self.log.lock().unwrap().events.push_back(stored);
        self.stored.notify_one();
    }

    fn dead_letters(&self) -> Vec<DeadLetter> {
        self.log.lock().unwrap().dead.clone()
    }

    fn pending(&self) -> usize {
        self.log.lock().unwrap().events.len()
    }
}

/// The client side: acts become requests, emits are stored durably before `emit` returns.
#[derive(Debug)]
struct ToyClient {
    broker: ToyBroker,
    origin: String,
}

impl Client for ToyClient {
    fn transport(&self) -> &'static str {
        "toy"
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            body: serde_json::to_vec(&msg).expect("a JSON value serializes"),
            id: meta.id(),
            timeout_ms: meta.remaining().as_millis() as u64,
            traceparent: meta.outbound_traceparent(),
            origin: self.origin.clone(),
            reply,
        };
        let sent = self.broker.requests.send(request);
        Box::pin(async move {
            sent.map_err(|_| ActError::new(Code::TRANSPORT_UNAVAILABLE, "the toy broker is gone"))?;
            match tokio::time::timeout_at(meta.deadline(), answer).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_)) => Err(ActError::new(
                    Code::NO_ROUTE,
                    "the toy listener dropped the request",
                )),
                Err(_) => Err(ActError::new(Code::ACTION_TIMEOUT, "no toy reply in time")),
            }
        })
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>> {
        let body = serde_json::to_vec(&event).expect("a JSON value serializes");
        let id = format!("{}-{}", meta.message_id(), {
            let mut log = self.broker.log.lock().unwrap();
            log.next_id += 1;
            log.next_id
        });
        self.broker.store(Stored {
            body,
            id,
            attempts: 0,
        });
        Box::pin(async { Ok(()) })
    }
}

/// The listener side: serves requests, and delivers stored events settling each by its
/// disposition.
#[derive(Debug)]
struct ToyListener {
    broker: ToyBroker,
    redelivery: Redelivery,
    ready: Readiness,
}

impl ToyListener {
    async fn serve_request(node: &Node, request: Request) {
        let meta = Inbound {
            id: Some(&request.id),
            timeout: Some(Duration::from_millis(request.timeout_ms)),
            origin: Some(&request.origin),
            traceparent: Some(&request.traceparent),
            ..Inbound::default()
        }
        .meta(node.default_timeout());
        let outcome = match serde_json::from_slice::<Value>(&request.body) {
            Ok(msg) => node.act_from(msg, meta).await,
            Err(e) => Err(ActError::invalid_msg(format!("not JSON: {e}"))),
        };
        if Disposition::after_act(&outcome, node.is_closed()) == Disposition::Ack {
            let _ = request.reply.send(outcome);
        }
    }

    /// Delivers one stored event and settles it; returns it when it must come back.
    async fn deliver(
        &self,
        node: &Node,
        mut stored: Stored,
        done: &mut HashMap<String, HashSet<String>>,
    ) {
        stored.attempts += 1;
        let meta = Inbound {
            id: Some(&stored.id),
            ..Inbound::default()
        }
        .meta(node.default_timeout());
        let skip = done.get(&stored.id).cloned().unwrap_or_default();
        let disposition = match serde_json::from_slice::<Value>(&stored.body) {
            Ok(event) => match node.deliver(event, meta, &skip).await {
                Ok(delivery) => {
                    remember(done, &stored.id, &delivery);
                    delivery.disposition(stored.attempts, &self.redelivery)
                }
                Err(err) => Disposition::for_error(&err, stored.attempts, &self.redelivery),
            },
            Err(e) => Disposition::for_error(
                &ActError::invalid_msg(format!("the event is not JSON: {e}")),
                stored.attempts,
                &self.redelivery,
            ),
        };
        match disposition {
            Disposition::Ack => {
                done.remove(&stored.id);
            }
            Disposition::Retry { after } => {
                let broker = self.broker.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    broker.store(stored);
                });
            }
            Disposition::DeadLetter { reason } => {
                done.remove(&stored.id);
                self.broker.log.lock().unwrap().dead.push(DeadLetter {
                    body: stored.body,
                    reason,
                    attempts: stored.attempts,
                });
            }
            // Requeue, and whatever a later version adds: hand it back uncounted.
            _ => {
                stored.attempts -= 1;
                self.broker.store(stored);
            }
        }
    }
}

fn remember(done: &mut HashMap<String, HashSet<String>>, id: &str, delivery: &Delivery) {
    done.entry(id.to_owned())
        .or_default()
        .extend(delivery.succeeded().map(str::to_owned));
}

impl Listener for ToyListener {
    fn transport(&self) -> &'static str {
        "toy"
    }

    fn address(&self) -> String {
        "toy://memory".to_owned()
    }

    fn readiness(&self) -> Readiness {
        self.ready.clone()
    }

    fn serve(self: Box<Self>, node: Node) -> BoxFuture<Result<(), Error>> {
        Box::pin(async move {
            self.ready.set(true);
            let mut inbox = self.broker.inbox.lock().await;
            let mut done = HashMap::new();
            loop {
                let next = self.broker.log.lock().unwrap().events.pop_front();
                if let Some(stored) = next {
                    self.deliver(&node, stored, &mut done).await;
                    continue;
                }
                tokio::select! {
                    () = node.closed() => break,
                    Some(request) = inbox.recv() => {
                        let node = node.clone();
                        tokio::spawn(async move { ToyListener::serve_request(&node, request).await });
                    }
                    () = self.broker.stored.notified() => {}
                }
            }
            self.ready.set(false);
            Ok(())
        })
    }
}

fn listener(broker: &ToyBroker) -> ToyListener {
    ToyListener {
        broker: broker.clone(),
        redelivery: Redelivery {
            max_attempts: 3,
            backoff: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
        },
        ready: Readiness::new(false),
    }
}

fn caller(broker: &ToyBroker) -> Node {
    let client = ToyClient {
        broker: broker.clone(),
        origin: "caller-1".to_owned(),
    };
    Node::builder()
        .name("caller")
        .without_registered()
        .client("", client)
        .build()
        .expect("a client-only node builds")
}

#[derive(Debug, Deserialize)]
struct Amount {
    #[allow(dead_code)]
    amount: u64,
}

#[tokio::test]
async fn acts_cross_the_toy_transport_with_their_meta_and_errors() {
    let broker = ToyBroker::new();
    let server = Node::builder()
        .name("server")
        .without_registered()
        .add("role:math,cmd:sum", |m: Value| async move {
            Ok::<_, ActError>(json!({"answer": m["left"].as_i64().unwrap_or(0) + m["right"].as_i64().unwrap_or(0)}))
        })
        .add("role:meta", |_: Value, ctx: porticus::Context| async move {
            let meta = ctx.meta();
            Ok::<_, ActError>(json!({
                "id": meta.id(),
                "origin": meta.origin(),
                "traced": meta.traceparent().is_some(),
                "remaining_ms": meta.remaining().as_millis() as u64,
            }))
        })
        .add("role:fail", |_: Value| async {
            Err::<Value, _>(ActError::new("card_declined", "declined").with_details(json!({"card": "0002"})))
        })
        .build()
        .expect("builds");
    let toy = listener(&broker);
    let ready = toy.readiness();
    let serving = tokio::spawn(Box::new(toy).serve(server.clone()));
    let caller = caller(&broker);

    let reply = caller
        .act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2}))
        .await
        .expect("sum replies");
    assert_eq!(reply, json!({"answer": 3}));
    assert!(ready.get());

    let meta = caller
        .act(json!({"role": "meta", "id$": "m1/t1", "timeout$": 2_000}))
        .await
        .expect("meta replies");
    assert_eq!(meta["id"], "m1/t1");
    assert_eq!(meta["origin"], "caller-1");
    assert_eq!(meta["traced"], true);
    assert!(meta["remaining_ms"].as_u64().unwrap() <= 2_000);

    let err = caller.act(json!({"role": "fail"})).await.unwrap_err();
    assert_eq!(err.code(), "card_declined");
    assert_eq!(err.details(), &json!({"card": "0002"}));
    let err = caller.act(json!({"role": "nobody"})).await.unwrap_err();
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);

    server.close();
    serving.await.expect("joins").expect("stops cleanly");
    assert!(!ready.get());
}

#[tokio::test]
async fn durable_events_are_retried_skipping_subscribers_that_succeeded_then_dead_lettered() {
    let broker = ToyBroker::new();
    let mail_runs = Arc::new(AtomicU32::new(0));
    let flaky_runs = Arc::new(AtomicU32::new(0));
    let server = {
        let (mail_runs, flaky_runs) = (mail_runs.clone(), flaky_runs.clone());
        Node::builder()
            .name("server")
            .without_registered()
            .subscribe("event:paid", move |_: Value| {
                let mail_runs = mail_runs.clone();
                async move {
                    mail_runs.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ActError>(())
                }
            })
            .subscribe("event:paid", move |_: Value| {
                let flaky_runs = flaky_runs.clone();
                async move {
                    // Fails twice (a database restarting), then succeeds.
                    if flaky_runs.fetch_add(1, Ordering::SeqCst) < 2 {
                        Err(ActError::new(
                            Code::TRANSPORT_UNAVAILABLE,
                            "ledger restarting",
                        ))
                    } else {
                        Ok(())
                    }
                }
            })
            .subscribe("event:typed", |_: Amount| async { Ok::<_, ActError>(()) })
            .subscribe("event:doomed", |_: Value| async {
                Err::<(), _>(ActError::execute("always fails"))
            })
            .build()
            .expect("builds")
    };
    let caller = caller(&broker);

    // Emitted while no listener serves: the broker keeps them.
    caller
        .emit(json!({"event": "paid", "amount": 5}))
        .await
        .expect("stored");
    caller
        .emit(json!({"event": "typed", "amount": "five"}))
        .await
        .expect("stored");
    caller
        .emit(json!({"event": "doomed"}))
        .await
        .expect("stored");
    broker.store(Stored {
        body: b"{not json".to_vec(),
        id: "raw-1".to_owned(),
        attempts: 0,
    });
    assert_eq!(broker.pending(), 4);

    let serving = tokio::spawn(Box::new(listener(&broker)).serve(server.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while (broker.dead_letters().len() < 3 || flaky_runs.load(Ordering::SeqCst) < 3)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The flaky subscriber ran three times; the one that succeeded at once only once.
    assert_eq!(flaky_runs.load(Ordering::SeqCst), 3);
    assert_eq!(mail_runs.load(Ordering::SeqCst), 1);

    let mut dead = broker.dead_letters();
    dead.sort_by_key(|d| d.attempts);
    let summary: Vec<(u32, String)> = dead
        .iter()
        .map(|d| (d.attempts, d.reason.code().to_string()))
        .collect();
    // Permanent errors at once (a wrong type, a body that is not JSON), the rest after the
    // last attempt.
    assert_eq!(
        summary,
        [
            (1, "act_invalid_msg".to_owned()),
            (1, "act_invalid_msg".to_owned()),
            (3, "act_execute".to_owned())
        ]
    );
    assert!(dead.iter().any(|d| d.body == b"{not json"));
    assert_eq!(broker.pending(), 0);

    server.close();
    serving.await.expect("joins").expect("stops cleanly");
}
