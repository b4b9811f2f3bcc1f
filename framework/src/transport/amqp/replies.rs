//! The reply side of a client: calls waiting for their reply, and the consumer of the
//! client's exclusive reply queue that hands each reply to its call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use lapin::options::BasicConsumeOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection};
use serde_json::Value;
use tokio::sync::oneshot;

use super::envelope::{self, ReplyIn};
use super::headers::short;
use super::topology::{self, QueueSpec};
use crate::error::ActError;
use crate::message::ids;

/// What a call gets back: the reply's outcome.
pub(super) type Outcome = Result<Value, ActError>;

/// Calls waiting for their reply: by correlation id, the envelope id and where to send it.
type Calls = HashMap<String, (String, oneshot::Sender<Outcome>)>;

/// Calls waiting for their reply, by correlation id.
#[derive(Default)]
pub(super) struct Pending {
    calls: Mutex<Calls>,
}

impl Pending {
    pub(super) fn insert(
        &self,
        correlation: &str,
        envelope_id: &str,
    ) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        self.lock()
            .insert(correlation.to_owned(), (envelope_id.to_owned(), tx));
        rx
    }

    fn remove(&self, correlation: &str) {
        self.lock().remove(correlation);
    }

    /// Hands a reply to its call: by correlation id, else (a peer that did not copy it) by the
    /// envelope id. A reply nobody waits for (the caller timed out) is dropped.
    fn complete(&self, correlation: Option<&str>, reply: ReplyIn<'_>) {
        let mut calls = self.lock();
        let key = correlation
            .filter(|c| calls.contains_key(*c))
            .map(str::to_owned)
            .or_else(|| {
                let id = reply.id()?;
                calls
                    .iter()
                    .find(|(_, (e, _))| e == id)
                    .map(|(k, _)| k.clone())
            });
        match key.and_then(|k| calls.remove(&k)) {
            Some((_, tx)) => {
                let _ = tx.send(reply.outcome());
            }
            None => tracing::debug!("dropping a reply nobody waits for (late or foreign)"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Removes a call from [`Pending`] when it ends, however it ends.
pub(super) struct PendingGuard<'a> {
    pub(super) pending: &'a Pending,
    pub(super) correlation: &'a str,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.pending.remove(self.correlation);
    }
}

/// A correlation id no other call of this process uses.
pub(super) fn unique_correlation() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", ids::next(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Consumes the reply queue (no-ack: it is exclusive to this connection) and hands each reply
/// to its call. Follows lapin's recovery; if the channel is closed for good while the
/// connection lives, the queue is declared and consumed on a new channel; when the
/// connection is lost for good it ends (the client then opens a new connection).
pub(super) async fn consume_replies(
    connection: Arc<Connection>,
    mut channel: Channel,
    queue: String,
    pending: Arc<Pending>,
) {
    loop {
        let consumer = channel
            .basic_consume(
                short(&queue),
                short(""),
                BasicConsumeOptions {
                    no_ack: true,
                    exclusive: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await;
        let mut consumer = match consumer {
            Ok(consumer) => consumer,
            Err(e) => {
                tracing::error!(error = %e, %queue, "cannot consume the reply queue");
                return;
            }
        };
        while let Some(delivery) = consumer.next().await {
            match delivery {
                Ok(delivery) => {
                    let correlation = delivery.properties.correlation_id().as_ref();
                    match envelope::parse_reply(&delivery.data) {
                        Some(reply) => pending.complete(correlation.map(|c| c.as_str()), reply),
                        None => {
                            tracing::warn!(%queue, "dropping a reply that is not a `res` envelope")
                        }
                    }
                }
                Err(error) => {
                    if channel.wait_for_recovery(error.clone()).await.is_err() {
                        tracing::warn!(%error, %queue, "the reply channel is closed");
                        break;
                    }
                }
            }
        }
        if !connection.status().connected() {
            return;
        }
        match connection.create_channel().await {
            Ok(fresh) => {
                if topology::queue(&fresh, QueueSpec::exclusive(&queue))
                    .await
                    .is_err()
                {
                    return;
                }
                channel = fresh;
            }
            Err(_) => return,
        }
    }
}
