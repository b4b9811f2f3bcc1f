//! [`AmqpClient`]: acts as RPC requests over the request exchange, events as persistent
//! messages to the event exchange.

use std::sync::Arc;
use std::time::Duration;

use lapin::{BasicProperties, Connection};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::connection::{self, Settings};
use super::envelope;
use super::headers::{self, short, Table, JSON};
use super::naming;
use super::publisher::{Outgoing, Publisher, Refusal};
use super::replies::{consume_replies, unique_correlation, Pending, PendingGuard};
use super::topology::{self, QueueSpec};
use super::watchdog::Watchdog;
use crate::action::BoxFuture;
use crate::config::AmqpClientConfig;
use crate::error::{ActError, Code, Error, ErrorKind, Result};
use crate::message::Meta;
use crate::metrics::links::{Link, Role};
use crate::pattern::Pattern;
use crate::transport::{Client, Readiness};

/// The client side of the AMQP transport: sends acts as requests to the request exchange and
/// waits for the reply on its own exclusive queue; publishes events, persistent and confirmed,
/// to the event exchange.
///
/// Requests are persistent, published with publisher confirms and `mandatory` (no listener
/// queue bound for the routing key → `no_route` at once), and expire in the broker at the
/// caller's deadline. The connection opens on first use (or with
/// [`connect`](Self::connect)) and recovers by itself; see `docs/transports.md`.
///
/// Register it under its pin with [`NodeBuilder::client`](crate::NodeBuilder::client), or let
/// a `[[client]] type = "amqp"` config entry do it:
///
/// ```no_run
/// use porticus::config::AmqpClientConfig;
/// use porticus::transport::amqp::AmqpClient;
/// use porticus::Node;
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut config = AmqpClientConfig::default(); // amqp://guest:guest@127.0.0.1:5672/%2f
/// config.pin = "role:math,cmd:*".into();
/// let client = AmqpClient::new(&config, "caller-1")?;
/// client.connect().await?; // optional: fail now rather than on the first act
/// let node = Node::builder().without_registered().client(&config.pin, client).build()?;
/// let reply = node.act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2})).await?;
/// println!("{reply}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AmqpClient {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    settings: Settings,
    config: AmqpClientConfig,
    pins: Vec<Pattern>,
    live: tokio::sync::Mutex<Option<Arc<Live>>>,
    pending: Arc<Pending>,
    /// The connection's state in the metrics, across reopened connections.
    link: Arc<Link>,
}

/// An open connection with its reply queue consumer.
struct Live {
    connection: Arc<Connection>,
    watchdog: Watchdog,
    publisher: Publisher,
    reply_queue: String,
    replies: JoinHandle<()>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.replies.abort();
    }
}

impl Live {
    fn is_dead(&self) -> bool {
        self.watchdog.lost().is_some()
            || self.connection.status().closing()
            || self.replies.is_finished()
    }
}

impl std::fmt::Debug for AmqpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpClient")
            .field("name", &self.inner.name)
            .field("url", &self.inner.settings.masked())
            .field("pin", &self.inner.config.pin)
            .field("exchange", &self.inner.config.exchange)
            .finish_non_exhaustive()
    }
}

impl AmqpClient {
    /// A client for `config`, whose connection is named `connection_name` (shown by
    /// `rabbitmqctl list_connections`; configured clients use the node's instance id). Nothing
    /// is connected yet.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a malformed URL, pin or routing pin.
    pub fn new(config: &AmqpClientConfig, connection_name: &str) -> Result<AmqpClient> {
        let settings = Settings::client(config);
        settings.uris()?;
        let mut pins = Vec::new();
        for text in std::iter::once(&config.pin).chain(&config.routing_pins) {
            let pin = Pattern::parse(text).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("invalid AMQP client pin `{text}`: {e}"),
                )
            })?;
            if !pin.is_empty() {
                pins.push(pin);
            }
        }
        Ok(AmqpClient {
            inner: Arc::new(Inner {
                name: connection_name.to_owned(),
                settings,
                config: config.clone(),
                pins,
                live: tokio::sync::Mutex::new(None),
                pending: Arc::default(),
                link: Arc::new(Link::new(super::TRANSPORT, Role::Client)),
            }),
        })
    }

    /// Opens the connection now (it otherwise opens on the first act or emit): declares the
    /// exchanges and the reply queue.
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when the broker cannot be reached or a declaration fails.
    ///
    /// # Cancel safety
    /// Cancel safe: a later call connects again.
    pub async fn connect(&self) -> Result<()> {
        self.live().await.map(drop)
    }

    /// Whether the client currently has a connection to the broker that works.
    pub fn is_connected(&self) -> bool {
        self.inner
            .live
            .try_lock()
            .ok()
            .and_then(|live| live.as_ref().map(|l| l.connection.status().connected()))
            .unwrap_or(false)
    }

    /// Closes the connection (waiting at most 2 s for the broker); a later act or emit opens
    /// a new one.
    pub async fn close(&self) {
        let live = self.inner.live.lock().await.take();
        if let Some(live) = live {
            let close = live.connection.close(200, "client closed".into());
            let _ = tokio::time::timeout(Duration::from_secs(2), close).await;
        }
    }

    async fn live(&self) -> Result<Arc<Live>> {
        let mut slot = self.inner.live.lock().await;
        if let Some(live) = slot.as_ref() {
            if !live.is_dead() {
                return Ok(live.clone());
            }
            tracing::warn!(client = %self.inner.name, "the AMQP connection is gone; opening a new one");
        }
        let timeout = Duration::from_millis(self.inner.config.connect_timeout_ms);
        let live = tokio::time::timeout(timeout.saturating_mul(2), self.open())
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::Transport,
                    format!(
                        "setting up the AMQP client at {} took over {} ms",
                        self.inner.settings.masked(),
                        timeout.saturating_mul(2).as_millis()
                    ),
                )
            })??;
        let live = Arc::new(live);
        *slot = Some(live.clone());
        Ok(live)
    }

    async fn open(&self) -> Result<Live> {
        let inner = &self.inner;
        let config = &inner.config;
        let connection = Arc::new(connection::open(&inner.settings, &inner.name, "client").await?);
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| channel_error(&e))?;
        let auto_delete = config.exchange_auto_delete;
        topology::exchange(&channel, &config.exchange, auto_delete).await?;
        topology::exchange(&channel, &config.events_exchange, auto_delete).await?;
        let reply_queue = format!(
            "{}.{}",
            config.reply_queue_prefix,
            &crate::trace::new_traceparent()[3..11]
        );
        topology::queue(&channel, QueueSpec::exclusive(&reply_queue)).await?;
        let replies = tokio::spawn(consume_replies(
            connection.clone(),
            channel,
            reply_queue.clone(),
            inner.pending.clone(),
        ));
        let publisher = Publisher::new(
            connection.clone(),
            Duration::from_millis(config.publish_timeout_ms),
            config.max_message_bytes,
        );
        Ok(Live {
            watchdog: Watchdog::spawn(
                connection.clone(),
                &inner.settings,
                Readiness::new(true),
                inner.link.clone(),
            ),
            connection,
            publisher,
            reply_queue,
            replies,
        })
    }

    /// The routing key of a request: from the first pin it matches, else from all its keys.
    fn request_key(&self, msg: &Value) -> std::result::Result<String, ActError> {
        match self.inner.pins.iter().find(|pin| pin.matches(msg)) {
            Some(pin) => naming::request_key(pin, msg),
            None => naming::marked_message_key(msg),
        }
    }

    async fn send_act(&self, msg: Value, meta: Meta) -> std::result::Result<Value, ActError> {
        let config = &self.inner.config;
        let key = self.request_key(&msg)?;
        // Named only when an error needs it.
        let what = || format!("request `{key}`");
        let id = meta.id();
        let body = envelope::request(&id, &self.inner.name, &msg)
            .map_err(|e| ActError::invalid_msg(format!("the act cannot be serialized: {e}")))?;
        if body.len() > config.max_message_bytes {
            let refusal = Refusal::TooLarge {
                size: body.len(),
                limit: config.max_message_bytes,
            };
            return Err(refusal.into_act_error(&what(), &config.exchange));
        }
        let deadline = meta.deadline();
        let correlation = unique_correlation();
        let reply = self.inner.pending.insert(&correlation, &id);
        let _guard = PendingGuard {
            pending: &self.inner.pending,
            correlation: &correlation,
        };
        let remaining = meta.remaining();
        let delivery_mode = if config.persistent_requests { 2 } else { 1 };
        let properties = BasicProperties::default()
            .with_content_type(JSON.into())
            .with_delivery_mode(delivery_mode)
            .with_correlation_id(short(&correlation))
            .with_message_id(short(meta.message_id()))
            .with_timestamp(headers::now_s())
            .with_expiration(short(&remaining.as_millis().max(1).to_string()))
            .with_headers(
                Table::default()
                    .text(headers::TRACEPARENT, meta.outbound_traceparent())
                    .maybe_text(headers::CALLER, meta.caller_header())
                    .int(headers::TIMEOUT_MS, remaining.as_millis() as u64)
                    .int(
                        headers::DEADLINE,
                        headers::now_ms() + remaining.as_millis() as u64,
                    )
                    .build(),
            );
        let published = self.publish_live(
            deadline,
            Outgoing {
                exchange: &config.exchange,
                routing_key: &key,
                body: &body,
                properties: &properties,
                reply_to: None,
                mandatory: true,
            },
            Expects::Reply,
            |r| r.into_act_error(&what(), &config.exchange),
        );
        // The broker's confirm is awaited beside the reply, not before it: a nack or a return
        // (`no_route`) still fails the act at once, and a reply that comes first is the answer.
        tokio::pin!(published);
        let mut reply = std::pin::pin!(tokio::time::timeout_at(deadline, reply));
        let mut confirmed = false;
        let replied = loop {
            tokio::select! {
                biased;
                outcome = &mut published, if !confirmed => {
                    outcome?;
                    confirmed = true;
                }
                replied = &mut reply => break replied,
            }
        };
        match replied {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(ActError::new(
                Code::TRANSPORT_UNAVAILABLE,
                "the AMQP client was closed while waiting for the reply",
            )),
            Err(_) => Err(ActError::new(
                Code::ACTION_TIMEOUT,
                format!(
                    "no reply to {} within {} ms",
                    what(),
                    meta.timeout().as_millis()
                ),
            )
            .with_details(serde_json::json!({ "timeout": meta.timeout().as_millis() as u64 }))),
        }
    }

    async fn send_event(&self, event: Value, meta: Meta) -> std::result::Result<(), ActError> {
        let config = &self.inner.config;
        let key = naming::message_key(&event)?;
        let what = || format!("event `{key}`");
        let body = serde_json::to_vec(&event)
            .map_err(|e| ActError::invalid_msg(format!("the event cannot be serialized: {e}")))?;
        if body.len() > config.max_message_bytes {
            let refusal = Refusal::TooLarge {
                size: body.len(),
                limit: config.max_message_bytes,
            };
            return Err(refusal.into_act_error(&what(), &config.events_exchange));
        }
        let properties = BasicProperties::default()
            .with_content_type(JSON.into())
            .with_delivery_mode(2)
            .with_message_id(short(meta.message_id()))
            .with_timestamp(headers::now_s())
            .with_headers(
                Table::default()
                    .text(headers::TRACEPARENT, meta.outbound_traceparent())
                    .text(headers::TX, meta.tx())
                    .maybe_text(headers::CALLER, meta.caller_header())
                    .text(headers::ORIGIN, self.inner.name.as_str())
                    .build(),
            );
        self.publish_live(
            meta.deadline(),
            Outgoing {
                exchange: &config.events_exchange,
                routing_key: &key,
                body: &body,
                properties: &properties,
                reply_to: None,
                mandatory: true,
            },
            Expects::Nothing,
            |r| match r {
                Refusal::NoRoute => ActError::new(
                    Code::NO_ROUTE,
                    format!(
                        "no subscriber queue is bound for {} on exchange `{}`: no service subscribes to it, or its subscriber has never started",
                        what(),
                        config.events_exchange
                    ),
                ),
                Refusal::Nacked => ActError::new(
                    Code::OVERLOADED,
                    format!("a subscriber queue refused {}: it is full (event_max_queue_length), or on a cluster its quorum queue's leader could not be reached; the subscribers that did not refuse it got it", what()),
                ),
                other => other.into_act_error(&what(), &config.events_exchange),
            },
        )
        .await
    }

    /// Publishes `out` on a live connection (a request with that connection's reply queue),
    /// confirmed, until `deadline`; when the watchdog finds that connection lost for good
    /// meanwhile, starts over on a new one.
    async fn publish_live(
        &self,
        deadline: Instant,
        out: Outgoing<'_>,
        reply: Expects,
        refused: impl Fn(Refusal) -> ActError,
    ) -> std::result::Result<(), ActError> {
        loop {
            let live = self.live().await.map_err(|e| unavailable(&e))?;
            let mut out = out;
            if reply == Expects::Reply {
                out.reply_to = Some(&live.reply_queue);
            }
            tokio::select! {
                published = live.publisher.publish(out, deadline) => {
                    return published.map_err(refused);
                }
                lost = live.watchdog.until_lost() => {
                    tracing::warn!(client = %self.inner.name, reason = lost.describe(), "publishing again on a new connection");
                }
            }
            if Instant::now() >= deadline {
                return Err(refused(Refusal::Unavailable(
                    "the broker was unreachable until the deadline".into(),
                )));
            }
        }
    }
}

/// Whether a publish is a request that expects a reply on the client's reply queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expects {
    Reply,
    Nothing,
}

fn channel_error(e: &lapin::Error) -> Error {
    Error::new(
        ErrorKind::Transport,
        format!("cannot open an AMQP channel: {e}"),
    )
    .with_source(e.clone())
}

fn unavailable(e: &Error) -> ActError {
    ActError::new(Code::TRANSPORT_UNAVAILABLE, e.to_string())
}

impl Client for AmqpClient {
    fn transport(&self) -> &'static str {
        super::TRANSPORT
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<std::result::Result<Value, ActError>> {
        let client = self.clone();
        Box::pin(async move { client.send_act(msg, meta).await })
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<std::result::Result<(), ActError>> {
        let client = self.clone();
        Box::pin(async move { client.send_event(event, meta).await })
    }

    fn close(&self) -> BoxFuture<()> {
        let client = self.clone();
        Box::pin(async move { AmqpClient::close(&client).await })
    }
}
