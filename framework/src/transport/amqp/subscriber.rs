//! Delivering one event to the node's subscribers: ack when all succeeded, retry with backoff,
//! dead-letter with the error after the last attempt.
//!
//! Attempts are counted by the broker: a quorum queue stamps `x-delivery-count` on each
//! redelivery, and a failed attempt is returned with `basic.reject(requeue=true)` (which
//! RabbitMQ counts; from 4.3 `basic.nack` does not). The queue's `x-delivery-limit` is a safety
//! net for a handler that kills the process. Within one process, subscribers that already
//! succeeded are not run again on a redelivery; on another instance they may be (at-least-once).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicRejectOptions};
use lapin::types::{AMQPValue, LongString};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::headers::{self, short};
use super::publisher::{Outgoing, Publisher};
use crate::error::{ActError, Code};
use crate::message::Meta;
use crate::node::{Delivered, Node};

/// Remembered deliveries beyond which the in-memory bookkeeping is reset (it only saves reruns).
const MEMORY: usize = 10_000;

/// What every event task shares.
pub(super) struct EventContext {
    pub(super) node: Node,
    /// Publishes dead-lettered copies (with confirms).
    pub(super) publisher: Arc<Publisher>,
    pub(super) queue: String,
    pub(super) dead_letter_exchange: String,
    pub(super) dead_letter_key: String,
    pub(super) max_attempts: u32,
    pub(super) backoff: Duration,
    pub(super) backoff_max: Duration,
    /// The queue counts deliveries itself (quorum); else attempts are counted here.
    pub(super) broker_counts: bool,
    /// Per message id: subscribers that already succeeded.
    done: Mutex<HashMap<String, HashSet<String>>>,
    /// Per message id: failed attempts (classic queues only).
    failures: Mutex<HashMap<String, u32>>,
}

impl std::fmt::Debug for EventContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventContext")
            .field("queue", &self.queue)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EventContext {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        node: Node,
        publisher: Arc<Publisher>,
        queue: String,
        dead_letter_exchange: String,
        dead_letter_key: String,
        max_attempts: u32,
        backoff: Duration,
        backoff_max: Duration,
        broker_counts: bool,
    ) -> Self {
        EventContext {
            node,
            publisher,
            queue,
            dead_letter_exchange,
            dead_letter_key,
            max_attempts: max_attempts.max(1),
            backoff,
            backoff_max,
            broker_counts,
            done: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    /// The attempt this delivery is (1 for the first).
    fn attempt(&self, delivery: &Delivery, id: Option<&str>) -> u32 {
        if self.broker_counts {
            let returned = headers::int(&delivery.properties, headers::DELIVERY_COUNT).unwrap_or(0);
            return u32::try_from(returned)
                .unwrap_or(u32::MAX)
                .saturating_add(1);
        }
        id.map_or(1, |id| {
            locked(&self.failures).get(id).copied().unwrap_or(0) + 1
        })
    }

    fn forget(&self, id: Option<&str>) {
        if let Some(id) = id {
            locked(&self.done).remove(id);
            locked(&self.failures).remove(id);
        }
    }

    /// The delay before attempt `attempt + 1`.
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.backoff.saturating_mul(factor).min(self.backoff_max)
    }
}

/// Delivers one event delivery to the local subscribers and settles it.
pub(super) async fn serve(ctx: &EventContext, delivery: Delivery) {
    let event: Value = match serde_json::from_slice(&delivery.data) {
        Ok(event @ Value::Object(_)) => event,
        _ => {
            tracing::warn!(queue = %ctx.queue, routing_key = %delivery.routing_key, "rejecting an event that is not a JSON object to the dead-letter queue");
            let _ = delivery
                .acker
                .reject(BasicRejectOptions { requeue: false })
                .await;
            return;
        }
    };
    if ctx.node.is_closed() {
        requeue(&delivery).await;
        return;
    }
    let props = &delivery.properties;
    let id = props.message_id().as_ref().map(|m| m.as_str().to_owned());
    let id = id.as_deref();
    let attempt = ctx.attempt(&delivery, id);
    let skip = id
        .and_then(|id| locked(&ctx.done).get(id).cloned())
        .unwrap_or_default();
    let tx = headers::text(props, headers::TX);
    let wire_id = id.map(|m| format!("{m}/{}", tx.as_deref().unwrap_or("")));
    let mut meta = Meta::inbound(wire_id.as_deref(), ctx.node.default_timeout());
    if let Some(origin) = headers::text(props, headers::ORIGIN) {
        meta.set_origin(origin);
    }
    crate::trace::inbound(
        &mut meta,
        headers::text(props, headers::TRACEPARENT).as_deref(),
    );
    let delivered = match ctx.node.deliver_event(event, meta, &skip).await {
        Ok(delivered) => delivered,
        Err(err) => {
            tracing::warn!(queue = %ctx.queue, error = %err, "rejecting an event the node refuses to the dead-letter queue");
            let _ = delivery
                .acker
                .reject(BasicRejectOptions { requeue: false })
                .await;
            return;
        }
    };
    let (ok, failed): (Vec<Delivered>, Vec<Delivered>) =
        delivered.into_iter().partition(|d| d.outcome.is_ok());
    if failed.is_empty() {
        if ok.is_empty() && skip.is_empty() {
            tracing::debug!(queue = %ctx.queue, routing_key = %delivery.routing_key, "no local subscriber matches this event; acking it");
        }
        ctx.forget(id);
        ack(&delivery).await;
        return;
    }
    for d in &failed {
        if let Err(err) = &d.outcome {
            tracing::warn!(queue = %ctx.queue, subscriber = %d.subscriber, attempt, error = %err, "event subscriber failed");
        }
    }
    if let Some(id) = id {
        if !ok.is_empty() {
            let mut done = locked(&ctx.done);
            if done.len() > MEMORY {
                done.clear();
            }
            done.entry(id.to_owned())
                .or_default()
                .extend(ok.into_iter().map(|d| d.subscriber));
        }
    }
    // A subscriber that rejects the event's shape will reject it again: no retry.
    let permanent = failed.iter().all(|d| {
        d.outcome
            .as_ref()
            .is_err_and(|e| e.code() == &Code::ACT_INVALID_MSG)
    });
    if permanent || attempt >= ctx.max_attempts {
        dead_letter(ctx, &delivery, &failed, attempt).await;
        ctx.forget(id);
        return;
    }
    if !ctx.broker_counts {
        if let Some(id) = id {
            let mut failures = locked(&ctx.failures);
            if failures.len() > MEMORY {
                failures.clear();
            }
            *failures.entry(id.to_owned()).or_default() += 1;
        }
    }
    // Wait out the backoff holding the message (one prefetch slot), unless shutting down.
    let wait = ctx.delay(attempt);
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        () = ctx.node.closed() => {}
    }
    if let Err(error) = delivery
        .acker
        .reject(BasicRejectOptions { requeue: true })
        .await
    {
        tracing::debug!(%error, "reject failed; the broker will redeliver");
    }
}

/// Publishes a copy of the event, with the errors and the attempt count in its headers, to the
/// dead-letter exchange (confirmed), then acks the original. If that copy cannot be published
/// the original is rejected without requeue, and the queue's dead-letter exchange takes it
/// (without the error headers).
async fn dead_letter(ctx: &EventContext, delivery: &Delivery, failed: &[Delivered], attempt: u32) {
    let errors: Vec<Value> = failed
        .iter()
        .filter_map(|d| {
            let err = d.outcome.as_ref().err()?;
            Some(
                json!({ "subscriber": d.subscriber, "code": err.code(), "message": err.message() }),
            )
        })
        .collect();
    let first: Option<&ActError> = failed.iter().find_map(|d| d.outcome.as_ref().err());
    let mut table = delivery.properties.headers().clone().unwrap_or_default();
    let mut put = |key: &str, value: AMQPValue| {
        table.insert(short(key), value);
    };
    let text = |s: String| AMQPValue::LongString(LongString::from(s));
    if let Some(first) = first {
        put(headers::ERROR_CODE, text(first.code().to_string()));
        put(headers::ERROR_MESSAGE, text(first.message().to_owned()));
    }
    put(headers::ERRORS, text(Value::Array(errors).to_string()));
    put(
        headers::ATTEMPTS,
        AMQPValue::LongLongInt(i64::from(attempt)),
    );
    put(headers::QUEUE, text(ctx.queue.clone()));
    let properties = delivery
        .properties
        .clone()
        .with_headers(table)
        .with_delivery_mode(2);
    let outgoing = Outgoing {
        exchange: &ctx.dead_letter_exchange,
        routing_key: &ctx.dead_letter_key,
        body: &delivery.data,
        properties,
        mandatory: true,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    match ctx.publisher.publish(outgoing, deadline).await {
        Ok(()) => {
            tracing::warn!(queue = %ctx.queue, attempt, "event dead-lettered after failing");
            ack(delivery).await;
        }
        Err(refusal) => {
            tracing::error!(queue = %ctx.queue, ?refusal, "could not publish to the dead-letter exchange; rejecting the event instead");
            let _ = delivery
                .acker
                .reject(BasicRejectOptions { requeue: false })
                .await;
        }
    }
}

async fn ack(delivery: &Delivery) {
    if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
        tracing::debug!(%error, "ack failed; the broker will redeliver");
    }
}

/// Gives an undelivered event back to its queue (shutting down).
async fn requeue(delivery: &Delivery) {
    let _ = delivery
        .acker
        .nack(BasicNackOptions {
            multiple: false,
            requeue: true,
        })
        .await;
}
