//! The circuit breaker of one policy: closed → open on too many failures → half-open after
//! a cool-down → closed after its probes succeed (or open again on a failed probe).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::BreakerConfig;
use crate::error::{ActError, Code};

/// Slots of the sliding window: the rate is measured over the last `SLOTS` slices of it.
const SLOTS: usize = 10;

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BreakerState {
    /// Calls go through and are counted.
    Closed,
    /// Calls are refused with `circuit_open` until the cool-down ends.
    Open,
    /// A bounded number of probe calls go through; the rest are refused.
    HalfOpen,
}

impl BreakerState {
    /// The name logs and metrics use.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// Calls and failures in one slice of the window.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Which slice (time since the breaker was made / slice length) it counts.
    slice: u64,
    calls: u32,
    failures: u32,
}

#[derive(Debug)]
enum State {
    Closed {
        slots: [Slot; SLOTS],
        consecutive: u32,
    },
    Open {
        until: Instant,
    },
    HalfOpen {
        admitted: u32,
        succeeded: u32,
    },
}

impl State {
    fn closed() -> State {
        State::Closed {
            slots: [Slot::default(); SLOTS],
            consecutive: 0,
        }
    }

    fn name(&self) -> BreakerState {
        match self {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

/// One circuit breaker; its `label` (the policy's pattern) names it in errors, logs, metrics.
#[derive(Debug)]
pub(crate) struct Breaker {
    label: Arc<str>,
    config: BreakerConfig,
    slice: Duration,
    origin: Instant,
    state: Mutex<State>,
}

/// A call the breaker let through; report how it went with [`Breaker::record`]. A probe
/// dropped unreported (its act was cancelled) gives its place back.
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.probe && !self.reported {
            let mut state = self.breaker.lock();
            if let State::HalfOpen { admitted, .. } = &mut *state {
                *admitted = admitted.saturating_sub(1);
            }
        }
    }
}

impl Breaker {
    pub(crate) fn new(label: Arc<str>, config: BreakerConfig) -> Breaker {
        let slice = (config.window() / SLOTS as u32).max(Duration::from_micros(1));
        crate::metrics::resilience::breaker(&label, BreakerState::Closed);
        Breaker {
            label,
            config,
            slice,
            origin: Instant::now(),
            state: Mutex::new(State::closed()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where it is now (an open breaker whose cool-down ended reads half-open).
    #[cfg(test)]
    pub(crate) fn state(&self) -> BreakerState {
        match &*self.lock() {
            State::Open { until } if Instant::now() >= *until => BreakerState::HalfOpen,
            state => state.name(),
        }
    }

    /// Lets a call through, or refuses it with `circuit_open`.
    pub(crate) fn admit(&self) -> Result<Ticket<'_>, ActError> {
        let now = Instant::now();
        let mut state = self.lock();
        let probe = match &mut *state {
            State::Closed { .. } => false,
            State::Open { until } if now >= *until => {
                self.change(
                    &mut state,
                    State::HalfOpen {
                        admitted: 1,
                        succeeded: 0,
                    },
                );
                true
            }
            State::Open { until } => {
                let left = *until - now;
                return Err(self.refusal(BreakerState::Open, left));
            }
            State::HalfOpen { admitted, .. } if *admitted < self.config.probes => {
                *admitted += 1;
                true
            }
            State::HalfOpen { .. } => {
                return Err(self.refusal(BreakerState::HalfOpen, Duration::ZERO));
            }
        };
        Ok(Ticket {
            breaker: self,
            probe,
            reported: false,
        })
    }

    /// Records how an admitted call went: `failed` when the callee could not answer.
    pub(crate) fn record(&self, mut ticket: Ticket<'_>, failed: bool) {
        ticket.reported = true;
        let now = Instant::now();
        let mut state = self.lock();
        let next = match &mut *state {
            State::Closed { slots, consecutive } => {
                let slice = (now - self.origin).as_nanos() / self.slice.as_nanos().max(1);
                let slice = u64::try_from(slice).unwrap_or(u64::MAX);
                let slot = &mut slots[(slice % SLOTS as u64) as usize];
                if slot.slice != slice {
                    *slot = Slot {
                        slice,
                        ..Slot::default()
                    };
                }
                slot.calls += 1;
                if failed {
                    slot.failures += 1;
                    *consecutive += 1;
                } else {
                    *consecutive = 0;
                }
                let recent = slots
                    .iter()
                    .filter(|s| s.slice + SLOTS as u64 > slice && s.slice <= slice);
                let (calls, failures) =
                    recent.fold((0u32, 0u32), |(c, f), s| (c + s.calls, f + s.failures));
                let by_count = self.config.failures > 0 && *consecutive >= self.config.failures;
                let by_rate = calls >= self.config.min_calls
                    && f64::from(failures) >= self.config.failure_rate * f64::from(calls);
                (failed && (by_count || by_rate)).then(|| State::Open {
                    until: now + self.config.cooldown(),
                })
            }
            // A call admitted before the breaker opened, finishing late: it changes nothing.
            State::Open { .. } => None,
            State::HalfOpen { .. } if !ticket.probe => None,
            State::HalfOpen { .. } if failed => Some(State::Open {
                until: now + self.config.cooldown(),
            }),
            State::HalfOpen { succeeded, .. } => {
                *succeeded += 1;
                (*succeeded >= self.config.probes).then(State::closed)
            }
        };
        if let Some(next) = next {
            self.change(&mut state, next);
        }
    }

    fn change(&self, state: &mut State, next: State) {
        let (from, to) = (state.name(), next.name());
        *state = next;
        match to {
            BreakerState::Open => tracing::warn!(
                porticus.pattern = %self.label, from = from.as_str(), to = to.as_str(),
                cooldown_ms = self.config.cooldown_ms, "circuit breaker opened"
            ),
            _ => tracing::info!(
                porticus.pattern = %self.label, from = from.as_str(), to = to.as_str(),
                "circuit breaker changed state"
            ),
        }
        crate::metrics::resilience::breaker(&self.label, to);
    }

    fn refusal(&self, state: BreakerState, left: Duration) -> ActError {
        let message = match state {
            BreakerState::Open => format!(
                "circuit breaker for `{}` is open: too many recent failures; next try in {} ms",
                self.label,
                left.as_millis()
            ),
            _ => format!(
                "circuit breaker for `{}` is half-open and its {} probe(s) are in flight",
                self.label, self.config.probes
            ),
        };
        ActError::new(Code::CIRCUIT_OPEN, message).with_details(serde_json::json!({
            "pattern": &*self.label,
            "state": state.as_str(),
            "retry_in_ms": left.as_millis() as u64,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(config: BreakerConfig) -> Breaker {
        Breaker::new(Arc::from("role:stock"), config)
    }

    fn call(breaker: &Breaker, failed: bool) -> Result<(), ActError> {
        let ticket = breaker.admit()?;
        breaker.record(ticket, failed);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn consecutive_failures_open_it_and_probes_close_it() {
        let breaker = breaker(BreakerConfig {
            failures: 3,
            probes: 2,
            ..BreakerConfig::default()
        });
        for _ in 0..3 {
            call(&breaker, true).unwrap();
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        let refused = call(&breaker, false).unwrap_err();
        assert_eq!(*refused.code(), Code::CIRCUIT_OPEN);
        assert!(
            refused.message().contains("`role:stock` is open"),
            "{}",
            refused.message()
        );

        tokio::time::advance(Duration::from_millis(5_000)).await;
        let first = breaker.admit().unwrap();
        let second = breaker.admit().unwrap();
        assert_eq!(
            *breaker.admit().unwrap_err().code(),
            Code::CIRCUIT_OPEN,
            "only 2 probes"
        );
        breaker.record(first, false);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        breaker.record(second, false);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_it_again_and_a_dropped_one_frees_its_place() {
        let breaker = breaker(BreakerConfig {
            failures: 1,
            ..BreakerConfig::default()
        });
        call(&breaker, true).unwrap();
        tokio::time::advance(Duration::from_millis(5_000)).await;
        drop(breaker.admit().unwrap());
        call(&breaker, true).unwrap();
        assert_eq!(breaker.state(), BreakerState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_counts_only_the_window_and_only_past_min_calls() {
        let config = BreakerConfig {
            failures: 0,
            failure_rate: 0.5,
            min_calls: 4,
            window_ms: 1_000,
            ..BreakerConfig::default()
        };
        let breaker = breaker(config);
        // Two failures, then a second later (outside the window) two successes and a failure:
        // 1 of 3 in the window.
        call(&breaker, true).unwrap();
        call(&breaker, true).unwrap();
        tokio::time::advance(Duration::from_millis(1_100)).await;
        call(&breaker, false).unwrap();
        call(&breaker, false).unwrap();
        call(&breaker, true).unwrap();
        assert_eq!(breaker.state(), BreakerState::Closed);
        // 2 of 4: at the rate.
        call(&breaker, true).unwrap();
        assert_eq!(breaker.state(), BreakerState::Open);
    }
}
