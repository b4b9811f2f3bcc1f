//! [`TestNodeBuilder`]: which handlers a test node runs, what it mocks, its seed and faults.

use std::any::TypeId;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::harness::{Harness, Log};
use super::mock::{Mock, MockClient};
use super::node::{TestNode, Verify};
use super::seed::Seed;
use crate::action::{Handler, Registration};
use crate::contract::Redelivery;
use crate::error::ActError;
use crate::node::{Node, NodeBuilder};
use crate::transport::local::{FaultRule, Faults};

/// Builds a [`TestNode`]. Made by [`TestNode::builder`].
///
/// Nothing linked into the test binary runs unless named: [`handler`](Self::handler) adds one
/// `#[action]` or `#[event]` function, [`registered`](Self::registered) adds them all.
///
/// ```
/// use porticus::testing::{FaultRule, Mock, Seed, TestNode};
/// use porticus::transport::Redelivery;
/// use porticus::{ActError, Code};
/// use serde_json::{json, Value};
/// use std::time::Duration;
///
/// #[porticus::action("role:cart,cmd:total")]
/// async fn total(msg: Value) -> Result<Value, ActError> { Ok(json!(msg["items"].as_array().map_or(0, Vec::len))) }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let node = TestNode::builder()
///     .handler(total)
///     .add("role:cart,cmd:empty", |_: Value| async { Ok::<_, ActError>(json!([])) })
///     .mock("role:tax", Mock::value(json!({"rate": 0.2})))
///     .seed(Seed::new(7))
///     .fault("role:tax", FaultRule::new().latency(Duration::from_millis(1), Duration::from_millis(9)))
///     .timeout(Duration::from_secs(2))
///     .redelivery(Redelivery { max_attempts: 3, ..Redelivery::default() })
///     .build();
/// assert_eq!(node.act(json!({"role": "cart", "cmd": "total", "items": [1, 2]})).await.unwrap(), json!(2));
/// assert_eq!(node.seed(), Seed::new(7));
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct TestNodeBuilder {
    inner: NodeBuilder,
    registered: Vec<String>,
    mocks: Vec<(String, Mock)>,
    seed: Option<Seed>,
    rules: Vec<(String, FaultRule)>,
    redelivery: Redelivery,
    allow_unmocked: bool,
}

impl TestNodeBuilder {
    pub(super) fn new() -> Self {
        TestNodeBuilder {
            inner: Node::builder().without_registered().name("test"),
            registered: Vec::new(),
            mocks: Vec::new(),
            seed: None,
            rules: Vec::new(),
            redelivery: Redelivery::default(),
            allow_unmocked: false,
        }
    }

    /// Runs the `#[action]` or `#[event]` function `function`, named by its path
    /// (`orders::place`).
    ///
    /// # Panics
    /// When `function` is not a function annotated with `#[porticus::action]` or
    /// `#[porticus::event]` (or its crate is not linked into the test binary).
    #[track_caller]
    pub fn handler<F: 'static>(mut self, function: F) -> Self {
        drop(function);
        let id = TypeId::of::<F>();
        let Some(registration) = Registration::all().find(|r| (r.item)() == id) else {
            panic!(
                "`{}` is not an #[action] or #[event] function linked into this test binary",
                std::any::type_name::<F>()
            );
        };
        self.registered.push(registration.pattern.to_owned());
        self.inner = self.inner.registration(registration);
        self
    }

    /// Runs every `#[action]` and `#[event]` function linked into the test binary.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use porticus::ActError;
    /// use serde_json::{json, Value};
    ///
    /// #[porticus::action("role:ping")]
    /// async fn ping(_: Value) -> Result<Value, ActError> { Ok(json!("pong")) }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder().registered().build();
    /// assert_eq!(node.act(json!({"role": "ping"})).await.unwrap(), json!("pong"));
    /// # }
    /// ```
    pub fn registered(mut self) -> Self {
        for registration in Registration::all() {
            self.registered.push(registration.pattern.to_owned());
            self.inner = self.inner.registration(registration);
        }
        self
    }

    /// Adds an action from a closure or function, as [`NodeBuilder::add`] does.
    #[track_caller]
    pub fn add<H: Handler<A>, A: 'static>(mut self, pattern: &str, handler: H) -> Self {
        self.registered.push(pattern.to_owned());
        self.inner = self.inner.add(pattern, handler);
        self
    }

    /// Adds an event subscriber from a closure or function, as [`NodeBuilder::subscribe`] does.
    #[track_caller]
    pub fn subscribe<H: Handler<A, Output = ()>, A: 'static>(
        mut self,
        pattern: &str,
        handler: H,
    ) -> Self {
        self.registered.push(pattern.to_owned());
        self.inner = self.inner.subscribe(pattern, handler);
        self
    }

    /// Answers the acts matching `pattern` with `mock` (a more specific handler still wins),
    /// recording each call.
    pub fn mock(mut self, pattern: &str, mock: Mock) -> Self {
        self.mocks.push((pattern.to_owned(), mock));
        self
    }

    /// Fails the acts matching `pattern` with `error`: short for `mock(pattern,
    /// Mock::error(error))`.
    ///
    /// ```
    /// use porticus::testing::TestNode;
    /// use porticus::{ActError, Code};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder()
    ///     .mock_error("role:payment", ActError::new("card_declined", "declined"))
    ///     .build();
    /// let err = node.act(json!({"role": "payment"})).await.unwrap_err();
    /// assert_eq!(err.code(), &Code::new("card_declined"));
    /// # }
    /// ```
    pub fn mock_error(self, pattern: &str, error: ActError) -> Self {
        self.mock(pattern, Mock::error(error))
    }

    /// The seed of the node's random choices (default: `PORTICUS_TEST_SEED`, else random).
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Seeded faults for the mocked acts matching `pattern` (the first matching rule applies).
    pub fn fault(mut self, pattern: &str, rule: FaultRule) -> Self {
        self.rules.push((pattern.to_owned(), rule));
        self
    }

    /// A resilience policy for the acts matching its pattern, as [`NodeBuilder::policy`] does;
    /// its retry jitter is drawn from the test's [`Seed`].
    ///
    /// ```
    /// use porticus::config::PolicyConfig;
    /// use porticus::testing::TestNode;
    /// use porticus::ActError;
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let node = TestNode::builder()
    ///     .add("role:report", |_: Value| async { Ok::<_, ActError>(json!("done")) })
    ///     .policy(PolicyConfig::new("role:report").with_concurrency(1, 0))
    ///     .build();
    /// assert_eq!(node.act(json!({"role": "report"})).await.unwrap(), json!("done"));
    /// # }
    /// ```
    pub fn policy(mut self, policy: crate::config::PolicyConfig) -> Self {
        self.inner = self.inner.policy(policy);
        self
    }

    /// The default act timeout (Seneca's 22,222 ms otherwise).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// The redelivery policy injected events are settled with (the brokers' default
    /// otherwise: 5 attempts, 1 s backoff doubling to 30 s).
    pub fn redelivery(mut self, policy: Redelivery) -> Self {
        self.redelivery = policy;
        self
    }

    /// Lets acts that match no handler and no mock fail with `act_not_found` without failing
    /// the test (for a test of that very error path).
    pub fn allow_unmocked(mut self) -> Self {
        self.allow_unmocked = true;
        self
    }

    /// Builds the node.
    ///
    /// # Panics
    /// On a malformed or duplicate pattern, listing every one (a test bug).
    #[track_caller]
    pub fn build(self) -> TestNode {
        let seed = self.seed.unwrap_or_else(Seed::from_env);
        let faults = Faults::seeded(seed.value());
        for (pattern, rule) in self.rules {
            if let Err(e) = faults.rule(&pattern, rule) {
                panic!("invalid fault pattern `{pattern}`: {e}");
            }
        }
        let log = Arc::new(Log {
            registered: self.registered,
            mocked: self.mocks.iter().map(|(p, _)| p.clone()).collect(),
            ..Log::default()
        });
        let mut inner = self
            .inner
            .jitter_seed(seed.value())
            .client("", Harness { log: log.clone() });
        for (pattern, mock) in self.mocks {
            let client = MockClient {
                pattern: pattern.clone(),
                mock,
                log: log.clone(),
                faults: faults.clone(),
            };
            inner = inner.client(&pattern, client);
        }
        let node = match inner.build() {
            Ok(node) => node,
            Err(e) => panic!("the test node cannot be built: {e}"),
        };
        TestNode {
            node,
            log: log.clone(),
            redelivery: self.redelivery,
            rng: Arc::new(Mutex::new(fastrand::Rng::with_seed(seed.value()))),
            verify: Arc::new(Verify {
                log,
                seed,
                allow_unmocked: self.allow_unmocked,
            }),
        }
    }
}
