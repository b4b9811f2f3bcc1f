//! The raw lapin RPC both ends: a responder on its own connection answering
//! `{role:'math', cmd:'sum', left, right}` with `{answer}`, and a client on another connection
//! publishing requests with the features of a `Variant` and matching replies by correlation id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::variants::Variant;

/// The routing key of topic requests (the server queue is bound with it).
pub const TOPIC_KEY: &str = "cmd.sum.role.math";

/// The exchanges a run declares: a durable topic exchange for `topic` requests and a durable
/// fanout exchange the `queue_args` queues name as their dead-letter exchange.
#[derive(Clone, Debug)]
pub struct Names {
    /// The topic exchange.
    pub topic: String,
    /// The dead-letter exchange.
    pub dlx: String,
}

/// The responder: its connection and channel, and its queue.
pub struct Server {
    connection: Connection,
    channel: Channel,
    /// The queue it consumes.
    pub queue: String,
}

impl Server {
    /// Declares `queue` as `variant` wants it (bound to the topic exchange for `topic`) and
    /// answers every request on it: prefetch 64, each reply published (and its publish awaited)
    /// before the request is acked.
    pub async fn start(url: &str, names: &Names, variant: Variant, queue: String) -> Server {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .expect("server connects");
        let channel = connection.create_channel().await.expect("channel");
        let mut args = FieldTable::default();
        if variant.queue_args {
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(LongString::from(names.dlx.as_str())),
            );
        }
        let options = QueueDeclareOptions {
            durable: variant.durable_queue(),
            ..QueueDeclareOptions::default()
        };
        channel
            .queue_declare(queue.as_str().into(), options, args)
            .await
            .expect("server queue");
        if variant.topic {
            channel
                .queue_bind(
                    queue.as_str().into(),
                    names.topic.as_str().into(),
                    TOPIC_KEY.into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .expect("bind");
        }
        channel
            .basic_qos(64, BasicQosOptions::default())
            .await
            .expect("qos");
        let mut consumer = channel
            .basic_consume(
                queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("consume");
        let replies = channel.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let channel = replies.clone();
                tokio::spawn(async move {
                    let req: Value = serde_json::from_slice(&delivery.data).expect("request json");
                    assert_eq!(req["role"], "math");
                    assert_eq!(req["cmd"], "sum");
                    let answer =
                        req["left"].as_i64().expect("left") + req["right"].as_i64().expect("right");
                    let body = serde_json::to_vec(&json!({ "answer": answer })).expect("json");
                    let props = &delivery.properties;
                    let reply_to = props.reply_to().clone().expect("reply_to");
                    let correlation = props.correlation_id().clone().expect("correlation id");
                    let published = channel
                        .basic_publish(
                            "".into(),
                            reply_to,
                            BasicPublishOptions::default(),
                            &body,
                            BasicProperties::default().with_correlation_id(correlation),
                        )
                        .await;
                    if let Ok(confirm) = published {
                        let _ = confirm.await;
                    }
                    let _ = delivery.ack(BasicAckOptions::default()).await;
                });
            }
        });
        Server {
            connection,
            channel,
            queue,
        }
    }

    /// Deletes its queue and closes its connection.
    pub async fn stop(self) {
        let _ = self
            .channel
            .queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
            .await;
        let _ = self.connection.close(200, "OK".into()).await;
    }
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>>;

/// The caller: one channel publishing requests and consuming replies (no-ack).
pub struct Client {
    connection: Connection,
    channel: Channel,
    variant: Variant,
    names: Names,
    target: String,
    reply_to: ShortString,
    pending: Pending,
    next: AtomicU64,
}

impl Client {
    /// Connects, consumes its replies (an exclusive reply queue, or direct reply-to for
    /// `direct`) and puts its channel in confirm mode for `confirm`; requests go to `target`.
    pub async fn start(url: &str, names: &Names, variant: Variant, target: &str) -> Client {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .expect("client connects");
        let channel = connection.create_channel().await.expect("channel");
        let reply_to: ShortString = if variant.direct {
            "amq.rabbitmq.reply-to".into()
        } else {
            let options = QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            };
            let queue = channel
                .queue_declare("".into(), options, FieldTable::default())
                .await
                .expect("reply queue");
            queue.name().clone()
        };
        let options = BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        };
        let mut consumer = channel
            .basic_consume(reply_to.clone(), "".into(), options, FieldTable::default())
            .await
            .expect("consume replies");
        if variant.confirm {
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .expect("confirm mode");
        }
        let pending: Pending = Arc::default();
        let waiting = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let Some(id) = delivery.properties.correlation_id() else {
                    continue;
                };
                let caller = waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(id.as_str());
                if let Some(caller) = caller {
                    let _ = caller.send(delivery.data);
                }
            }
        });
        Client {
            connection,
            channel,
            variant,
            names: names.clone(),
            target: target.to_owned(),
            reply_to,
            pending,
            next: AtomicU64::new(1),
        }
    }

    /// One round trip: publishes `{left, right}`, awaits the confirm (if any) beside the reply
    /// and checks the answer.
    pub async fn call(&self, left: i64, right: i64) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let correlation = format!("c{n:x}");
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(correlation.clone(), tx);
        let request = json!({"role": "math", "cmd": "sum", "left": left, "right": right});
        let body = serde_json::to_vec(&request).expect("json");
        let mut props = BasicProperties::default()
            .with_reply_to(self.reply_to.clone())
            .with_correlation_id(correlation.as_str().into());
        if self.variant.expiration {
            props = props.with_expiration("30000".into());
        }
        if self.variant.headers {
            props = with_headers(props, n);
        }
        let (exchange, key) = if self.variant.topic {
            (self.names.topic.as_str(), TOPIC_KEY)
        } else {
            ("", self.target.as_str())
        };
        let options = BasicPublishOptions {
            mandatory: self.variant.mandatory,
            ..BasicPublishOptions::default()
        };
        let confirm = self
            .channel
            .basic_publish(exchange.into(), key.into(), options, &body, props)
            .await
            .expect("publish");
        let (confirmed, reply) =
            tokio::join!(confirm, tokio::time::timeout(Duration::from_secs(10), rx));
        let confirmed = confirmed.expect("confirm");
        if self.variant.confirm {
            assert!(confirmed.is_ack(), "the broker nacked a request");
        }
        let reply = reply.expect("no reply within 10 s").expect("reply");
        let reply: Value = serde_json::from_slice(&reply).expect("reply json");
        assert_eq!(reply["answer"].as_i64(), Some(left + right), "wrong answer");
    }

    /// Closes its channel and connection.
    pub async fn stop(&self) {
        let _ = self.channel.close(200, "OK".into()).await;
        let _ = self.connection.close(200, "OK".into()).await;
    }
}

/// What Porticus puts on a request beside reply-to and correlation id: a traceparent, timeout
/// and deadline header, content type, message id and timestamp.
fn with_headers(props: BasicProperties, n: u64) -> BasicProperties {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    let trace = u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let traceparent = format!("00-{trace:032x}-{n:016x}-01");
    let mut headers = FieldTable::default();
    headers.insert(
        "traceparent".into(),
        AMQPValue::LongString(LongString::from(traceparent)),
    );
    headers.insert("x-timeout-ms".into(), AMQPValue::LongLongInt(30_000));
    headers.insert("x-deadline".into(), AMQPValue::LongLongInt(now_ms + 30_000));
    props
        .with_headers(headers)
        .with_content_type("application/json".into())
        .with_message_id(format!("m{n:019}").into())
        .with_timestamp((now_ms / 1000) as u64)
}
