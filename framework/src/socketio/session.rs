//! [`Session`]: what the server keeps for one connected socket — what it may do, what it
//! subscribed to, and the limits on its acts.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::access::Access;
use crate::metrics::sockets::Connected;
use crate::pattern::Pattern;

/// One place among `max_connections`, given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    count: Arc<AtomicUsize>,
}

impl Slot {
    /// Takes a place if fewer than `max` are taken.
    pub(crate) fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot {
                count: count.clone(),
            })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A token bucket: `rate` acts per second, bursts of up to `rate`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The state of one connected socket.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) access: Access,
    subscriptions: Mutex<Vec<Pattern>>,
    bucket: Mutex<Bucket>,
    rate: f64,
    in_flight: Arc<Semaphore>,
    /// Its outgoing buffer filled up: it gets no more events and is being disconnected.
    slow: AtomicBool,
    _slot: Slot,
    _connected: Connected,
}

/// Why a subscription was not added.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubscribeRefusal {
    /// The socket holds `max_subscriptions` already.
    TooMany(usize),
}

impl Session {
    pub(crate) fn new(access: Access, slot: Slot, rate: u32, in_flight: usize) -> Session {
        let rate = f64::from(rate);
        Session {
            access,
            subscriptions: Mutex::new(Vec::new()),
            bucket: Mutex::new(Bucket {
                tokens: rate,
                at: Instant::now(),
            }),
            rate,
            in_flight: Arc::new(Semaphore::new(in_flight)),
            slow: AtomicBool::new(false),
            _slot: slot,
            _connected: Connected::new(),
        }
    }

    /// Takes one act from the rate bucket; `false` when it is empty.
    pub(crate) fn take_rate(&self) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let refill = now.duration_since(bucket.at).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refill).min(self.rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// A place among the acts in flight, held until the act is answered; `None` when full.
    pub(crate) fn start_act(&self) -> Option<OwnedSemaphorePermit> {
        self.in_flight.clone().try_acquire_owned().ok()
    }

    /// Adds `pattern` (once); the subscriptions after, in canonical form.
    pub(crate) fn subscribe(
        &self,
        pattern: Pattern,
        max: usize,
    ) -> Result<Vec<String>, SubscribeRefusal> {
        let mut subscriptions = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        if !subscriptions.contains(&pattern) {
            if subscriptions.len() >= max {
                return Err(SubscribeRefusal::TooMany(max));
            }
            subscriptions.push(pattern);
        }
        Ok(subscriptions.iter().map(Pattern::to_string).collect())
    }

    /// Removes `pattern` if subscribed; the subscriptions after, in canonical form.
    pub(crate) fn unsubscribe(&self, pattern: &Pattern) -> Vec<String> {
        let mut subscriptions = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        subscriptions.retain(|p| p != pattern);
        subscriptions.iter().map(Pattern::to_string).collect()
    }

    /// Whether one of its subscriptions matches `event`.
    pub(crate) fn wants(&self, event: &Value) -> bool {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|p| p.matches(event))
    }

    /// Marks it slow; `true` the first time.
    pub(crate) fn mark_slow(&self) -> bool {
        !self.slow.swap(true, Ordering::AcqRel)
    }

    /// Whether its buffer filled up.
    pub(crate) fn is_slow(&self) -> bool {
        self.slow.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_stop_at_the_maximum_and_come_back_when_dropped() {
        let count = Arc::new(AtomicUsize::new(0));
        let first = Slot::take(&count, 2).expect("one");
        let _second = Slot::take(&count, 2).expect("two");
        assert!(Slot::take(&count, 2).is_none());
        drop(first);
        assert!(Slot::take(&count, 2).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn the_act_bucket_refills_at_its_rate() {
        let count = Arc::new(AtomicUsize::new(0));
        let session = Session::new(
            Access::default(),
            Slot::take(&count, 1).expect("a slot"),
            2,
            1,
        );
        assert!(session.take_rate() && session.take_rate());
        assert!(!session.take_rate(), "a burst of two");
        tokio::time::advance(std::time::Duration::from_millis(500)).await;
        assert!(session.take_rate(), "one more after half a second");
        assert!(!session.take_rate());
    }

    #[test]
    fn subscriptions_are_kept_once_and_capped() {
        let count = Arc::new(AtomicUsize::new(0));
        let session = Session::new(
            Access::default(),
            Slot::take(&count, 1).expect("a slot"),
            1,
            1,
        );
        let p = |t: &str| Pattern::parse(t).expect("a pattern");
        assert_eq!(
            session.subscribe(p("role:order"), 2),
            Ok(vec!["role:order".to_owned()])
        );
        assert_eq!(
            session.subscribe(p("role:order"), 2).map(|s| s.len()),
            Ok(1)
        );
        assert_eq!(session.subscribe(p("role:b"), 2).map(|s| s.len()), Ok(2));
        assert_eq!(
            session.subscribe(p("role:c"), 2),
            Err(SubscribeRefusal::TooMany(2))
        );
        assert!(session.wants(&serde_json::json!({"role": "order", "event": "x"})));
        assert_eq!(session.unsubscribe(&p("role:order")), ["role:b"]);
        assert!(!session.wants(&serde_json::json!({"role": "order"})));
    }
}
