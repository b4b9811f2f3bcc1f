//! What the node counts about each act and event it runs, cheaply enough for every act: atomics
//! on the [`Route`](super::Route) the router already found (no map lookup, no lock on the
//! success path), a fixed log-bucket latency histogram, errors by code only on the error path.
//!
//! [`InFlight::finish`] is the one place an act's outcome and duration are recorded; a metrics exporter
//! hooks in there, with the same labels (side, transport, pattern, outcome).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use crate::action::Kind;
use crate::error::ActError;

/// Where an act ran, seen from this node: the label a metrics exporter uses as `side`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// An in-process handler, acted from this process.
    Local,
    /// Forwarded to a transport client.
    Client,
    /// An in-process handler, acted from a transport listener.
    Server,
}

impl Side {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))] // the `side` label
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Side::Local => "local",
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// Server-side transports whose series a route keeps apart (a service listens on one or two);
/// acts over any further transport are counted with the last one's.
#[cfg(feature = "metrics")]
const SERVER_TRANSPORTS: usize = 4;

/// The Prometheus series of one route, made on first use once a recorder is installed: one
/// per side, and on the server side one per transport the acts came over.
#[cfg(feature = "metrics")]
#[derive(Default)]
struct Meters {
    local: std::sync::OnceLock<std::sync::Arc<crate::metrics::ActMeter>>,
    client: std::sync::OnceLock<std::sync::Arc<crate::metrics::ActMeter>>,
    server: [std::sync::OnceLock<std::sync::Arc<crate::metrics::ActMeter>>; SERVER_TRANSPORTS],
}

#[cfg(feature = "metrics")]
impl Meters {
    fn get(
        &self,
        kind: Kind,
        side: Side,
        transport: &'static str,
        pattern: &str,
    ) -> &crate::metrics::ActMeter {
        let make = || crate::metrics::ActMeter::new(kind, pattern, side.as_str(), transport);
        match side {
            Side::Local => self.local.get_or_init(make),
            Side::Client => self.client.get_or_init(make),
            Side::Server => {
                for slot in &self.server {
                    let meter = slot.get_or_init(make);
                    if meter.transport() == transport {
                        return meter;
                    }
                }
                self.server[SERVER_TRANSPORTS - 1].get_or_init(make)
            }
        }
    }
}

/// Sub-buckets per power of two: 4 (bucket bounds grow by 2^¼ ≈ 19 %).
const SUB_BITS: u32 = 2;
/// The first octave with buckets: 2^8 ns = 256 ns; anything faster lands in bucket 0.
const FIRST_OCTAVE: u32 = 8;
/// The last octave: 2^36 ns ≈ 68.7 s; anything slower lands in the last bucket.
const LAST_OCTAVE: u32 = 36;
const BUCKETS: usize = ((LAST_OCTAVE - FIRST_OCTAVE + 1) << SUB_BITS) as usize + 1;
/// Distinct error codes kept per route; more are counted under [`OTHER_CODES`].
const MAX_CODES: usize = 32;
const OTHER_CODES: &str = "other";

/// A latency histogram of fixed logarithmic buckets, each an atomic counter.
pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS],
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    #[inline]
    fn index(nanos: u64) -> usize {
        if nanos < 1 << FIRST_OCTAVE {
            return 0;
        }
        let octave = 63 - nanos.leading_zeros();
        if octave > LAST_OCTAVE {
            return BUCKETS - 1;
        }
        let sub = (nanos >> (octave - SUB_BITS)) & ((1 << SUB_BITS) - 1);
        (((octave - FIRST_OCTAVE) << SUB_BITS) as usize) + sub as usize + 1
    }

    /// The upper bound of bucket `index`, in nanoseconds.
    fn upper(index: usize) -> u64 {
        if index == 0 {
            return 1 << FIRST_OCTAVE;
        }
        let i = (index - 1) as u32;
        let octave = FIRST_OCTAVE + (i >> SUB_BITS);
        let sub = u64::from(i & ((1 << SUB_BITS) - 1));
        let base = 1u64 << octave;
        base + (sub + 1) * (base >> SUB_BITS)
    }

    #[inline]
    fn add(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[Self::index(nanos)].fetch_add(1, Ordering::Relaxed);
    }

    /// The `q` quantile (0 < q ≤ 1) as the upper bound of its bucket, `None` when empty.
    fn quantile(counts: &[u64], q: f64) -> Option<Duration> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Duration::from_nanos(Self::upper(i)));
            }
        }
        Some(Duration::from_nanos(Self::upper(BUCKETS - 1)))
    }
}

/// The counters of one route (an action, a client pin or an event subscriber).
pub(crate) struct RouteStats {
    ok: AtomicU64,
    failed: AtomicU64,
    in_flight: AtomicI64,
    latency: Histogram,
    /// Failures by error code: touched only when an act fails.
    codes: Mutex<BTreeMap<String, u64>>,
    /// The Prometheus series by [`Side`] and transport.
    #[cfg(feature = "metrics")]
    meters: Meters,
}

impl RouteStats {
    pub(crate) fn new() -> Self {
        RouteStats {
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            in_flight: AtomicI64::new(0),
            latency: Histogram::new(),
            codes: Mutex::new(BTreeMap::new()),
            #[cfg(feature = "metrics")]
            meters: Default::default(),
        }
    }

    /// Counts an act (or, for a subscriber's route, an event delivery: `kind`) as started;
    /// the guard counts it as finished when dropped (also when the act is abandoned).
    pub(crate) fn start(
        &self,
        kind: Kind,
        side: Side,
        transport: &'static str,
        pattern: &str,
    ) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        let meter = self.meter(kind, side, transport, pattern);
        #[cfg(feature = "metrics")]
        if let Some(meter) = meter {
            meter.started();
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (kind, side, transport, pattern);
        InFlight {
            stats: self,
            #[cfg(feature = "metrics")]
            meter,
        }
    }

    /// The metrics series of this route on `side`, once a Prometheus recorder is installed.
    #[cfg(feature = "metrics")]
    #[inline]
    fn meter(
        &self,
        kind: Kind,
        side: Side,
        transport: &'static str,
        pattern: &str,
    ) -> Option<&crate::metrics::ActMeter> {
        if !crate::metrics::enabled() {
            return None;
        }
        Some(self.meters.get(kind, side, transport, pattern))
    }

    #[inline]
    fn finish(&self, elapsed: Duration, error: Option<&ActError>) {
        self.latency.add(elapsed);
        match error {
            None => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Some(err) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
                let code = err.code().as_str();
                if let Some(n) = codes.get_mut(code) {
                    *n += 1;
                } else if codes.len() < MAX_CODES {
                    codes.insert(code.to_owned(), 1);
                } else {
                    *codes.entry(OTHER_CODES.to_owned()).or_insert(0) += 1;
                }
            }
        }
    }

    /// The counters as the `stats` reply shows them: `count`, `ok`, `errors` by code,
    /// `in_flight`, and `p50_ms` / `p99_ms` (bucket upper bounds; `null` before the first act).
    pub(crate) fn snapshot(&self) -> Value {
        let counts: Vec<u64> = self
            .latency
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let ms = |q| Histogram::quantile(&counts, q).map(millis);
        let errors: serde_json::Map<String, Value> = self
            .codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(code, n)| (code.clone(), json!(n)))
            .collect();
        let ok = self.ok.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        json!({
            "count": ok + failed,
            "ok": ok,
            "errors": errors,
            "in_flight": self.in_flight.load(Ordering::Relaxed).max(0),
            "p50_ms": ms(0.5),
            "p99_ms": ms(0.99),
        })
    }
}

/// Milliseconds with microsecond precision.
fn millis(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1_000.0).round() / 1_000.0
}

/// An act in flight on a route: dropping it takes it out of `in_flight`.
pub(crate) struct InFlight<'a> {
    stats: &'a RouteStats,
    #[cfg(feature = "metrics")]
    meter: Option<&'a crate::metrics::ActMeter>,
}

impl InFlight<'_> {
    /// The one place an act's outcome is recorded: the route's counters, and the Prometheus
    /// series (`porticus_acts_total{pattern,side,transport,outcome}`, the duration histogram)
    /// resolved when it started, once a recorder is installed. `error` is `None` when it
    /// succeeded; its code is the `outcome`. Dropping the guard then ends it in flight.
    #[inline]
    pub(crate) fn finish(self, error: Option<&ActError>, elapsed: Duration) {
        self.stats.finish(elapsed, error);
        #[cfg(feature = "metrics")]
        if let Some(meter) = self.meter {
            meter.finished(error.map(ActError::code), elapsed);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        if let Some(meter) = self.meter {
            meter.stopped();
        }
    }
}

/// Node-wide counters: acts that reached no route and events.
#[derive(Default)]
pub(crate) struct NodeStats {
    /// Acts no route matched (`act_not_found` before any handler ran).
    pub(crate) not_found: AtomicU64,
    /// Events emitted from this node (`emit`) and accepted.
    pub(crate) emitted: AtomicU64,
    /// Events received from transports (delivered to local subscribers).
    pub(crate) received: AtomicU64,
}

impl NodeStats {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn buckets_are_monotonic_and_bound_their_values() {
        let mut last = 0;
        for i in 0..BUCKETS {
            let upper = Histogram::upper(i);
            assert!(upper > last, "bucket {i}: {upper} after {last}");
            last = upper;
        }
        for nanos in [0, 255, 256, 300, 1_000, 1_234_567, 999_999_999, 1 << 36] {
            let i = Histogram::index(nanos);
            assert!(Histogram::upper(i) >= nanos, "{nanos} in bucket {i}");
            if i > 0 && i < BUCKETS - 1 {
                assert!(Histogram::upper(i - 1) <= nanos, "{nanos} in bucket {i}");
            }
        }
        assert_eq!(Histogram::index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_come_from_the_buckets() {
        let stats = RouteStats::new();
        for _ in 0..98 {
            stats.finish(Duration::from_micros(10), None);
        }
        let slow = ActError::new("slow_down", "too slow");
        stats.finish(Duration::from_millis(100), Some(&slow));
        stats.finish(Duration::from_millis(100), Some(&slow));
        let snap = stats.snapshot();
        assert_eq!(snap["count"], 100);
        assert_eq!(snap["ok"], 98);
        assert_eq!(snap["errors"], json!({"slow_down": 2}));
        let p50 = snap["p50_ms"].as_f64().unwrap();
        assert!((0.010..0.012).contains(&p50), "{p50}");
        let p99 = snap["p99_ms"].as_f64().unwrap();
        assert!((100.0..120.0).contains(&p99), "{p99}");
        assert_eq!(RouteStats::new().snapshot()["p50_ms"], Value::Null);
    }

    #[test]
    fn in_flight_counts_until_dropped_and_codes_are_bounded() {
        let stats = RouteStats::new();
        let guard = stats.start(Kind::Action, Side::Local, "in-process", "a:1");
        assert_eq!(stats.snapshot()["in_flight"], 1);
        drop(guard);
        assert_eq!(stats.snapshot()["in_flight"], 0);
        for i in 0..(MAX_CODES + 5) {
            let err = ActError::new(Code::new(format!("code_{i}")), "failed");
            stats.finish(Duration::ZERO, Some(&err));
        }
        let errors = stats.snapshot()["errors"].as_object().unwrap().clone();
        assert_eq!(errors.len(), MAX_CODES + 1);
        assert_eq!(errors[OTHER_CODES], 5);
    }
}
