//! Serving one request: check it, act, reply — or hand it back to the subject for another
//! instance when this node is closing.

use async_nats::{HeaderMap, Message};
use serde_json::Value;

use super::headers;
use crate::transport::{Disposition, Inbound};
use crate::{ActError, Code, Meta, Node};

/// What every request task shares.
#[derive(Debug)]
pub(super) struct Requests {
    pub(super) node: Node,
    pub(super) client: async_nats::Client,
    pub(super) max_bytes: usize,
}

/// Serves `msg`, received on one of the listener's subjects.
pub(super) async fn serve(ctx: &Requests, msg: Message) {
    let Some(reply) = msg.reply.clone() else {
        tracing::warn!(subject = %msg.subject, "a request without a reply subject: there is no one to answer; dropped");
        return;
    };
    let outcome = match inbound(ctx, &msg) {
        Ok((act, meta)) => ctx.node.act_from(act, meta).await,
        Err(err) => {
            tracing::warn!(subject = %msg.subject, error = %err, "refusing a malformed request");
            Err(err)
        }
    };
    if Disposition::after_act(&outcome, ctx.node.is_closed()) != Disposition::Ack {
        requeue(ctx, msg).await;
        return;
    }
    let traceparent = headers::text(msg.headers.as_ref(), headers::TRACEPARENT);
    let (body, mut out) = reply_of(ctx, outcome);
    if let Some(traceparent) = traceparent {
        out.insert(headers::TRACEPARENT, headers::value(traceparent));
    }
    out.insert(headers::ACCEPT, headers::value(ctx.node.instance()));
    if let Err(error) = ctx
        .client
        .publish_with_headers(reply, out, body.into())
        .await
    {
        tracing::warn!(subject = %msg.subject, %error, "could not send a reply");
    }
}

/// The act and its meta, from the body and the headers.
fn inbound(ctx: &Requests, msg: &Message) -> Result<(Value, Meta), ActError> {
    if msg.payload.len() > ctx.max_bytes {
        return Err(ActError::new(
            Code::PAYLOAD_TOO_LARGE,
            format!(
                "the request is {} bytes, over the listener's {}-byte limit (max_message_bytes)",
                msg.payload.len(),
                ctx.max_bytes
            ),
        ));
    }
    let act: Value = serde_json::from_slice(&msg.payload).map_err(|e| {
        ActError::invalid_msg(format!("the request body is not valid JSON: {e}"))
            .with_details(serde_json::json!({ "line": e.line(), "column": e.column() }))
    })?;
    let found = msg.headers.as_ref();
    let meta = Inbound {
        id: headers::text(found, headers::ID),
        timeout: headers::timeout(found)?,
        origin: headers::text(found, headers::ORIGIN),
        traceparent: headers::text(found, headers::TRACEPARENT),
        caller: headers::text(found, headers::CALLER),
        transport: Some(super::TRANSPORT),
        ..Inbound::default()
    }
    .meta(ctx.node.default_timeout());
    Ok((act, meta))
}

/// The reply's body and headers: the result, or the error (flagged in a header).
fn reply_of(ctx: &Requests, outcome: Result<Value, ActError>) -> (Vec<u8>, HeaderMap) {
    let mut out = HeaderMap::new();
    let body = match &outcome {
        Ok(value) => serde_json::to_vec(value).unwrap_or_default(),
        Err(err) => {
            out.insert(headers::ERROR, "1");
            serde_json::to_vec(err).unwrap_or_default()
        }
    };
    if body.len() <= ctx.max_bytes {
        return (body, out);
    }
    let too_large = ActError::new(
        Code::PAYLOAD_TOO_LARGE,
        format!(
            "the reply is {} bytes, over the listener's {}-byte limit (max_message_bytes)",
            body.len(),
            ctx.max_bytes
        ),
    );
    out.insert(headers::ERROR, "1");
    (serde_json::to_vec(&too_large).unwrap_or_default(), out)
}

/// Publishes the request again on its subject, with its reply subject: another instance of
/// the queue group answers the caller directly (or, with none left, the caller gets NATS's
/// "no responders" at once).
pub(super) async fn requeue(ctx: &Requests, msg: Message) {
    let Some(reply) = msg.reply else { return };
    let published = ctx
        .client
        .publish_with_reply_and_headers(
            msg.subject.clone(),
            reply,
            msg.headers.unwrap_or_default(),
            msg.payload,
        )
        .await;
    if let Err(error) = published {
        tracing::warn!(subject = %msg.subject, %error, "could not hand a request back");
    }
}
