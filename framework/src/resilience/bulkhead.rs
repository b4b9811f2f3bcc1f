//! [`Bulkhead`]: at most `limit` acts of one pattern running at once, at most `queue` more
//! waiting; past that an act fails at once with `overloaded`, naming the limit.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::error::{ActError, Code};

/// A concurrency limit with a bounded wait queue, named by `label` (a pattern).
#[derive(Debug)]
pub(crate) struct Bulkhead {
    label: Arc<str>,
    permits: Semaphore,
    limit: u32,
    queue: u32,
    waiting: AtomicU32,
}

/// Leaves the queue when dropped (the wait ended, or the act was cancelled).
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Bulkhead {
    pub(crate) fn new(label: Arc<str>, limit: u32, queue: u32) -> Bulkhead {
        Bulkhead {
            label,
            permits: Semaphore::new(limit as usize),
            limit,
            queue,
            waiting: AtomicU32::new(0),
        }
    }

    /// Takes a place: at once when one is free, else after waiting in the queue (until
    /// `deadline` at most) when the queue has room.
    ///
    /// # Errors
    /// `overloaded` at once when `limit` acts run and `queue` wait; `action_timeout` when the
    /// deadline passes in the queue.
    pub(crate) async fn enter(&self, deadline: Instant) -> Result<SemaphorePermit<'_>, ActError> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let queue = self.queue;
        if self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (w < queue).then_some(w + 1)
            })
            .is_err()
        {
            crate::metrics::resilience::shed(&self.label);
            return Err(self.overloaded());
        }
        let _waiting = Waiting(&self.waiting);
        match tokio::time::timeout_at(deadline, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed.
            Ok(Err(_)) => Err(self.overloaded()),
            Err(_) => Err(ActError::new(
                Code::ACTION_TIMEOUT,
                format!(
                    "act for `{}` reached its deadline while waiting for one of its {} places",
                    self.label, self.limit
                ),
            )
            .with_details(
                serde_json::json!({ "pattern": &*self.label, "concurrency": self.limit }),
            )),
        }
    }

    /// Acts waiting for a place now.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> u32 {
        self.waiting.load(Ordering::Acquire)
    }

    fn overloaded(&self) -> ActError {
        ActError::new(
            Code::OVERLOADED,
            format!(
                "`{}` is at its limit of {} concurrent acts with {} waiting",
                self.label, self.limit, self.queue
            ),
        )
        .with_details(serde_json::json!({
            "pattern": &*self.label,
            "concurrency": self.limit,
            "queue": self.queue,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn it_runs_the_limit_queues_the_bound_and_sheds_the_rest() {
        let bulkhead = Bulkhead::new(Arc::from("role:slow"), 2, 1);
        let deadline = Instant::now() + Duration::from_secs(1);
        let a = bulkhead.enter(deadline).await.unwrap();
        let _b = bulkhead.enter(deadline).await.unwrap();
        let queued = bulkhead.enter(deadline);
        tokio::pin!(queued);
        let first = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(queued.as_mut().poll(cx).is_pending())
        });
        assert!(first.await, "the third act waits");
        assert_eq!(bulkhead.waiting(), 1);
        let shed = bulkhead.enter(deadline).await.unwrap_err();
        assert_eq!(*shed.code(), Code::OVERLOADED);
        assert_eq!(
            shed.message(),
            "`role:slow` is at its limit of 2 concurrent acts with 1 waiting"
        );
        drop(a);
        let _c = queued.await.unwrap();
        assert_eq!(bulkhead.waiting(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_queued_act_gives_up_at_its_deadline() {
        let bulkhead = Bulkhead::new(Arc::from("role:slow"), 1, 4);
        let deadline = Instant::now() + Duration::from_millis(100);
        let _held = bulkhead.enter(deadline).await.unwrap();
        let err = bulkhead.enter(deadline).await.unwrap_err();
        assert_eq!(*err.code(), Code::ACTION_TIMEOUT);
        assert_eq!(bulkhead.waiting(), 0);
    }
}
