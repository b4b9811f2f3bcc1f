//! The in-process transport: a [`LocalClient`] forwards acts and events to another [`Node`] in
//! the same process, without turning them into bytes.
//!
//! It is also the test double every behaviour test runs against first: [`Faults`] injects
//! delay, failure and duplicate delivery, the way a real network and broker misbehave.
//!
//! ```
//! use porticus::transport::local::LocalClient;
//! use porticus::{ActError, Node};
//! use serde_json::{json, Value};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Node::builder()
//!     .without_registered()
//!     .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
//!     .build()?;
//! let caller = Node::builder()
//!     .without_registered()
//!     .client("role:echo", LocalClient::new(server))
//!     .build()?;
//! assert_eq!(caller.act(json!({"role": "echo", "x": 1})).await?, json!({"role": "echo", "x": 1}));
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use super::Client;
use crate::action::BoxFuture;
use crate::error::ActError;
use crate::message::Meta;
use crate::node::Node;
use crate::pattern::{Pattern, PatternError};

/// Client side of the in-process transport: acts and emits into another node.
#[derive(Debug, Clone)]
pub struct LocalClient {
    target: Node,
    faults: Faults,
}

impl LocalClient {
    /// A client that forwards to `target`.
    pub fn new(target: Node) -> Self {
        LocalClient {
            target,
            faults: Faults::default(),
        }
    }

    /// A client that forwards to `target` with `faults` (e.g. [`Faults::seeded`]).
    ///
    /// ```
    /// use porticus::transport::local::{FaultRule, Faults, LocalClient};
    /// use porticus::Node;
    ///
    /// let faults = Faults::seeded(7);
    /// faults.rule("role:stock", FaultRule::new().drops(0.5))?;
    /// let client = LocalClient::with_faults(Node::builder().without_registered().build()?, faults);
    /// assert_eq!(client.faults().seed(), Some(7));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_faults(target: Node, faults: Faults) -> Self {
        LocalClient { target, faults }
    }

    /// The fault-injection handle of this client (shared by its clones).
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }
}

impl Client for LocalClient {
    fn transport(&self) -> &'static str {
        "local"
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let plan = self.faults.plan(&msg);
        let target = self.target.clone();
        Box::pin(async move {
            plan.apply().await?;
            if plan.dropped {
                // Lost on the way: the caller's deadline ends the act.
                return std::future::pending().await;
            }
            if plan.duplicate {
                let (target, msg, meta) = (target.clone(), msg.clone(), meta.clone());
                tokio::spawn(async move {
                    // The duplicate's reply is dropped, as a real transport drops a late one.
                    let _ = target.act_from(msg, meta).await;
                });
            }
            target.act_from(msg, meta).await
        })
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>> {
        let plan = self.faults.plan(&event);
        let target = self.target.clone();
        Box::pin(async move {
            plan.apply().await?;
            if plan.dropped {
                return Ok(());
            }
            if plan.duplicate {
                target.emit_from(event.clone(), meta.clone())?;
            }
            target.emit_from(event, meta)
        })
    }
}

/// Faults a [`LocalClient`] injects into the calls that go through it.
///
/// Fixed faults (a delay, the next N calls failing, every call delivered twice) and seeded
/// ones: per-pattern [`FaultRule`]s whose random draws — latency, errors, drops, duplicates —
/// all come from one seed, so that a run that failed can be replayed exactly (as long as its
/// calls come in the same order).
///
/// Cheap to clone; every clone controls the same client.
///
/// ```
/// use porticus::transport::local::{FaultRule, Faults};
/// use porticus::{ActError, Code};
/// use std::time::Duration;
///
/// let faults = Faults::default();
/// faults.set_delay(Duration::from_millis(5));
/// faults.fail_next(2, ActError::new(Code::TRANSPORT_UNAVAILABLE, "link down"));
/// faults.set_duplicate(true);
/// faults.clear();
///
/// let seeded = Faults::seeded(42);
/// seeded.rule(
///     "role:payment",
///     FaultRule::new()
///         .latency(Duration::from_millis(1), Duration::from_millis(50))
///         .errors(0.1, ActError::new(Code::TRANSPORT_UNAVAILABLE, "flaky"))
///         .drops(0.01)
///         .duplicates(0.05),
/// )?;
/// assert_eq!(seeded.seed(), Some(42));
/// # Ok::<_, porticus::pattern::PatternError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<FaultState>>,
}

#[derive(Debug, Default)]
struct FaultState {
    delay: Duration,
    failures: usize,
    failure: Option<ActError>,
    duplicate: bool,
    seed: Option<u64>,
    rng: Option<fastrand::Rng>,
    rules: Vec<(Pattern, FaultRule)>,
}

/// Seeded faults for the calls whose message matches a pattern ([`Faults::rule`]): each call
/// draws its latency and whether it fails, is lost or is delivered twice.
///
/// ```
/// use porticus::transport::local::FaultRule;
/// use porticus::{ActError, Code};
/// use std::time::Duration;
///
/// let flaky = FaultRule::new()
///     .latency(Duration::from_millis(5), Duration::from_millis(500))
///     .errors(0.2, ActError::new(Code::OVERLOADED, "busy"));
/// # let _ = flaky;
/// ```
#[derive(Debug, Clone, Default)]
pub struct FaultRule {
    latency: Option<(Duration, Duration)>,
    error_rate: f64,
    error: Option<ActError>,
    drop_rate: f64,
    duplicate_rate: f64,
}

impl FaultRule {
    /// A rule that does nothing yet.
    pub fn new() -> Self {
        FaultRule::default()
    }

    /// Delays each call by a latency drawn uniformly between `min` and `max`.
    pub fn latency(mut self, min: Duration, max: Duration) -> Self {
        self.latency = Some((min.min(max), max.max(min)));
        self
    }

    /// Fails a share `rate` (0.0–1.0) of the calls with `error`, without delivering them.
    pub fn errors(mut self, rate: f64, error: ActError) -> Self {
        self.error_rate = rate;
        self.error = Some(error);
        self
    }

    /// Loses a share `rate` of the calls: an act then ends at its deadline (`action_timeout`),
    /// an event is never delivered.
    pub fn drops(mut self, rate: f64) -> Self {
        self.drop_rate = rate;
        self
    }

    /// Delivers a share `rate` of the calls twice (at-least-once delivery).
    pub fn duplicates(mut self, rate: f64) -> Self {
        self.duplicate_rate = rate;
        self
    }
}

/// What to do to one call, decided when it starts.
pub(crate) struct Plan {
    pub(crate) delay: Duration,
    pub(crate) failure: Option<ActError>,
    pub(crate) duplicate: bool,
    pub(crate) dropped: bool,
}

impl Plan {
    pub(crate) async fn apply(&self) -> Result<(), ActError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        match &self.failure {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }
}

impl FaultState {
    /// The seeded draws of the first rule matching `msg`, added to `plan`.
    fn draw(&mut self, msg: &Value, plan: &mut Plan) {
        let (Some(rng), Some((_, rule))) = (
            self.rng.as_mut(),
            self.rules.iter().find(|(pattern, _)| pattern.matches(msg)),
        ) else {
            return;
        };
        if let Some((min, max)) = rule.latency {
            let span = (max - min).as_nanos() as u64;
            plan.delay += min + Duration::from_nanos(rng.u64(0..=span));
        }
        if rng.f64() < rule.error_rate && plan.failure.is_none() {
            plan.failure = rule.error.clone();
        }
        plan.dropped |= rng.f64() < rule.drop_rate;
        plan.duplicate |= rng.f64() < rule.duplicate_rate;
    }
}

impl Faults {
    /// Faults whose rules draw from `seed` (see [`rule`](Self::rule)).
    pub fn seeded(seed: u64) -> Faults {
        let faults = Faults::default();
        faults.with(|s| {
            s.seed = Some(seed);
            s.rng = Some(fastrand::Rng::with_seed(seed));
        });
        faults
    }

    /// The seed of [`seeded`](Self::seeded) faults.
    pub fn seed(&self) -> Option<u64> {
        self.with(|s| s.seed)
    }

    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn plan(&self, msg: &Value) -> Plan {
        self.with(|s| {
            let failure = if s.failures > 0 {
                s.failures -= 1;
                s.failure.clone()
            } else {
                None
            };
            let mut plan = Plan {
                delay: s.delay,
                failure,
                duplicate: s.duplicate,
                dropped: false,
            };
            s.draw(msg, &mut plan);
            plan
        })
    }

    /// Applies `rule` to the calls whose message matches `pattern` (the first matching rule, in
    /// the order added, applies). Its draws come from the seed of [`seeded`](Self::seeded)
    /// faults; without a seed the rule is kept but never fires.
    ///
    /// # Errors
    /// A malformed `pattern`.
    pub fn rule(&self, pattern: &str, rule: FaultRule) -> Result<(), PatternError> {
        let pattern = Pattern::parse(pattern)?;
        self.with(|s| s.rules.push((pattern, rule)));
        Ok(())
    }

    /// Delays every call by `delay` before it is delivered.
    pub fn set_delay(&self, delay: Duration) {
        self.with(|s| s.delay = delay);
    }

    /// Fails the next `count` calls with `error`, without delivering them.
    pub fn fail_next(&self, count: usize, error: ActError) {
        self.with(|s| {
            s.failures = count;
            s.failure = Some(error);
        });
    }

    /// Delivers every call twice (at-least-once delivery); the caller sees the first reply.
    pub fn set_duplicate(&self, duplicate: bool) {
        self.with(|s| s.duplicate = duplicate);
    }

    /// Removes every fault and rule (the seed stays).
    pub fn clear(&self) {
        self.with(|s| {
            let (seed, rng) = (s.seed, s.rng.take());
            *s = FaultState::default();
            s.seed = seed;
            s.rng = rng;
        });
    }
}
