//! Per-thread shards of a meter's counters: each thread adds to its own cache line, so that
//! acts running on several cores do not fight over one; a scrape sums the shards.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

use super::names::{DURATION_BUCKETS, DURATION_BUCKETS_NS};

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
    /// Counts one duration of `nanos`.
    #[inline]
    pub(crate) fn record(&self, nanos: u64) {
        let bucket = DURATION_BUCKETS_NS
            .iter()
            .position(|bound| nanos <= *bound)
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

impl Shard {
    /// What the shard has counted so far.
    pub(crate) fn totals(&self) -> Totals {
        Totals {
            ok: self.ok.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            sum_ns: self.sum_ns.load(Ordering::Relaxed),
        }
    }
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
    /// Adds another shard's or meter's totals (two nodes of one process may share a series).
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
        shard.record(10_000);
        shard.record(1_000_000);
        shard.record(100_000_000_000);
        let totals = shard.totals();
        assert_eq!(totals.buckets[0], 1);
        let at_1ms = DURATION_BUCKETS.iter().position(|b| *b == 0.001).unwrap();
        assert_eq!(totals.buckets[at_1ms], 1);
        assert_eq!(totals.buckets[BUCKETS - 1], 1);
        assert_eq!(totals.sum_ns, 100_001_010_000);
        assert!(mine() < SHARDS);
    }
}
