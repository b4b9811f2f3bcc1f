//! Serving one request delivery: check the envelope, act, reply, then ack.
//!
//! The reply is published on the channel the request came from, before the ack: AMQP keeps a
//! channel's frames in order, so once the broker has the ack it has routed the reply. A
//! request that cannot be served is rejected without requeue (to the dead-letter queue),
//! with an `act_invalid_msg` error reply when it names a reply queue.

use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicPublishOptions, BasicRejectOptions};
use lapin::{BasicProperties, Channel};
use serde_json::Value;

use super::envelope::{self, Echo, Malformed, Request};
use super::headers::{self, short, Table, JSON};
use crate::error::{ActError, Code};
use crate::message::ids;
use crate::node::Node;
use crate::transport::{Disposition, Inbound};

/// What every request task shares.
#[derive(Debug)]
pub(super) struct RequestContext {
    pub(super) node: Node,
    /// This listener's id in reply envelopes (`accept`).
    pub(super) accept: String,
    pub(super) max_bytes: usize,
}

/// Serves `delivery`, received on `channel`.
pub(super) async fn serve(ctx: &RequestContext, channel: &Channel, delivery: Delivery) {
    let received_ms = headers::now_ms();
    let props = &delivery.properties;
    let reply_to = props.reply_to().as_ref().map(|r| r.as_str().to_owned());
    let parsed = if delivery.data.len() > ctx.max_bytes {
        Err(Malformed::too_large(delivery.data.len(), ctx.max_bytes))
    } else {
        envelope::parse_request(&delivery.data)
    };
    let mut request = match parsed {
        Ok(request) => request,
        Err(malformed) => {
            tracing::warn!(reason = %malformed.reason, routing_key = %delivery.routing_key, "rejecting a malformed request to the dead-letter queue");
            if let Some(reply_to) = &reply_to {
                let error = ActError::new(malformed.code.clone(), malformed.reason.clone());
                let body = malformed_reply(&malformed, &ctx.accept, received_ms, error);
                let _ = publish_reply(channel, reply_to, props, &body).await;
            }
            reject(&delivery).await;
            return;
        }
    };
    let Some(reply_to) = reply_to.filter(|_| request.sync) else {
        if request.sync {
            tracing::warn!(routing_key = %delivery.routing_key, "rejecting a request without reply_to to the dead-letter queue");
            reject(&delivery).await;
            return;
        }
        // Fire-and-forget (Seneca's `sync:false`): act, no reply.
        let _ = act(ctx, &mut request, props).await;
        ack(&delivery).await;
        return;
    };
    if ctx.node.is_closed() {
        requeue(&delivery).await;
        return;
    }
    if headers::remaining(props).is_some_and(|left| left.is_zero()) {
        tracing::debug!(routing_key = %delivery.routing_key, "dropping a request whose caller's deadline has passed");
        reject(&delivery).await;
        return;
    }
    let outcome = act(ctx, &mut request, props).await;
    if Disposition::after_act(&outcome, ctx.node.is_closed()) != Disposition::Ack {
        requeue(&delivery).await;
        return;
    }
    let body = reply_body(ctx, &request, received_ms, outcome);
    match publish_reply(channel, &reply_to, props, &body).await {
        Ok(()) => ack(&delivery).await,
        // The channel is gone: the request comes back unacked and runs again.
        Err(error) => {
            tracing::warn!(%error, "could not publish a reply; the request will be redelivered")
        }
    }
}

/// Acts the request's message (moved out: the reply needs only the envelope's other fields).
async fn act(
    ctx: &RequestContext,
    request: &mut Request,
    props: &BasicProperties,
) -> Result<Value, ActError> {
    let traceparent = headers::text(props, headers::TRACEPARENT);
    let caller = headers::text(props, headers::CALLER);
    let meta = Inbound {
        id: request.id.as_deref(),
        timeout: headers::remaining(props),
        origin: request.origin.as_ref().and_then(Value::as_str),
        traceparent: traceparent.as_deref(),
        caller: caller.as_deref(),
        transport: Some(super::TRANSPORT),
        ..Inbound::default()
    }
    .meta(ctx.node.default_timeout());
    let msg = std::mem::take(&mut request.act);
    ctx.node.act_from(msg, meta).await
}

fn reply_body(
    ctx: &RequestContext,
    request: &Request,
    received_ms: u64,
    outcome: Result<Value, ActError>,
) -> Vec<u8> {
    let echo = Echo {
        id: request.id.as_deref(),
        origin: request.origin.as_ref(),
        track: &request.track,
        client_sent: &request.client_sent,
        received_ms,
    };
    let body = envelope::reply(&echo, &ctx.accept, &outcome).unwrap_or_default();
    if body.len() <= ctx.max_bytes {
        return body;
    }
    let too_large = ActError::new(
        Code::PAYLOAD_TOO_LARGE,
        format!(
            "the reply is {} bytes, over the listener's {}-byte limit (max_message_bytes)",
            body.len(),
            ctx.max_bytes
        ),
    );
    envelope::reply(&echo, &ctx.accept, &Err(too_large)).unwrap_or_default()
}

fn malformed_reply(
    malformed: &Malformed,
    accept: &str,
    received_ms: u64,
    error: ActError,
) -> Vec<u8> {
    let echo = Echo {
        id: malformed.id.as_deref(),
        origin: malformed.origin.as_ref(),
        track: &Value::Null,
        client_sent: &Value::Null,
        received_ms,
    };
    envelope::reply(&echo, accept, &Err(error)).unwrap_or_default()
}

async fn publish_reply(
    channel: &Channel,
    reply_to: &str,
    request: &BasicProperties,
    body: &[u8],
) -> lapin::Result<()> {
    let mut properties = BasicProperties::default()
        .with_content_type(JSON.into())
        .with_message_id(short(&ids::next()))
        .with_timestamp(headers::now_s());
    if let Some(correlation) = request.correlation_id() {
        properties = properties.with_correlation_id(correlation.clone());
    }
    if let Some(traceparent) = headers::text(request, headers::TRACEPARENT) {
        properties = properties.with_headers(
            Table::default()
                .text(headers::TRACEPARENT, traceparent)
                .build(),
        );
    }
    // Not mandatory: a caller that went away leaves nothing to tell.
    channel
        .basic_publish(
            short(""),
            short(reply_to),
            BasicPublishOptions::default(),
            body,
            properties,
        )
        .await
        .map(drop)
}

async fn ack(delivery: &Delivery) {
    if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
        // After a reconnection the broker redelivers what this channel had not acked.
        tracing::debug!(%error, "ack failed; the broker will redeliver");
    }
}

/// Rejects without requeue: the queue's dead-letter exchange takes it.
async fn reject(delivery: &Delivery) {
    let _ = delivery
        .acker
        .reject(BasicRejectOptions { requeue: false })
        .await;
}

/// Gives it back to the queue for another instance (shutting down).
async fn requeue(delivery: &Delivery) {
    let _ = delivery
        .acker
        .nack(BasicNackOptions {
            multiple: false,
            requeue: true,
        })
        .await;
}
