//! Raw access to the test broker (plain lapin, no Porticus): inspect queues, fetch dead
//! letters, publish malformed messages.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicGetOptions, BasicPublishOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties, Consumer};

use crate::harness::{amqp_url, broker_down};

/// A plain connection to the test broker.
#[derive(Debug)]
pub struct Broker {
    connection: Connection,
}

/// A message fetched from a queue.
#[derive(Debug, Clone)]
pub struct Got {
    /// The body.
    pub body: Vec<u8>,
    /// The routing key it was published (or dead-lettered) with.
    pub routing_key: String,
    /// Headers, each shown as text (`x-death` and other tables as their debug form).
    pub headers: BTreeMap<String, String>,
    /// The `correlation_id` property.
    pub correlation_id: Option<String>,
    /// All the properties.
    pub properties: BasicProperties,
}

fn show(value: &AMQPValue) -> String {
    match value {
        AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        AMQPValue::ShortString(s) => s.as_str().to_owned(),
        AMQPValue::LongLongInt(n) => n.to_string(),
        AMQPValue::LongInt(n) => n.to_string(),
        AMQPValue::LongUInt(n) => n.to_string(),
        AMQPValue::ShortInt(n) => n.to_string(),
        AMQPValue::ShortShortInt(n) => n.to_string(),
        AMQPValue::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

impl Broker {
    /// Connects to [`amqp_url`].
    ///
    /// # Panics
    /// When the broker is unreachable (tests never skip).
    pub async fn connect() -> Broker {
        let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
            .await
            .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
        Broker { connection }
    }

    async fn channel(&self) -> lapin::Channel {
        self.connection
            .create_channel()
            .await
            .expect("open a channel")
    }

    /// Messages ready in `queue`, or `None` when it does not exist.
    pub async fn depth(&self, queue: &str) -> Option<u32> {
        // A passive declare of a missing queue closes its channel: use a throwaway one.
        let channel = self.channel().await;
        channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .ok()
            .map(|q| q.message_count())
    }

    /// Waits (up to `within`) until `queue` holds exactly `count` ready messages; returns the
    /// last depth seen.
    pub async fn wait_depth(&self, queue: &str, count: u32, within: Duration) -> Option<u32> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let depth = self.depth(queue).await;
            if depth == Some(count) || tokio::time::Instant::now() >= deadline {
                return depth;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Takes one message from `queue` (acknowledged), if there is one.
    pub async fn get(&self, queue: &str) -> Option<Got> {
        let channel = self.channel().await;
        let message = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .ok()??;
        let delivery = &message.delivery;
        let headers = delivery
            .properties
            .headers()
            .as_ref()
            .map(|t| {
                t.inner()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), show(v)))
                    .collect()
            })
            .unwrap_or_default();
        Some(Got {
            body: delivery.data.clone(),
            routing_key: delivery.routing_key.as_str().to_owned(),
            headers,
            correlation_id: delivery
                .properties
                .correlation_id()
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            properties: delivery.properties.clone(),
        })
    }

    /// Waits (up to `within`) for a message in `queue`.
    pub async fn wait_get(&self, queue: &str, within: Duration) -> Option<Got> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(got) = self.get(queue).await {
                return Some(got);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Publishes raw bytes (not mandatory, no confirm wait beyond the publish itself).
    pub async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        reply_to: Option<&str>,
    ) {
        let channel = self.channel().await;
        let mut properties = BasicProperties::default().with_correlation_id("raw-1".into());
        if let Some(reply_to) = reply_to {
            properties = properties.with_reply_to(reply_to.into());
        }
        channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .expect("publish")
            .await
            .expect("publish completes");
    }

    /// Declares an exclusive server-named queue and consumes it: where raw requests get
    /// their replies.
    pub async fn reply_queue(&self) -> (String, Consumer) {
        let channel = self.channel().await;
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("declare a reply queue");
        let name = queue.name().as_str().to_owned();
        let consumer = channel
            .basic_consume(
                name.as_str().into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("consume the reply queue");
        (name, consumer)
    }

    /// Deletes `queue` (if it exists).
    pub async fn delete_queue(&self, queue: &str) {
        let channel = self.channel().await;
        let _ = channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await;
    }
}

/// The next message on `consumer` as JSON, waiting up to `within`.
pub async fn next_json(consumer: &mut Consumer, within: Duration) -> Option<serde_json::Value> {
    let delivery = tokio::time::timeout(within, consumer.next())
        .await
        .ok()??
        .ok()?;
    serde_json::from_slice(&delivery.data).ok()
}

impl Broker {
    /// Declares a durable queue bound to `exchange` with `key` (expiring a minute after its
    /// last use), to look at what a publisher sends.
    pub async fn tap(&self, queue: &str, exchange: &str, key: &str) {
        let channel = self.channel().await;
        let mut args = FieldTable::default();
        args.insert("x-expires".into(), AMQPValue::LongLongInt(60_000));
        channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                args,
            )
            .await
            .expect("declare the tap queue");
        channel
            .queue_bind(
                queue.into(),
                exchange.into(),
                key.into(),
                lapin::options::QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind the tap queue");
    }
}

/// Closes, through `rabbitmqctl`, every broker connection whose `connection_name` is `name`
/// (a targeted fault: other clients of the broker are untouched); returns how many.
///
/// # Panics
/// When `rabbitmqctl` cannot be run (the tests need it; they never skip).
pub fn close_connections_named(name: &str) -> usize {
    let output = std::process::Command::new("rabbitmqctl")
        .args([
            "-q",
            "list_connections",
            "pid",
            "client_properties",
            "--no-table-headers",
        ])
        .output()
        .expect("rabbitmqctl is needed to inject connection faults");
    let needle = format!("{{\"connection_name\",\"{name}\"}}");
    let pids: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains(&needle))
        .filter_map(|line| line.split('\t').next().map(str::to_owned))
        .collect();
    for pid in &pids {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["-q", "close_connection", pid, "fault injected by a test"])
            .status();
    }
    pids.len()
}

impl Broker {
    /// Deletes the exchanges [`amqp_configs`](crate::harness::amqp_configs) names under
    /// `prefix` that nothing is bound to any more. (The others are auto-delete: they go with
    /// their last binding, when the test's queues expire.) Call it at the end of a test whose
    /// exchanges may never have had a binding.
    pub async fn cleanup(&self, prefix: &str) {
        for suffix in ["topic", "events", "dlx", "ev.dlx"] {
            // A refused delete (still bound) closes its channel: use a throwaway one.
            let channel = self.channel().await;
            let _ = channel
                .exchange_delete(
                    format!("{prefix}.{suffix}").as_str().into(),
                    lapin::options::ExchangeDeleteOptions {
                        if_unused: true,
                        ..lapin::options::ExchangeDeleteOptions::default()
                    },
                )
                .await;
        }
    }
}
