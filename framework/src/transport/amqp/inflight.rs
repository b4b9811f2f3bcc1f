//! In-flight deliveries of a listener, drained on shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lapin::options::BasicNackOptions;
use lapin::Acker;
use tokio::task::JoinSet;

/// In-flight deliveries: their tasks, and their ackers to give them back on a forced stop.
#[derive(Default)]
pub(super) struct Inflight {
    tasks: JoinSet<()>,
    ackers: Arc<Mutex<HashMap<u64, Acker>>>,
    next: u64,
}

impl Inflight {
    pub(super) fn spawn(&mut self, acker: Acker, work: impl Future<Output = ()> + Send + 'static) {
        let id = self.next;
        self.next += 1;
        let ackers = self.ackers.clone();
        ackers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, acker);
        self.tasks.spawn(async move {
            work.await;
            ackers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        });
        while self.tasks.try_join_next().is_some() {}
    }

    /// Waits for the in-flight work until `timeout`, then stops it and requeues its messages.
    pub(super) async fn drain(mut self, timeout: Duration) {
        let finished = tokio::time::timeout(timeout, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            self.tasks.abort_all();
            let left: Vec<Acker> = self
                .ackers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain()
                .map(|(_, a)| a)
                .collect();
            tracing::warn!(
                count = left.len(),
                "drain timeout: requeueing unfinished messages"
            );
            for acker in left {
                let _ = acker
                    .nack(BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    })
                    .await;
            }
        }
    }
}
