//! [`Guard`]: the runtime state of one `[[policy]]` — its retry rule, breaker and bulkhead —
//! and [`Policies`], the index that finds the policy of an act (most specific pattern wins).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use super::breaker::Breaker;
use super::bulkhead::Bulkhead;
use super::fault::Fault;
use crate::config::PolicyConfig;
use crate::error::{ActError, Error, ErrorKind, Result};
use crate::pattern::{Pattern, PatternIndex};

/// One policy, ready to guard acts.
#[derive(Debug)]
pub(crate) struct Guard {
    /// The policy's canonical pattern: names its breaker and bulkhead.
    pub(crate) pattern: Arc<str>,
    pub(crate) retries: u32,
    pub(crate) idempotent: bool,
    retry_no_route: bool,
    backoff: Duration,
    max_backoff: Duration,
    pub(crate) breaker: Option<Breaker>,
    pub(crate) bulkhead: Option<Bulkhead>,
    /// Draws the jitter of the backoffs; seeded by `NodeBuilder::jitter_seed` in tests.
    rng: Mutex<fastrand::Rng>,
}

impl Guard {
    fn new(pattern: &Pattern, config: &PolicyConfig, rng: fastrand::Rng) -> Guard {
        let label: Arc<str> = Arc::from(pattern.to_string());
        Guard {
            retries: config.retries,
            idempotent: config.idempotent,
            retry_no_route: config.retry_no_route,
            backoff: Duration::from_millis(config.backoff_ms),
            max_backoff: Duration::from_millis(config.max_backoff_ms),
            breaker: config
                .breaker
                .clone()
                .map(|b| Breaker::new(label.clone(), b)),
            bulkhead: config
                .concurrency
                .map(|limit| Bulkhead::new(label.clone(), limit, config.queue)),
            rng: Mutex::new(rng),
            pattern: label,
        }
    }

    /// Whether `err`, the outcome of attempt `attempt` (0 = the first), may be retried, for an
    /// act whose route is `idempotent` itself (`#[action(…, idempotent)]`).
    pub(crate) fn retries_after(&self, attempt: u32, err: &ActError, idempotent: bool) -> bool {
        attempt < self.retries
            && Fault::of(err).retryable(idempotent || self.idempotent, self.retry_no_route)
    }

    /// The wait before the retry that follows attempt `attempt`: uniform in
    /// `[0, min(max_backoff, backoff × 2^attempt)]` (exponential backoff, full jitter).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .backoff
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(self.max_backoff);
        let cap = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        let drawn = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .u64(0..=cap);
        Duration::from_nanos(drawn)
    }
}

/// Every policy of a node, found by the act's message.
#[derive(Debug)]
pub(crate) struct Policies {
    index: PatternIndex<Arc<Guard>>,
}

impl Policies {
    /// Builds the policies, or `None` when there are none (acts then pay nothing). Jitter is
    /// drawn from `seed` when given.
    ///
    /// # Errors
    /// A [`ErrorKind::Config`] error listing every policy that is wrong, each named by its
    /// position and pattern.
    pub(crate) fn build(configs: &[PolicyConfig], seed: Option<u64>) -> Result<Option<Policies>> {
        if configs.is_empty() {
            return Ok(None);
        }
        let mut index = PatternIndex::new();
        let mut problems = Vec::new();
        let mut seeds = seed.map(fastrand::Rng::with_seed);
        for (i, config) in configs.iter().enumerate() {
            let name = format!("[[policy]] {} (pattern = {:?})", i + 1, config.pattern);
            let pattern = match Pattern::parse(&config.pattern) {
                Ok(pattern) => pattern,
                Err(e) => {
                    problems.push(format!("{name}: malformed pattern: {e}"));
                    continue;
                }
            };
            if let Err(e) = config.check() {
                problems.push(format!("{name}: {e}"));
                continue;
            }
            let rng = match seeds.as_mut() {
                Some(seeds) => fastrand::Rng::with_seed(seeds.u64(..)),
                None => fastrand::Rng::new(),
            };
            let guard = Arc::new(Guard::new(&pattern, config, rng));
            if index.add(pattern.clone(), guard).is_some() {
                problems.push(format!(
                    "{name}: a second policy for `{pattern}`; merge the two entries"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::new(ErrorKind::Config, problems.join("; ")));
        }
        Ok(Some(Policies { index }))
    }

    /// The policy of the act `msg`: the most specific one matching it.
    #[inline]
    pub(crate) fn find(&self, msg: &Value) -> Option<&Arc<Guard>> {
        self.index.find(msg)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::Code;

    #[test]
    fn the_most_specific_policy_wins() {
        let policies = Policies::build(
            &[
                PolicyConfig::new("role:stock").with_retries(1),
                PolicyConfig::new("role:stock,cmd:get").with_retries(3),
            ],
            Some(1),
        )
        .unwrap()
        .unwrap();
        let find = |msg| policies.find(&msg).map(|g| g.retries);
        assert_eq!(
            find(json!({"role": "stock", "cmd": "get", "id": 1})),
            Some(3)
        );
        assert_eq!(find(json!({"role": "stock", "cmd": "put"})), Some(1));
        assert_eq!(find(json!({"role": "cart"})), None);
        assert!(Policies::build(&[], None).unwrap().is_none());
    }

    #[test]
    fn every_bad_policy_is_named() {
        let err = Policies::build(
            &[
                PolicyConfig::new("role:"),
                PolicyConfig::new("role:a").with_concurrency(0, 0),
                PolicyConfig::new("role:b"),
                PolicyConfig::new("role:b"),
            ],
            None,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("[[policy]] 1 (pattern = \"role:\"): malformed pattern"),
            "{text}"
        );
        assert!(
            text.contains(
                "[[policy]] 2 (pattern = \"role:a\"): `concurrency` must be greater than 0"
            ),
            "{text}"
        );
        assert!(
            text.contains("[[policy]] 4 (pattern = \"role:b\"): a second policy for `role:b`"),
            "{text}"
        );
    }

    #[test]
    fn backoff_doubles_with_full_jitter_under_its_cap() {
        let policies = Policies::build(
            &[PolicyConfig::new("a:1")
                .with_retries(5)
                .with_backoff(10, 40)],
            Some(7),
        )
        .unwrap()
        .unwrap();
        let guard = policies.find(&json!({"a": 1})).unwrap();
        for attempt in 0..6 {
            let cap = Duration::from_millis((10u64 << attempt).min(40));
            let draws: Vec<Duration> = (0..200).map(|_| guard.backoff(attempt)).collect();
            assert!(draws.iter().all(|d| *d <= cap), "attempt {attempt}");
            let max = draws.iter().max().unwrap();
            assert!(
                *max > cap / 2,
                "jitter spreads up to the cap: {max:?} of {cap:?}"
            );
        }
        let timeout = ActError::new(Code::ACTION_TIMEOUT, "late");
        assert!(!guard.retries_after(0, &timeout, false));
        assert!(guard.retries_after(0, &timeout, true));
        assert!(!guard.retries_after(5, &timeout, true), "out of retries");
    }
}
