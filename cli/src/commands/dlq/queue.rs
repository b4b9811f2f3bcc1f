//! Which dead-letter queue, the connection to it, and reading it without losing anything.

use lapin::message::Delivery;
use lapin::options::{BasicGetOptions, QueueDeclareOptions};
use lapin::types::{FieldTable, LongString};
use lapin::{Channel, Connection, ConnectionProperties};

use crate::exit::Exit;

/// The options every `dlq` command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// The broker: `amqp://user:pass@host:port[/vhost]`, or a NATS server with JetStream
    /// (`nats://host:4222`).
    #[arg(long, value_name = "URL")]
    pub via: String,
    /// The service whose dead letters these are. RabbitMQ: its queue is
    /// `<event-queue-prefix>.<service><dead-letter-suffix>`; either this or `--queue` (there is
    /// no listing of every service's queue: that needs the management API). NATS: its subject
    /// is `<subject-prefix>.dlq.<service>` (required).
    #[arg(long, value_name = "NAME", required_unless_present = "queue")]
    pub service: Option<String>,
    /// RabbitMQ: the dead-letter queue itself, instead of `--service`.
    #[arg(long, value_name = "NAME", conflicts_with = "service")]
    pub queue: Option<String>,
    /// RabbitMQ: the services' `event_queue_prefix`.
    #[arg(long, value_name = "PREFIX", default_value = "porticus.events")]
    pub event_queue_prefix: String,
    /// RabbitMQ: the services' `event_dead_letter_suffix`.
    #[arg(long, value_name = "SUFFIX", default_value = ".dlq")]
    pub dead_letter_suffix: String,
    /// NATS: the services' `dead_letter_stream`.
    #[arg(long, value_name = "NAME", default_value = "PORTICUS_DLQ")]
    pub stream: String,
    /// NATS: the services' `subject_prefix` (their dead letters are on `<prefix>.dlq.<service>`).
    #[arg(long, value_name = "PREFIX", default_value = "porticus")]
    pub subject_prefix: String,
    /// Give up connecting, or waiting for the broker, after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
}

impl Target {
    /// Whether `--via` names a NATS server.
    pub fn is_nats(&self) -> bool {
        matches!(
            self.via.split("://").next(),
            Some("nats" | "tls" | "ws" | "wss")
        )
    }

    /// The dead-letter queue's name.
    pub fn queue_name(&self) -> String {
        match (&self.queue, &self.service) {
            (Some(queue), _) => queue.clone(),
            (None, Some(service)) => format!(
                "{}.{service}{}",
                self.event_queue_prefix, self.dead_letter_suffix
            ),
            (None, None) => String::new(),
        }
    }

    /// Connects and checks the queue exists.
    pub async fn open(&self) -> Result<Dlq, Exit> {
        let url = masked(&self.via);
        let scheme = self.via.split("://").next().unwrap_or_default();
        match scheme {
            "amqp" | "amqps" => {}
            other => {
                return Err(Exit::usage(format!(
                    "`{url}`: unknown scheme `{other}` (amqp://user:pass@host:port[/vhost] or nats://host:4222)"
                )))
            }
        }
        let queue = self.queue_name();
        if queue.is_empty() {
            return Err(Exit::usage(
                "say which queue: --service NAME or --queue NAME",
            ));
        }
        let props = ConnectionProperties::default()
            .with_connection_name(LongString::from("porticus-cli dlq".to_owned()));
        let connection =
            super::reach(&url, self.timeout, Connection::connect(&self.via, props)).await?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| Exit::usage(format!("cannot open a channel on {url}: {e}")))?;
        let count = channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| {
                let known = match &self.service {
                    Some(service) => format!(" (the dead-letter queue of service `{service}`)"),
                    None => String::new(),
                };
                Exit::usage(format!("no queue `{queue}`{known} on {url}: {e}"))
            })?
            .message_count();
        Ok(Dlq {
            connection,
            channel,
            queue,
            count,
        })
    }
}

/// An open dead-letter queue.
pub struct Dlq {
    /// The connection (publishing channels come from it too).
    pub connection: Connection,
    /// The channel that holds the messages taken.
    channel: Channel,
    /// Its name.
    pub queue: String,
    /// Messages ready when it was opened: a command reads at most this many, so that letters
    /// arriving meanwhile (a replayed event failing again) are not read twice.
    pub count: u32,
}

impl Dlq {
    /// The next dead letter, held unacknowledged; `None` when the queue is empty.
    pub async fn next(&self) -> Result<Option<Delivery>, Exit> {
        self.channel
            .basic_get(
                self.queue.as_str().into(),
                BasicGetOptions { no_ack: false },
            )
            .await
            .map(|got| got.map(|m| m.delivery))
            .map_err(|e| Exit::usage(format!("reading `{}` failed: {e}", self.queue)))
    }

    /// Up to `count` dead letters, all held.
    pub async fn take_all(&self) -> Result<Vec<Delivery>, Exit> {
        let mut taken = Vec::new();
        while taken.len() < self.count as usize {
            match self.next().await? {
                Some(delivery) => taken.push(delivery),
                None => break,
            }
        }
        Ok(taken)
    }

    /// Closes the connection: every letter still held goes back to the queue.
    pub async fn close(self) {
        let _ = self.channel.close(200, "done".into()).await;
        let _ = self.connection.close(200, "done".into()).await;
    }
}

/// The URL with its password hidden, as the services show it.
pub use porticus::config::masked_url as masked;
