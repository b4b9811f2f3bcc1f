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
use crate::error::ActError;
use crate::metrics::queues::{self, DeadLetter};
use crate::node::Node;
use crate::transport::{Delivery as Outcomes, Disposition, Inbound, Redelivery};

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
    /// Attempts and backoff.
    pub(super) redelivery: Redelivery,
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
            .field("redelivery", &self.redelivery)
            .finish_non_exhaustive()
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EventContext {
    pub(super) fn new(
        node: Node,
        publisher: Arc<Publisher>,
        queue: String,
        dead_letter: (String, String),
        redelivery: Redelivery,
        broker_counts: bool,
    ) -> Self {
        let (dead_letter_exchange, dead_letter_key) = dead_letter;
        EventContext {
            node,
            publisher,
            queue,
            dead_letter_exchange,
            dead_letter_key,
            redelivery,
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

    /// Keeps, for a redelivery of message `id`, which subscribers succeeded (not run again)
    /// and, on a classic queue, that this attempt failed.
    fn remember(&self, id: Option<&str>, outcomes: &Outcomes) {
        let Some(id) = id else { return };
        let mut succeeded = outcomes.succeeded().map(str::to_owned).peekable();
        if succeeded.peek().is_some() {
            let mut done = locked(&self.done);
            if done.len() > MEMORY {
                done.clear();
            }
            done.entry(id.to_owned()).or_default().extend(succeeded);
        }
        if !self.broker_counts {
            let mut failures = locked(&self.failures);
            if failures.len() > MEMORY {
                failures.clear();
            }
            *failures.entry(id.to_owned()).or_default() += 1;
        }
    }

    fn forget(&self, id: Option<&str>) {
        if let Some(id) = id {
            locked(&self.done).remove(id);
            locked(&self.failures).remove(id);
        }
    }
}

/// Delivers one event delivery to the local subscribers and settles it as its
/// [`Disposition`] says.
pub(super) async fn serve(ctx: &EventContext, delivery: Delivery) {
    let event: Value = match serde_json::from_slice(&delivery.data) {
        Ok(event @ Value::Object(_)) => event,
        // A permanent error with nothing to run: the queue's dead-letter exchange takes the
        // message as it is.
        _ => {
            tracing::warn!(queue = %ctx.queue, routing_key = %delivery.routing_key, "rejecting an event that is not a JSON object to the dead-letter queue");
            reject(&delivery).await;
            queues::dead_lettered(super::TRANSPORT, &ctx.queue, DeadLetter::Unreadable);
            return;
        }
    };
    if ctx.node.is_closed() {
        settle(
            ctx,
            &delivery,
            Disposition::Requeue,
            &Outcomes::default(),
            0,
            None,
        )
        .await;
        return;
    }
    let props = &delivery.properties;
    let id = props.message_id().as_ref().map(|m| m.as_str().to_owned());
    let id = id.as_deref();
    let attempt = ctx.attempt(&delivery, id);
    if attempt > 1 || delivery.redelivered {
        queues::redelivered(super::TRANSPORT, &ctx.queue);
    }
    let skip = id
        .and_then(|id| locked(&ctx.done).get(id).cloned())
        .unwrap_or_default();
    let tx = headers::text(props, headers::TX);
    let origin = headers::text(props, headers::ORIGIN);
    let traceparent = headers::text(props, headers::TRACEPARENT);
    let caller = headers::text(props, headers::CALLER);
    let meta = Inbound {
        id,
        tx: tx.as_deref(),
        origin: origin.as_deref(),
        traceparent: traceparent.as_deref(),
        timeout: None,
        transport: Some(super::TRANSPORT),
        caller: caller.as_deref(),
    }
    .meta(ctx.node.default_timeout());
    let outcomes = match ctx.node.deliver(event, meta, &skip).await {
        Ok(outcomes) => outcomes,
        Err(err) => {
            tracing::warn!(queue = %ctx.queue, error = %err, "rejecting an event the node refuses to the dead-letter queue");
            reject(&delivery).await;
            queues::dead_lettered(super::TRANSPORT, &ctx.queue, DeadLetter::Unreadable);
            return;
        }
    };
    for (subscriber, err) in outcomes.failed() {
        tracing::warn!(queue = %ctx.queue, subscriber, attempt, error = %err, "event subscriber failed");
    }
    let disposition = outcomes.disposition(attempt, &ctx.redelivery);
    if outcomes.is_empty() && skip.is_empty() {
        tracing::debug!(queue = %ctx.queue, routing_key = %delivery.routing_key, "no local subscriber matches this event; acking it");
    }
    settle(ctx, &delivery, disposition, &outcomes, attempt, id).await;
}

/// Settles `delivery` (attempt `attempt` of message `id`) as `disposition` says.
async fn settle(
    ctx: &EventContext,
    delivery: &Delivery,
    disposition: Disposition,
    outcomes: &Outcomes,
    attempt: u32,
    id: Option<&str>,
) {
    match disposition {
        Disposition::Ack => {
            ctx.forget(id);
            ack(delivery).await;
        }
        Disposition::DeadLetter { reason } => {
            dead_letter(ctx, delivery, outcomes, &reason, attempt).await;
            ctx.forget(id);
        }
        Disposition::Retry { after } => {
            ctx.remember(id, outcomes);
            // Wait out the backoff holding the message (one prefetch slot), unless shutting
            // down; then return it, counted as a failed attempt.
            tokio::select! {
                () = tokio::time::sleep(after) => {}
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
        _ => requeue(delivery).await,
    }
}

/// Publishes a copy of the event, with the errors and the attempt count in its headers, to the
/// dead-letter exchange (confirmed), then acks the original. If that copy cannot be published
/// the original is rejected without requeue, and the queue's dead-letter exchange takes it
/// (without the error headers).
async fn dead_letter(
    ctx: &EventContext,
    delivery: &Delivery,
    outcomes: &Outcomes,
    reason: &ActError,
    attempt: u32,
) {
    let errors: Vec<Value> = outcomes
        .failed()
        .map(|(subscriber, err)| {
            json!({ "subscriber": subscriber, "code": err.code(), "message": err.message() })
        })
        .collect();
    let mut table = delivery.properties.headers().clone().unwrap_or_default();
    let mut put = |key: &str, value: AMQPValue| {
        table.insert(short(key), value);
    };
    let text = |s: String| AMQPValue::LongString(LongString::from(s));
    put(headers::ERROR_CODE, text(reason.code().to_string()));
    put(headers::ERROR_MESSAGE, text(reason.message().to_owned()));
    put(headers::ERRORS, text(Value::Array(errors).to_string()));
    put(
        headers::ATTEMPTS,
        AMQPValue::LongLongInt(i64::from(attempt)),
    );
    put(headers::QUEUE, text(ctx.queue.clone()));
    // Where it was first published and when it first died: kept from an earlier dead letter
    // (a replayed event carries them), so that a replay goes back where the event began.
    let first = [
        (
            headers::EXCHANGE,
            text(delivery.exchange.as_str().to_owned()),
        ),
        (
            headers::ROUTING_KEY,
            text(delivery.routing_key.as_str().to_owned()),
        ),
        (
            headers::DEAD_LETTERED_AT,
            AMQPValue::LongLongInt(i64::try_from(headers::now_ms()).unwrap_or(i64::MAX)),
        ),
    ];
    for (key, value) in first {
        if !table.contains_key(key) {
            table.insert(short(key), value);
        }
    }
    let properties = delivery
        .properties
        .clone()
        .with_headers(table)
        .with_delivery_mode(2);
    let outgoing = Outgoing {
        exchange: &ctx.dead_letter_exchange,
        routing_key: &ctx.dead_letter_key,
        body: &delivery.data,
        properties: &properties,
        reply_to: None,
        mandatory: true,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    queues::dead_lettered(super::TRANSPORT, &ctx.queue, DeadLetter::for_error(reason));
    match ctx.publisher.publish(outgoing, deadline).await {
        Ok(()) => {
            tracing::warn!(queue = %ctx.queue, attempt, "event dead-lettered after failing");
            ack(delivery).await;
        }
        Err(refusal) => {
            tracing::error!(queue = %ctx.queue, ?refusal, "could not publish to the dead-letter exchange; rejecting the event instead");
            reject(delivery).await;
        }
    }
}

async fn ack(delivery: &Delivery) {
    if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
        tracing::debug!(%error, "ack failed; the broker will redeliver");
    }
}

/// Rejects without requeue: the queue's dead-letter exchange takes the message as it is.
async fn reject(delivery: &Delivery) {
    let _ = delivery
        .acker
        .reject(BasicRejectOptions { requeue: false })
        .await;
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
