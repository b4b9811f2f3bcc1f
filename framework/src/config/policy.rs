//! `[[policy]]`: retries, a circuit breaker and a bulkhead for the acts matching a pattern
//! (`docs/resilience.md`). The tables are plain data; [`PolicyConfig::check`] says what is
//! wrong with one, and the node builds its runtime state from them (`resilience/`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One `[[policy]]` entry: how acts matching `pattern` are retried, broken and bounded.
///
/// The policy of an act is the one whose pattern matches it most specifically (Seneca's
/// matching, as for actions); acts no policy matches run with none, at no cost. Every part is
/// off unless set: no retries, no breaker, no concurrency limit.
///
/// ```
/// use porticus::config::{BreakerConfig, Config, PolicyConfig};
///
/// let config = Config::from_toml_str(r#"
///     [[policy]]
///     pattern = "role:stock"
///     retries = 3
///     idempotent = true
///     breaker = { failures = 5, cooldown_ms = 2000 }
///     concurrency = 4
///     queue = 16
/// "#)?;
/// let stock = &config.policy[0];
/// assert_eq!(stock.retries, 3);
/// assert_eq!(stock.breaker.as_ref().map(|b| b.failures), Some(5));
///
/// // The same, in code.
/// let same = PolicyConfig::new("role:stock")
///     .with_retries(3)
///     .with_idempotent(true)
///     .with_breaker(BreakerConfig { failures: 5, cooldown_ms: 2000, ..BreakerConfig::default() })
///     .with_concurrency(4, 16);
/// assert_eq!(&same, stock);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct PolicyConfig {
    /// The acts it covers, matched like an action's pattern (`role:stock`, `role:stock,cmd:*`);
    /// `""` covers every act. Default `""`.
    pub pattern: String,
    /// Attempts after the first one, for failures that may be retried (see
    /// `docs/resilience.md`). Default 0.
    pub retries: u32,
    /// Whether the acts are safe to run twice, so that a timeout or `overloaded` is retried
    /// too. An `#[action(…, idempotent)]` says so for its own pattern. Default `false`.
    pub idempotent: bool,
    /// The first retry's backoff cap, in ms; it doubles per attempt, and each wait is drawn
    /// uniformly below the cap (full jitter). Default 50.
    pub backoff_ms: u64,
    /// The largest backoff cap, in ms. Default 2,000.
    pub max_backoff_ms: u64,
    /// Whether `no_route` (nothing bound to receive the act yet) is retried. Default `false`.
    pub retry_no_route: bool,
    /// A circuit breaker over the acts this policy covers, when set (`breaker = { … }`).
    /// Default none.
    pub breaker: Option<BreakerConfig>,
    /// The most acts of this policy running at once in this node, when set; more wait in the
    /// queue. Default none (unbounded).
    pub concurrency: Option<u32>,
    /// How many acts may wait for a place when `concurrency` are running; past it an act fails
    /// at once with `overloaded`. Default 0.
    pub queue: u32,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            pattern: String::new(),
            retries: 0,
            idempotent: false,
            backoff_ms: 50,
            max_backoff_ms: 2_000,
            retry_no_route: false,
            breaker: None,
            concurrency: None,
            queue: 0,
        }
    }
}

/// `breaker = { … }` of a `[[policy]]`: when the breaker opens, how long it stays open and how
/// it closes again.
///
/// It opens after `failures` consecutive failures, or when at least `min_calls` calls in the
/// last `window_ms` failed at a rate of `failure_rate` or more. Open, it answers
/// `circuit_open` at once for `cooldown_ms`; then it lets `probes` calls through (half-open):
/// if they all succeed it closes, if one fails it opens again. A failure is what the callee
/// could not answer (unreachable, no route, timeout, overloaded, a circuit open further
/// down), never the handler's own error.
///
/// ```
/// use porticus::config::BreakerConfig;
///
/// let breaker = BreakerConfig::default();
/// assert_eq!((breaker.failures, breaker.min_calls, breaker.probes), (5, 20, 1));
/// assert!(breaker.check().is_ok());
/// let wrong = BreakerConfig { failure_rate: 1.5, ..BreakerConfig::default() };
/// assert_eq!(wrong.check().unwrap_err(), "`failure_rate` must be above 0 and at most 1, got 1.5");
/// ```
///
/// Not `#[non_exhaustive]`, unlike the other tables: it is written as a struct expression
/// with `..BreakerConfig::default()` in code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerConfig {
    /// Consecutive failures that open it; 0 leaves only the rate. Default 5.
    pub failures: u32,
    /// The share of failed calls in the window that opens it (0 < rate ≤ 1). Default 0.5.
    pub failure_rate: f64,
    /// The sliding window the rate is measured over, in ms. Default 10,000.
    pub window_ms: u64,
    /// Calls the window must hold before the rate counts. Default 20.
    pub min_calls: u32,
    /// How long it stays open before it lets probes through, in ms. Default 5,000.
    pub cooldown_ms: u64,
    /// Calls let through at once when half-open; all must succeed to close it. Default 1.
    pub probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failures: 5,
            failure_rate: 0.5,
            window_ms: 10_000,
            min_calls: 20,
            cooldown_ms: 5_000,
            probes: 1,
        }
    }
}

impl BreakerConfig {
    /// What is wrong with it, if anything.
    ///
    /// # Errors
    /// A text naming the key and the value: a rate outside (0, 1], a zero window, cool-down or
    /// probe count.
    pub fn check(&self) -> Result<(), String> {
        if !(self.failure_rate > 0.0 && self.failure_rate <= 1.0) {
            return Err(format!(
                "`failure_rate` must be above 0 and at most 1, got {}",
                self.failure_rate
            ));
        }
        for (key, value) in [
            ("window_ms", self.window_ms),
            ("cooldown_ms", self.cooldown_ms),
            ("probes", u64::from(self.probes)),
            ("min_calls", u64::from(self.min_calls)),
        ] {
            if value == 0 {
                return Err(format!("`{key}` must be greater than 0"));
            }
        }
        Ok(())
    }

    /// The window as a duration.
    pub(crate) fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms)
    }

    /// The cool-down as a duration.
    pub(crate) fn cooldown(&self) -> Duration {
        Duration::from_millis(self.cooldown_ms)
    }
}

impl PolicyConfig {
    /// A policy for `pattern` with every part off.
    ///
    /// ```
    /// use porticus::config::PolicyConfig;
    ///
    /// let policy = PolicyConfig::new("role:stock");
    /// assert_eq!((policy.retries, policy.breaker, policy.concurrency), (0, None, None));
    /// ```
    pub fn new(pattern: impl Into<String>) -> Self {
        PolicyConfig {
            pattern: pattern.into(),
            ..PolicyConfig::default()
        }
    }

    /// Sets `retries`.
    ///
    /// ```
    /// # use porticus::config::PolicyConfig;
    /// assert_eq!(PolicyConfig::new("role:a").with_retries(2).retries, 2);
    /// ```
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sets `idempotent`.
    ///
    /// ```
    /// # use porticus::config::PolicyConfig;
    /// assert!(PolicyConfig::new("role:a").with_idempotent(true).idempotent);
    /// ```
    #[must_use]
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Sets `backoff_ms` and `max_backoff_ms`.
    ///
    /// ```
    /// # use porticus::config::PolicyConfig;
    /// let policy = PolicyConfig::new("role:a").with_backoff(10, 100);
    /// assert_eq!((policy.backoff_ms, policy.max_backoff_ms), (10, 100));
    /// ```
    #[must_use]
    pub fn with_backoff(mut self, backoff_ms: u64, max_backoff_ms: u64) -> Self {
        self.backoff_ms = backoff_ms;
        self.max_backoff_ms = max_backoff_ms;
        self
    }

    /// Sets `retry_no_route`.
    ///
    /// ```
    /// # use porticus::config::PolicyConfig;
    /// assert!(PolicyConfig::new("role:a").with_retry_no_route(true).retry_no_route);
    /// ```
    #[must_use]
    pub fn with_retry_no_route(mut self, retry: bool) -> Self {
        self.retry_no_route = retry;
        self
    }

    /// Sets `breaker`.
    ///
    /// ```
    /// # use porticus::config::{BreakerConfig, PolicyConfig};
    /// assert!(PolicyConfig::new("role:a").with_breaker(BreakerConfig::default()).breaker.is_some());
    /// ```
    #[must_use]
    pub fn with_breaker(mut self, breaker: BreakerConfig) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// Sets `concurrency` and `queue`.
    ///
    /// ```
    /// # use porticus::config::PolicyConfig;
    /// let policy = PolicyConfig::new("role:a").with_concurrency(4, 10);
    /// assert_eq!((policy.concurrency, policy.queue), (Some(4), 10));
    /// ```
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: u32, queue: u32) -> Self {
        self.concurrency = Some(concurrency);
        self.queue = queue;
        self
    }

    /// What is wrong with it, if anything (the pattern is checked where it is parsed).
    ///
    /// ```
    /// use porticus::config::PolicyConfig;
    ///
    /// assert!(PolicyConfig::new("role:a").with_retries(3).check().is_ok());
    /// let wrong = PolicyConfig::new("role:a").with_concurrency(0, 0);
    /// assert_eq!(wrong.check().unwrap_err(), "`concurrency` must be greater than 0 (leave it out for no limit)");
    /// ```
    ///
    /// # Errors
    /// A text naming the key and the value that is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.concurrency == Some(0) {
            return Err(
                "`concurrency` must be greater than 0 (leave it out for no limit)".to_owned(),
            );
        }
        if self.concurrency.is_none() && self.queue > 0 {
            return Err(format!(
                "`queue = {}` needs `concurrency`: acts wait only when a limit is reached",
                self.queue
            ));
        }
        if self.retries > 0 && self.backoff_ms > self.max_backoff_ms {
            return Err(format!(
                "`backoff_ms = {}` is above `max_backoff_ms = {}`",
                self.backoff_ms, self.max_backoff_ms
            ));
        }
        if let Some(breaker) = &self.breaker {
            breaker.check().map_err(|e| format!("breaker: {e}"))?;
        }
        Ok(())
    }
}
