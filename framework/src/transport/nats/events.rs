//! Delivering one event from the JetStream consumer to the node's subscribers and settling it
//! as its [`Disposition`] says: ack; nak with the backoff as delay; move it to the dead-letter
//! stream with its errors, then terminate it; or nak at once when this node is closing.
//!
//! Attempts are JetStream's delivery count. Within one process, subscribers that already
//! succeeded are not run again on a redelivery; on another instance they may be (at-least-once).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{AckKind, Context, Message};
use serde_json::{json, Value};

use super::headers;
use crate::metrics::queues::{self, DeadLetter};
use crate::transport::{Delivery, Disposition, Inbound, Redelivery};
use crate::{ActError, Node};

/// Remembered deliveries beyond which the in-memory bookkeeping is reset (it only saves reruns).
const MEMORY: usize = 10_000;

/// What every event task shares.
#[derive(Debug)]
pub(super) struct Events {
    pub(super) node: Node,
    pub(super) jetstream: Context,
    pub(super) stream: String,
    /// The durable consumer's name: the `queue` label of its metrics.
    pub(super) queue: String,
    pub(super) dead_letter_subject: String,
    pub(super) redelivery: Redelivery,
    /// How often a running delivery tells JetStream it is still at work.
    pub(super) progress_every: Duration,
    /// Per stream sequence: subscribers that already succeeded.
    pub(super) done: Mutex<HashMap<u64, HashSet<String>>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Events {
    fn remember(&self, sequence: u64, delivery: &Delivery) {
        let mut succeeded = delivery.succeeded().map(str::to_owned).peekable();
        if succeeded.peek().is_none() {
            return;
        }
        let mut done = locked(&self.done);
        if done.len() > MEMORY {
            done.clear();
        }
        done.entry(sequence).or_default().extend(succeeded);
    }

    fn forget(&self, sequence: u64) {
        locked(&self.done).remove(&sequence);
    }
}

/// Delivers `msg` and settles it.
pub(super) async fn serve(ctx: &Events, msg: Message) {
    let (attempt, sequence) = match msg.info() {
        Ok(info) => (
            u32::try_from(info.delivered).unwrap_or(u32::MAX).max(1),
            info.stream_sequence,
        ),
        Err(error) => {
            tracing::warn!(subject = %msg.subject, %error, "an event without JetStream metadata; terminating it");
            let _ = msg.ack_with(AckKind::Term).await;
            return;
        }
    };
    if ctx.node.is_closed() {
        settle(ctx, &msg, Disposition::Requeue, None, attempt, sequence).await;
        return;
    }
    if attempt > 1 {
        queues::redelivered(super::TRANSPORT, &ctx.queue);
    }
    let outcome = match serde_json::from_slice::<Value>(&msg.payload) {
        Ok(event) => {
            let found = msg.headers.as_ref();
            let meta = Inbound {
                id: headers::text(found, headers::ID),
                origin: headers::text(found, headers::ORIGIN),
                traceparent: headers::text(found, headers::TRACEPARENT),
                caller: headers::text(found, headers::CALLER),
                transport: Some(super::TRANSPORT),
                ..Inbound::default()
            }
            .meta(ctx.node.default_timeout());
            let skip = locked(&ctx.done)
                .get(&sequence)
                .cloned()
                .unwrap_or_default();
            with_progress(ctx, &msg, ctx.node.deliver(event, meta, &skip)).await
        }
        Err(e) => Err(ActError::invalid_msg(format!(
            "the event is not valid JSON: {e}"
        ))),
    };
    let disposition = match &outcome {
        Ok(delivery) => {
            for (subscriber, error) in delivery.failed() {
                tracing::warn!(subject = %msg.subject, subscriber, attempt, %error, "event subscriber failed");
            }
            delivery.disposition(attempt, &ctx.redelivery)
        }
        Err(error) => {
            tracing::warn!(subject = %msg.subject, %error, "the node refuses this event");
            Disposition::for_error(error, attempt, &ctx.redelivery)
        }
    };
    settle(
        ctx,
        &msg,
        disposition,
        outcome.ok().as_ref(),
        attempt,
        sequence,
    )
    .await;
}

/// Runs `delivery`, telling JetStream every `progress_every` that the event is still being
/// handled, so that a slow subscriber does not see it delivered elsewhere meanwhile.
async fn with_progress<T>(ctx: &Events, msg: &Message, delivery: impl Future<Output = T>) -> T {
    tokio::pin!(delivery);
    // Most deliveries finish at once: no timer for them.
    let first = std::future::poll_fn(|cx| Poll::Ready(delivery.as_mut().poll(cx))).await;
    if let Poll::Ready(done) = first {
        return done;
    }
    let mut ticks = tokio::time::interval(ctx.progress_every);
    ticks.tick().await;
    loop {
        tokio::select! {
            done = &mut delivery => return done,
            _ = ticks.tick() => {
                let _ = msg.ack_with(AckKind::Progress).await;
            }
        }
    }
}

async fn settle(
    ctx: &Events,
    msg: &Message,
    disposition: Disposition,
    delivery: Option<&Delivery>,
    attempt: u32,
    sequence: u64,
) {
    let result = match disposition {
        Disposition::Ack => {
            ctx.forget(sequence);
            msg.ack().await
        }
        Disposition::Retry { after } => {
            if let Some(delivery) = delivery {
                ctx.remember(sequence, delivery);
            }
            msg.ack_with(AckKind::Nak(Some(after))).await
        }
        Disposition::DeadLetter { reason } => {
            match dead_letter(ctx, msg, delivery, &reason, attempt, sequence).await {
                Ok(()) => {
                    let why = match delivery {
                        None => DeadLetter::Unreadable,
                        Some(_) => DeadLetter::for_error(&reason),
                    };
                    queues::dead_lettered(super::TRANSPORT, &ctx.queue, why);
                    tracing::warn!(subject = %msg.subject, attempt, error = %reason, "event dead-lettered");
                    ctx.forget(sequence);
                    msg.ack_with(AckKind::Term).await
                }
                Err(error) => {
                    tracing::error!(subject = %msg.subject, %error, "could not dead-letter an event; it will be delivered again");
                    msg.ack_with(AckKind::Nak(Some(ctx.redelivery.delay(attempt))))
                        .await
                }
            }
        }
        _ => msg.ack_with(AckKind::Nak(None)).await,
    };
    if let Err(error) = result {
        tracing::debug!(%error, "settling an event failed; JetStream will deliver it again");
    }
}

/// Publishes a copy of the event, with its errors in headers, to the dead-letter stream and
/// waits for JetStream to store it. Its id makes a repeated copy (a crash before the
/// original was terminated) stored once.
async fn dead_letter(
    ctx: &Events,
    msg: &Message,
    delivery: Option<&Delivery>,
    reason: &ActError,
    attempt: u32,
    sequence: u64,
) -> Result<(), String> {
    let errors: Vec<Value> = match delivery {
        Some(delivery) => delivery
            .failed()
            .map(|(subscriber, e)| json!({ "subscriber": subscriber, "code": e.code(), "message": e.message() }))
            .collect(),
        None => vec![json!({ "code": reason.code(), "message": reason.message() })],
    };
    let mut out = msg.headers.clone().unwrap_or_default();
    out.insert(headers::ERROR_CODE, headers::value(reason.code().as_str()));
    out.insert(headers::ERROR_MESSAGE, headers::value(reason.message()));
    out.insert(
        headers::ERRORS,
        headers::value(&Value::Array(errors).to_string()),
    );
    out.insert(headers::ATTEMPTS, headers::value(&attempt.to_string()));
    out.insert(headers::SUBJECT, headers::value(&msg.subject));
    out.insert(
        headers::STREAM_SEQUENCE,
        headers::value(&sequence.to_string()),
    );
    out.insert(headers::SERVICE, headers::value(ctx.node.name()));
    out.insert(
        headers::MSG_ID,
        headers::value(&format!("{}:{sequence}:{}", ctx.stream, ctx.node.name())),
    );
    let copy = PublishMessage::build()
        .payload(msg.payload.clone())
        .headers(out);
    let ack = ctx
        .jetstream
        .send_publish(ctx.dead_letter_subject.clone(), copy)
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map(drop).map_err(|e| e.to_string())
}
