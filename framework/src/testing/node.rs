//! [`TestNode`]: a node under test, with what it called, emitted and failed to route.

use std::collections::HashSet;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::builder::TestNodeBuilder;
use super::harness::{list, lock, Call, Emitted, Log};
use super::injected::{Injected, Order};
use super::seed::Seed;
use crate::contract::{Disposition, Inbound, Redelivery};
use crate::node::Node;
use crate::pattern::Pattern;

/// A node under test: chosen handlers, mocked dependencies, recorded emits. Derefs to its
/// [`Node`], so `act`, `act_as` and `emit` are called on it directly.
///
/// Dropping the last clone fails the test when an act matched neither a handler nor a mock
/// (unless [`allow_unmocked`](TestNodeBuilder::allow_unmocked)); when the test fails for any
/// reason, the node's seed is printed so the run can be replayed.
///
/// ```
/// use porticus::testing::{Mock, TestNode};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let node = TestNode::builder().allow_unmocked().build();
/// let err = node.act(json!({"role": "payment", "cmd": "charge"})).await.unwrap_err();
/// assert!(err.message().contains("no handler or mock matches"), "{err}");
/// assert_eq!(node.unmocked(), [json!({"role": "payment", "cmd": "charge"})]);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TestNode {
    pub(super) node: Node,
    pub(super) log: Arc<Log>,
    pub(super) redelivery: Redelivery,
    pub(super) verify: Arc<Verify>,
    /// The node's draws (shuffles, repeats), one sequence from its seed.
    pub(super) rng: Arc<Mutex<fastrand::Rng>>,
}

impl Deref for TestNode {
    type Target = Node;

    fn deref(&self) -> &Node {
        &self.node
    }
}

/// Checks, when the last handle of a test node goes, that nothing went unmocked; prints the
/// seed when the test is failing.
#[derive(Debug)]
pub(super) struct Verify {
    pub(super) log: Arc<Log>,
    pub(super) seed: Seed,
    pub(super) allow_unmocked: bool,
}

impl Drop for Verify {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "porticus::testing: this test ran with {}",
                self.seed.replay()
            );
            return;
        }
        let unmocked = std::mem::take(&mut *lock(&self.log.unmocked));
        if !self.allow_unmocked && !unmocked.is_empty() {
            let acts: Vec<String> = unmocked.iter().map(Value::to_string).collect();
            panic!(
                "{} act(s) matched no handler and no mock: {} (registered: {}; mocked: {}); {}",
                acts.len(),
                acts.join(", "),
                list(&self.log.registered),
                list(&self.log.mocked),
                self.seed.replay()
            );
        }
    }
}

/// Parses a pattern given by a test; a malformed one is a test bug.
#[track_caller]
fn pattern(text: &str) -> Pattern {
    match Pattern::parse(text) {
        Ok(pattern) => pattern,
        Err(e) => panic!("invalid pattern `{text}`: {e}"),
    }
}

impl TestNode {
    /// Starts building a test node.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    ///
    /// let node = TestNode::builder().build();
    /// assert!(node.unmocked().is_empty());
    /// ```
    pub fn builder() -> TestNodeBuilder {
        TestNodeBuilder::new()
    }

    /// The node under test.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use porticus::Node;
    ///
    /// let node = TestNode::builder().build();
    /// let shared: Node = node.node().clone(); // for a task or a router of your own
    /// assert_eq!(shared.name(), "test");
    /// ```
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The seed of this node's random choices.
    ///
    /// ```
    /// use porticus::testing::{Seed, TestNode};
    ///
    /// let node = TestNode::builder().seed(Seed::new(9)).build();
    /// assert_eq!(node.seed(), Seed::new(9));
    /// ```
    pub fn seed(&self) -> Seed {
        self.verify.seed
    }

    /// The acts answered by a mock whose message matches `pattern`, in the order they came.
    ///
    /// ```
    /// use porticus::testing::{Mock, TestNode};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().mock("role:stock", Mock::value(json!(1))).build();
    /// node.act(json!({"role": "stock", "cmd": "count", "sku": "tea"})).await.unwrap();
    /// node.act(json!({"role": "stock", "cmd": "reserve", "sku": "tea"})).await.unwrap();
    /// assert_eq!(node.calls("role:stock").len(), 2);
    /// assert_eq!(node.calls("role:stock,cmd:reserve")[0].msg["sku"], "tea");
    /// # }
    /// ```
    #[track_caller]
    pub fn calls(&self, pattern_text: &str) -> Vec<Call> {
        let pattern = pattern(pattern_text);
        lock(&self.log.calls)
            .iter()
            .filter(|call| pattern.matches(&call.msg))
            .cloned()
            .collect()
    }

    /// Fails the test unless mocks answered exactly `times` acts matching `pattern`, listing
    /// every mocked call when it fails.
    ///
    /// ```
    /// use porticus::testing::{Mock, TestNode};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().mock("role:stock", Mock::value(json!(1))).build();
    /// node.act(json!({"role": "stock"})).await.unwrap();
    /// node.assert_called("role:stock", 1);
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_called(&self, pattern_text: &str, times: usize) {
        let calls = self.calls(pattern_text);
        if calls.len() != times {
            let all: Vec<String> = lock(&self.log.calls)
                .iter()
                .map(|c| c.msg.to_string())
                .collect();
            panic!(
                "expected {times} call(s) matching `{pattern_text}`, got {}; every mocked call: [{}]",
                calls.len(),
                all.join(", ")
            );
        }
    }

    /// The acts that matched neither a handler nor a mock.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().allow_unmocked().build();
    /// assert!(node.act(json!({"role": "nobody"})).await.is_err());
    /// assert_eq!(node.unmocked(), [json!({"role": "nobody"})]);
    /// # }
    /// ```
    pub fn unmocked(&self) -> Vec<Value> {
        lock(&self.log.unmocked).clone()
    }

    /// The events emitted so far that match `pattern`, in the order they were emitted.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().build();
    /// node.emit(json!({"event": "placed", "order": 1})).await.unwrap();
    /// node.emit(json!({"event": "placed", "order": 2})).await.unwrap();
    /// let orders: Vec<_> = node.emitted("event:placed").iter().map(|e| e.event["order"].clone()).collect();
    /// assert_eq!(orders, [json!(1), json!(2)]);
    /// # }
    /// ```
    #[track_caller]
    pub fn emitted(&self, pattern_text: &str) -> Vec<Emitted> {
        let pattern = pattern(pattern_text);
        lock(&self.log.emitted)
            .iter()
            .filter(|e| pattern.matches(&e.event))
            .cloned()
            .collect()
    }

    /// The events emitted so far that match `pattern`, decoded as `T`.
    ///
    /// # Panics
    /// When one does not decode as `T`, naming it.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use serde::Deserialize;
    /// use serde_json::json;
    ///
    /// #[derive(Deserialize, Debug, PartialEq)]
    /// struct Placed { order: u32 }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().build();
    /// node.emit(json!({"event": "placed", "order": 4})).await.unwrap();
    /// assert_eq!(node.emitted_as::<Placed>("event:placed"), [Placed { order: 4 }]);
    /// # }
    /// ```
    #[track_caller]
    pub fn emitted_as<T: DeserializeOwned>(&self, pattern_text: &str) -> Vec<T> {
        self.emitted(pattern_text)
            .into_iter()
            .map(|e| match serde_json::from_value(e.event.clone()) {
                Ok(typed) => typed,
                Err(err) => panic!(
                    "the emitted event {} does not decode as {}: {err}",
                    e.event,
                    std::any::type_name::<T>()
                ),
            })
            .collect()
    }

    /// Fails the test unless exactly `times` emitted events match `pattern`, listing every
    /// emitted event when it fails.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().build();
    /// node.emit(json!({"event": "placed"})).await.unwrap();
    /// node.assert_emitted("event:placed", 1);
    /// node.assert_emitted("event:shipped", 0);
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_emitted(&self, pattern_text: &str, times: usize) {
        let matching = self.emitted(pattern_text).len();
        if matching != times {
            panic!(
                "expected {times} emitted event(s) matching `{pattern_text}`, got {matching}; every emitted event: [{}]",
                self.every_emitted()
            );
        }
    }

    fn every_emitted(&self) -> String {
        lock(&self.log.emitted)
            .iter()
            .map(|e| e.event.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Waits (on tokio's clock) until an event matching `pattern` has been emitted and returns
    /// the first one; for flows that emit from spawned tasks or subscribers.
    ///
    /// # Panics
    /// When none was emitted within `within`, listing every emitted event.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use serde_json::json;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().build();
    /// let emitter = node.node().clone();
    /// tokio::spawn(async move { emitter.emit(json!({"event": "ready"})).await });
    /// let ready = node.wait_for_event("event:ready", Duration::from_secs(1)).await;
    /// assert_eq!(ready.event, json!({"event": "ready"}));
    /// # }
    /// ```
    #[track_caller]
    pub fn wait_for_event(
        &self,
        pattern_text: &str,
        within: Duration,
    ) -> impl std::future::Future<Output = Emitted> + '_ {
        let wanted = pattern(pattern_text);
        let location = std::panic::Location::caller();
        let pattern_text = pattern_text.to_owned();
        async move {
            let deadline = tokio::time::Instant::now() + within;
            loop {
                let arrived = self.log.arrived.notified();
                tokio::pin!(arrived);
                arrived.as_mut().enable();
                let found = lock(&self.log.emitted)
                    .iter()
                    .find(|e| wanted.matches(&e.event))
                    .cloned();
                if let Some(found) = found {
                    return found;
                }
                if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                    panic!(
                        "{location}: no event matching `{pattern_text}` was emitted within {} ms; every emitted event: [{}]",
                        within.as_millis(),
                        self.every_emitted()
                    );
                }
            }
        }
    }

    /// Hands `event` to the node's subscribers, as a broker transport would deliver it the first
    /// time, and waits for all of them.
    ///
    /// # Panics
    /// When `event` is not an object or carries a malformed directive (a test bug).
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use porticus::ActError;
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder()
    ///     .subscribe("event:placed", |_: Value| async { Ok::<_, ActError>(()) })
    ///     .build();
    /// assert!(node.inject(json!({"event": "placed"})).await.is_acked());
    /// # }
    /// ```
    pub async fn inject(&self, event: Value) -> Injected {
        self.deliver(event, 1, &HashSet::new()).await
    }

    /// Hands `event` to the subscribers `times` times, each a first delivery (the duplicates
    /// at-least-once delivery makes), and returns each delivery.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use porticus::ActError;
    /// use serde_json::{json, Value};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let runs = Arc::new(AtomicUsize::new(0));
    /// let counted = runs.clone();
    /// let node = TestNode::builder()
    ///     .subscribe("event:placed", move |_: Value| {
    ///         counted.fetch_add(1, Ordering::SeqCst);
    ///         async { Ok::<_, ActError>(()) }
    ///     })
    ///     .build();
    /// node.inject_times(json!({"event": "placed"}), 3).await;
    /// assert_eq!(runs.load(Ordering::SeqCst), 3);
    /// # }
    /// ```
    pub async fn inject_times(&self, event: Value, times: usize) -> Vec<Injected> {
        let mut all = Vec::with_capacity(times);
        for _ in 0..times {
            all.push(self.inject(event.clone()).await);
        }
        all
    }

    /// Hands each event to the subscribers, one after the other, in `order`.
    ///
    /// ```
    /// use porticus::testing::{Order, Seed, TestNode};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().seed(Seed::new(3)).build();
    /// let events = (0..4).map(|n| json!({"event": "tick", "n": n})).collect();
    /// let delivered = node.inject_all(events, Order::Shuffled).await;
    /// assert_eq!(delivered.len(), 4);
    /// # }
    /// ```
    pub async fn inject_all(&self, events: Vec<Value>, order: Order) -> Vec<Injected> {
        let mut events = events;
        if order == Order::Shuffled {
            lock(&self.rng).shuffle(&mut events);
        }
        let mut all = Vec::with_capacity(events.len());
        for event in events {
            all.push(self.inject(event).await);
        }
        all
    }

    /// Delivers `event` as a broker transport would until it is settled: after a
    /// [`Retry`](Disposition::Retry) it waits the backoff (on tokio's clock: instant under
    /// paused time) and delivers again to the subscribers that have not succeeded yet; stops at
    /// an ack or a dead letter. Returns every delivery.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use porticus::transport::{Disposition, Redelivery};
    /// use porticus::ActError;
    /// use serde_json::{json, Value};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let node = TestNode::builder()
    ///     .redelivery(Redelivery { max_attempts: 3, backoff: Duration::from_secs(5), ..Redelivery::default() })
    ///     .subscribe("event:sync", |_: Value| async { Err::<(), _>(ActError::execute("down")) })
    ///     .build();
    /// let deliveries = node.inject_until_settled(json!({"event": "sync"})).await;
    /// assert_eq!(deliveries.len(), 3);
    /// assert!(matches!(deliveries[2].disposition, Disposition::DeadLetter { .. }));
    /// # }
    /// ```
    pub async fn inject_until_settled(&self, event: Value) -> Vec<Injected> {
        let mut done = HashSet::new();
        let mut all = Vec::new();
        for attempt in 1.. {
            let injected = self.deliver(event.clone(), attempt, &done).await;
            done.extend(injected.succeeded().map(str::to_owned));
            let retry = match &injected.disposition {
                Disposition::Retry { after } => Some(*after),
                _ => None,
            };
            all.push(injected);
            match retry {
                Some(after) => tokio::time::sleep(after).await,
                None => break,
            }
        }
        all
    }

    /// Proves the subscribers of `event` idempotent: delivers it once and reads `observe`, then
    /// delivers it again a number of times drawn from the seed (1–3) and reads `observe` again.
    /// `observe` is async, so it may act (e.g. ask the service what it has done).
    ///
    /// # Panics
    /// When the two readings differ, naming the subscribers, both readings and the seed.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use porticus::ActError;
    /// use serde_json::{json, Value};
    /// use std::collections::BTreeSet;
    /// use std::sync::{Arc, Mutex};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sent = Arc::new(Mutex::new(BTreeSet::new()));
    /// let mailer = sent.clone();
    /// let node = TestNode::builder()
    ///     .subscribe("event:shipped", move |ev: Value| {
    ///         let mailer = mailer.clone();
    ///         async move { mailer.lock().unwrap().insert(ev["order"].to_string()); Ok::<_, ActError>(()) }
    ///     })
    ///     .build();
    /// node.assert_idempotent(json!({"event": "shipped", "order": 7}), || async {
    ///     sent.lock().unwrap().clone()
    /// })
    /// .await;
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_idempotent<'a, T, F, Fut>(
        &'a self,
        event: Value,
        observe: F,
    ) -> impl Future<Output = ()> + 'a
    where
        T: PartialEq + std::fmt::Debug,
        F: Fn() -> Fut + 'a,
        Fut: Future<Output = T> + 'a,
    {
        let location = std::panic::Location::caller();
        async move {
            let once = self.inject(event.clone()).await;
            let after_one = observe().await;
            let repeats = lock(&self.rng).usize(1..=3);
            let mut subscribers: Vec<String> =
                once.delivery.iter().map(|d| d.subscriber.clone()).collect();
            for _ in 0..repeats {
                let again = self.inject(event.clone()).await;
                subscribers.extend(again.delivery.iter().map(|d| d.subscriber.clone()));
            }
            subscribers.sort();
            subscribers.dedup();
            let after_more = observe().await;
            if after_one != after_more {
                panic!(
                    "{location}: the subscribers of {event} are not idempotent ({}): after one delivery {after_one:?}, after {repeats} more {after_more:?}; {}",
                    subscribers.join(", "),
                    self.seed().replay()
                );
            }
        }
    }

    async fn deliver(&self, event: Value, attempt: u32, skip: &HashSet<String>) -> Injected {
        let meta = Inbound {
            transport: Some("test"),
            ..Inbound::default()
        }
        .meta(self.node.default_timeout());
        let delivery = match self.node.deliver(event.clone(), meta, skip).await {
            Ok(delivery) => delivery,
            Err(e) => panic!("the injected event {event} cannot be delivered: {e}"),
        };
        let disposition = delivery.disposition(attempt, &self.redelivery);
        Injected {
            event,
            attempt,
            delivery,
            disposition,
        }
    }
}
