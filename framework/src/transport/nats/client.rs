//! [`NatsClient`]: acts as NATS requests on their pin's subject, events into the JetStream
//! event stream.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::{HeaderMap, RequestErrorKind};
use serde_json::Value;

use super::connection::{self, Link, Settings};
use super::{headers, subjects};
use crate::config::{NatsClientConfig, NatsCredentials};
use crate::metrics::links::Role;
use crate::pattern::Pattern;
use crate::transport::Client;
use crate::{ActError, BoxFuture, Code, Error, ErrorKind, Meta, Result};

/// Client side of the NATS transport: sends each act as a NATS request on the subject its
/// pin's keys name, waits for the reply until the act's deadline, and publishes each event to
/// the JetStream event stream, returning once it is stored.
///
/// It connects on first use (or [`connect`](Self::connect)) and reconnects by itself; clones
/// share the connection.
///
/// ```no_run
/// use porticus::config::{NatsClientConfig, NatsCredentials};
/// use porticus::transport::nats::NatsClient;
/// use porticus::Node;
/// use serde_json::json;
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut config = NatsClientConfig::default();
/// config.pin = "role:math,cmd:*".into();
/// let client = NatsClient::new(&config, &NatsCredentials::default(), "caller-1")?;
/// let node = Node::builder().without_registered().client("role:math,cmd:*", client).build()?;
/// let reply = node.act(json!({"role": "math", "cmd": "sum", "left": 1, "right": 2})).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct NatsClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    /// The node instance: names the connection and is sent as the origin.
    instance: String,
    prefix: String,
    /// The patterns that choose an act's subject, in order (empty ones left out).
    routes: Vec<Pattern>,
    publish_timeout: Duration,
    max_bytes: usize,
    link: Mutex<Option<Arc<Connected>>>,
    connecting: tokio::sync::Mutex<()>,
}

/// A connection and its JetStream context.
#[derive(Debug)]
struct Connected {
    link: Link,
    jetstream: async_nats::jetstream::Context,
}

fn unavailable(message: String) -> ActError {
    ActError::new(Code::TRANSPORT_UNAVAILABLE, message)
}

fn too_large(len: usize, limit: usize) -> ActError {
    ActError::new(
        Code::PAYLOAD_TOO_LARGE,
        format!("the message is {len} bytes, over the NATS client's {limit}-byte limit (max_message_bytes)"),
    )
    .with_details(serde_json::json!({ "bytes": len, "limit": limit }))
}

impl NatsClient {
    /// A client for `config`, authenticating with the URL's credentials or else
    /// `credentials`, whose connection is named after the node instance `instance`. Does not
    /// connect yet.
    ///
    /// ```
    /// use porticus::config::{NatsClientConfig, NatsCredentials};
    /// use porticus::transport::nats::NatsClient;
    ///
    /// let client = NatsClient::new(&NatsClientConfig::default(), &NatsCredentials::default(), "caller-1")?;
    /// # drop(client);
    /// let mut bad = NatsClientConfig::default();
    /// bad.pin = "role:".into();
    /// assert!(NatsClient::new(&bad, &NatsCredentials::default(), "caller-1").is_err());
    /// # Ok::<_, porticus::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a URL or a pin that does not parse.
    pub fn new(
        config: &NatsClientConfig,
        credentials: &NatsCredentials,
        instance: &str,
    ) -> Result<NatsClient> {
        let settings = Settings::new(
            &config.url,
            &config.urls,
            credentials,
            config.connect_timeout_ms,
            (config.reconnect_min_ms, config.reconnect_max_ms),
            0,
        )?;
        let mut routes = Vec::new();
        for text in std::iter::once(&config.pin).chain(&config.routing_pins) {
            let pattern = Pattern::parse(text).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("NATS client pin `{text}` does not parse: {e}"),
                )
            })?;
            if !pattern.is_empty() {
                routes.push(pattern);
            }
        }
        Ok(NatsClient {
            inner: Arc::new(Inner {
                settings,
                instance: instance.to_owned(),
                prefix: config.subject_prefix.clone(),
                routes,
                publish_timeout: Duration::from_millis(config.publish_timeout_ms.max(1)),
                max_bytes: config.max_message_bytes,
                link: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Connects now rather than on the first act or emit.
    ///
    /// ```no_run
    /// # use porticus::config::{NatsClientConfig, NatsCredentials};
    /// # use porticus::transport::nats::NatsClient;
    /// # #[tokio::main]
    /// # async fn main() -> porticus::Result<()> {
    /// let client = NatsClient::new(&NatsClientConfig::default(), &NatsCredentials::default(), "caller-1")?;
    /// client.connect().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when no server can be reached within the connect timeout.
    pub async fn connect(&self) -> Result<()> {
        self.connected().await.map(drop)
    }

    fn current(&self) -> Option<Arc<Connected>> {
        self.inner
            .link
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn connected(&self) -> Result<Arc<Connected>> {
        if let Some(connected) = self.current() {
            return Ok(connected);
        }
        let _one_at_a_time = self.inner.connecting.lock().await;
        if let Some(connected) = self.current() {
            return Ok(connected);
        }
        let name = format!("{} client", self.inner.instance);
        let link = connection::connect(&self.inner.settings, &name, Role::Client).await?;
        let jetstream = async_nats::jetstream::ContextBuilder::new()
            .timeout(self.inner.publish_timeout)
            .build(link.client.clone());
        let connected = Arc::new(Connected { link, jetstream });
        *self
            .inner
            .link
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(connected.clone());
        Ok(connected)
    }

    async fn connection(&self) -> Result<Arc<Connected>, ActError> {
        self.connected()
            .await
            .map_err(|e| unavailable(e.to_string()))
    }

    /// The subject of `msg`: through the first routing pattern it matches.
    fn act_subject(&self, msg: &Value) -> Result<String, ActError> {
        self.inner
            .routes
            .iter()
            .find(|pattern| pattern.matches(msg))
            .map(|pin| subjects::act_subject(&self.inner.prefix, pin, msg))
            .ok_or_else(|| {
                let shape = Pattern::from_json(msg).map(|p| p.to_string()).unwrap_or_default();
                ActError::new(
                    Code::NO_ROUTE,
                    format!(
                        "no pin of this NATS client matches `{shape}`: an act travels on the subject its pin's keys name, so give the [[client]] a `pin` (or `routing_pins`) that matches it"
                    ),
                )
            })
    }

    async fn request(&self, msg: Value, meta: Meta) -> Result<Value, ActError> {
        let subject = self.act_subject(&msg)?;
        let body = serde_json::to_vec(&msg).unwrap_or_default();
        if body.len() > self.inner.max_bytes {
            return Err(too_large(body.len(), self.inner.max_bytes));
        }
        let connected = self.connection().await?;
        let remaining = meta.remaining();
        if remaining.is_zero() {
            return Err(timed_out(&subject, &meta));
        }
        let request = async_nats::Request::new()
            .payload(body.into())
            .headers(headers::outbound(&meta, &self.inner.instance))
            .timeout(Some(remaining));
        match connected.link.client.send_request(subject.clone(), request).await {
            Ok(reply) => reply_outcome(&reply, &subject),
            Err(e) => Err(match e.kind() {
                RequestErrorKind::NoResponders => ActError::new(
                    Code::NO_ROUTE,
                    format!("no NATS listener subscribes `{subject}`: is a service with this pin running?"),
                )
                .with_details(serde_json::json!({ "subject": subject })),
                RequestErrorKind::TimedOut if !connected.link.is_connected() => unavailable(
                    format!("the NATS server ({}) was unreachable until the deadline", self.inner.settings.shown),
                ),
                RequestErrorKind::TimedOut => timed_out(&subject, &meta),
                RequestErrorKind::MaxPayloadExceeded => {
                    ActError::new(Code::PAYLOAD_TOO_LARGE, format!("the NATS server refuses the act: {e}"))
                }
                RequestErrorKind::InvalidSubject => ActError::invalid_msg(format!(
                    "the act's subject `{subject}` is not a valid NATS subject: {e}"
                )),
                _ => unavailable(format!("the act on `{subject}` could not be sent: {e}")),
            }),
        }
    }

    async fn publish(&self, event: Value, meta: Meta) -> Result<(), ActError> {
        let subject = subjects::event_subject(&self.inner.prefix, &event);
        let body = serde_json::to_vec(&event).unwrap_or_default();
        if body.len() > self.inner.max_bytes {
            return Err(too_large(body.len(), self.inner.max_bytes));
        }
        let connected = self.connection().await?;
        let mut headers: HeaderMap = headers::outbound(&meta, &self.inner.instance);
        // The same emit published again (after an ambiguous timeout) is stored once.
        headers.insert(headers::MSG_ID, headers::value(meta.message_id()));
        let message = PublishMessage::build()
            .payload(body.into())
            .headers(headers);
        let timeout = self.inner.publish_timeout;
        let sent = std::time::Instant::now();
        let stored = tokio::time::timeout(timeout, async {
            connected
                .jetstream
                .send_publish(subject.clone(), message)
                .await?
                .await
        })
        .await;
        match stored {
            Ok(Ok(_ack)) => {
                crate::metrics::links::confirmed(super::TRANSPORT, sent.elapsed());
                Ok(())
            }
            Ok(Err(e)) => Err(publish_error(&e, &subject, timeout)),
            Err(_) => Err(unconfirmed(&subject, timeout)),
        }
    }
}

fn timed_out(subject: &str, meta: &Meta) -> ActError {
    let ms = meta.timeout().as_millis() as u64;
    ActError::new(
        Code::ACTION_TIMEOUT,
        format!("no reply on `{subject}` within the act's {ms} ms"),
    )
    .with_details(serde_json::json!({ "subject": subject, "timeout": ms }))
}

fn unconfirmed(subject: &str, timeout: Duration) -> ActError {
    unavailable(format!(
        "JetStream did not confirm the event on `{subject}` within {} ms (publish_timeout_ms); it may still have been stored, and emitting it again with the same id$ stores it once",
        timeout.as_millis()
    ))
}

/// What a failed JetStream publish means to the emitter.
fn publish_error(e: &PublishError, subject: &str, timeout: Duration) -> ActError {
    match e.kind() {
        PublishErrorKind::StreamNotFound => ActError::new(
            Code::NO_ROUTE,
            format!("no JetStream stream takes `{subject}`: the event stream is created by the NATS listener of a subscribing service when it starts"),
        )
        .with_details(serde_json::json!({ "subject": subject })),
        PublishErrorKind::TimedOut => unconfirmed(subject, timeout),
        PublishErrorKind::MaxPayloadExceeded => {
            ActError::new(Code::PAYLOAD_TOO_LARGE, format!("the NATS server refuses the event: {e}"))
        }
        PublishErrorKind::Other if is_full(e) => ActError::new(
            Code::OVERLOADED,
            format!("the event stream refuses new events: it is full ({e}); subscribers must catch up, or raise its limits"),
        ),
        _ => unavailable(format!("the event on `{subject}` could not be published: {e}")),
    }
}

/// Whether JetStream refused the publish because the stream is at a limit (`discard = new`).
fn is_full(e: &PublishError) -> bool {
    use std::error::Error as _;
    e.source()
        .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|j| j.error_code() == async_nats::jetstream::ErrorCode::STREAM_STORE_FAILED)
}

/// The outcome a reply carries: the result, or the `ActError` the far side answered with.
fn reply_outcome(reply: &async_nats::Message, subject: &str) -> Result<Value, ActError> {
    let failed = headers::text(reply.headers.as_ref(), headers::ERROR) == Some("1");
    if failed {
        return Err(
            serde_json::from_slice::<ActError>(&reply.payload).unwrap_or_else(|e| {
                ActError::execute(format!(
                    "the error reply on `{subject}` is not an ActError: {e}"
                ))
            }),
        );
    }
    serde_json::from_slice(&reply.payload).map_err(|e| {
        ActError::new(
            Code::REPLY_INVALID,
            format!("the reply on `{subject}` is not JSON: {e}"),
        )
    })
}

impl Client for NatsClient {
    fn transport(&self) -> &'static str {
        super::TRANSPORT
    }

    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
        let this = self.clone();
        Box::pin(async move { this.request(msg, meta).await })
    }

    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>> {
        let this = self.clone();
        Box::pin(async move { this.publish(event, meta).await })
    }

    fn close(&self) -> BoxFuture<()> {
        let taken = self
            .inner
            .link
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        Box::pin(async move {
            if let Some(connected) = taken {
                // async-nats closes a draining connection without flushing what is queued.
                let _ = connected.link.client.flush().await;
                let _ = connected.link.client.drain().await;
            }
        })
    }
}
