//! [`Seen`]: what a subscriber under test received, for the lost/duplicated figures of the
//! delivery tests.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

/// Counts of event numbers one subscriber saw, with a wake-up on each.
#[derive(Debug, Default)]
pub struct Seen {
    counts: Mutex<HashMap<u64, u32>>,
    changed: Notify,
}

impl Seen {
    /// Records one delivery of event number `n`.
    pub fn record(&self, n: u64) {
        *self
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(n)
            .or_insert(0) += 1;
        self.changed.notify_waiters();
    }

    /// How many distinct numbers were seen.
    pub fn distinct(&self) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// How many deliveries there were in all (duplicates included).
    pub fn deliveries(&self) -> u32 {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .sum()
    }

    /// Waits until `all` (together) saw `count` distinct numbers, or `within` passed.
    pub async fn wait(all: &[&Seen], count: usize, within: Duration) {
        let _ = tokio::time::timeout(within, async {
            loop {
                let waits: Vec<_> = all.iter().map(|s| s.changed.notified()).collect();
                let mut waits: Vec<_> = waits.into_iter().map(Box::pin).collect();
                for w in &mut waits {
                    w.as_mut().enable();
                }
                let union: HashSet<u64> = all
                    .iter()
                    .flat_map(|s| {
                        s.counts
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .keys()
                            .copied()
                            .collect::<Vec<_>>()
                    })
                    .collect();
                if union.len() >= count {
                    return;
                }
                futures_util::future::select_all(waits).await;
            }
        })
        .await;
    }

    /// A copy of the counts: event number → deliveries.
    pub fn counts(&self) -> HashMap<u64, u32> {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
