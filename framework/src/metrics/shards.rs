//! Per-thread shards of a meter's counters: each thread adds to its own cache line, so that
//! acts running on several cores do not fight over one; a scrape sums the shards.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

use super::names::DURATION_BUCKETS;

/// How many shards a meter has (threads beyond share them).
pub(crate) const SHARDS: usize = 8;

/// Buckets of a duration: one per bound of [`DURATION_BUCKETS`], and the last for slower.
pub(crate) const BUCKETS: usize = DURATION_BUCKETS.len() + 1;

/// One thread's counters, alone on its cache lines.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Shard {
    pub(crate) ok: AtomicU64,
    pub(crate) in_flight: AtomicI64,
    /// Finished acts by duration bucket (not cumulative).
    pub(crate) buckets: [AtomicU64; BUCKETS],
    /// The durations' sum, in nanoseconds.
    pub(crate) sum_ns: AtomicU64,
}

impl Shard {
    /// Counts one duration.
    #[inline]
    pub(crate) fn record(&self, seconds: f64, nanos: u64) {
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// The shard of the calling thread.
#[inline]
pub(crate) fn mine() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    MINE.with(|m| *m)
}

/// The totals of a meter's shards.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Totals {
    pub(crate) ok: u64,
    pub(crate) in_flight: i64,
    pub(crate) buckets: [u64; BUCKETS],
    pub(crate) sum_ns: u64,
}

impl Totals {
    /// Adds `shard`'s counters.
    pub(crate) fn add(&mut self, shard: &Shard) {
        self.ok += shard.ok.load(Ordering::Relaxed);
        self.in_flight += shard.in_flight.load(Ordering::Relaxed);
        for (total, bucket) in self.buckets.iter_mut().zip(&shard.buckets) {
            *total += bucket.load(Ordering::Relaxed);
        }
        self.sum_ns += shard.sum_ns.load(Ordering::Relaxed);
    }

    /// Adds another meter's totals (two nodes of one process with the same series).
    pub(crate) fn merge(&mut self, other: &Totals) {
        self.ok += other.ok;
        self.in_flight += other.in_flight;
        for (total, bucket) in self.buckets.iter_mut().zip(&other.buckets) {
            *total += bucket;
        }
        self.sum_ns += other.sum_ns;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_land_in_the_first_bucket_that_bounds_them() {
        let shard = Shard::default();
        shard.record(0.000_01, 10_000);
        shard.record(0.001, 1_000_000);
        shard.record(100.0, 100_000_000_000);
        let mut totals = Totals::default();
        totals.add(&shard);
        assert_eq!(totals.buckets[0], 1);
        let at_1ms = DURATION_BUCKETS.iter().position(|b| *b == 0.001).unwrap();
        assert_eq!(totals.buckets[at_1ms], 1);
        assert_eq!(totals.buckets[BUCKETS - 1], 1);
        assert_eq!(totals.sum_ns, 100_001_010_000);
        assert!(mine() < SHARDS);
    }
}
