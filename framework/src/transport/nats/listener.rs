//! [`NatsListener`]: serves acts from request subjects (in the service's queue group) and
//! delivers events from a JetStream consumer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use async_nats::jetstream::consumer::pull::MessagesErrorKind;
use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::{AckKind, Context};
use futures_util::stream::{select_all, SelectAll};
use futures_util::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connection::{self, Link, Settings, State};
use super::events::Events;
use super::requests::{self, Requests};
use super::{streams, subjects};
use crate::config::{NatsCredentials, NatsListenConfig};
use crate::metrics::links::Role;
use crate::pattern::Pattern;
use crate::transport::{Listener, Readiness, Redelivery};
use crate::{BoxFuture, Error, ErrorKind, Node, Result};

/// How often a pull request is refreshed, and the heartbeat that tells a dead pull.
const PULL_EXPIRES: Duration = Duration::from_secs(10);
const PULL_HEARTBEAT: Duration = Duration::from_secs(3);
/// Consecutive pull errors (while connected) after which the consumer is looked up again.
const PULL_ERRORS: u32 = 3;

/// Listener side of the NATS transport: answers acts on the subjects of its pins — the
/// instances of one service share a queue group, so each request goes to one of them — and
/// delivers the events the node's `#[event]` handlers subscribe to from the service's
/// JetStream consumer, acking each only once every local subscriber succeeded.
///
/// Made by [`NatsListener::bind`], usually through configuration (`[[listen]] type = "nats"`).
///
/// ```no_run
/// use porticus::config::Config;
/// use porticus::Node;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> porticus::Result<()> {
/// let config = Config::from_toml_str(r#"
///     [service]
///     name = "math"
///     [[listen]]
///     type = "nats"
///     pin = "role:math,cmd:*"
/// "#)?;
/// let node = Node::builder().config(&config).build()?;
/// let server = node.start(&config).await?; // subscribed to `porticus.act.cmd.*.role.math`
/// server.serve_until(porticus::shutdown_signal()).await
/// # }
/// ```
pub struct NatsListener {
    config: NatsListenConfig,
    link: Link,
    subscribers: Vec<async_nats::Subscriber>,
    events: Option<EventSource>,
    ready: Readiness,
    address: String,
    /// The servers, passwords masked: what a readiness reason names.
    servers: String,
}

/// Where events come from.
struct EventSource {
    jetstream: Context,
    consumer: PullConsumer,
    service: String,
    instance: String,
}

impl std::fmt::Debug for NatsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsListener")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl NatsListener {
    /// Connects (authenticating with the URL's credentials or else `credentials`), subscribes
    /// the subjects of `config`'s pins and of the node's
    /// [introspection pin](Node::introspection_pin) in the queue group of `node`'s service, and, when the
    /// node has `#[event]` subscriptions, creates the event and dead-letter streams (if they do
    /// not exist) and the service's consumer. Nothing is handled until
    /// [`serve`](Listener::serve).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a malformed URL or pin; [`ErrorKind::Transport`] when the
    /// server cannot be reached or refuses a subscription, a stream or a consumer.
    pub async fn bind(
        config: &NatsListenConfig,
        credentials: &NatsCredentials,
        node: &Node,
    ) -> Result<NatsListener> {
        let settings = Settings::new(
            &config.url,
            &config.urls,
            credentials,
            config.connect_timeout_ms,
            (config.reconnect_min_ms, config.reconnect_max_ms),
            config.reconnect_max_attempts,
        )?;
        let mut subjects_served = Vec::new();
        for text in std::iter::once(&config.pin).chain(&config.pins) {
            let pin = Pattern::parse(text).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("NATS listener pin `{text}` does not parse: {e}"),
                )
            })?;
            if let Some(subject) = subjects::listen_subject(&config.subject_prefix, &pin) {
                if !subjects_served.contains(&subject) {
                    subjects_served.push(subject);
                }
            }
        }
        // The node's introspection actions (`role:porticus,service:<name>`), on every listener.
        if let Some(pin) = node.introspection_pin() {
            if let Some(subject) = subjects::listen_subject(&config.subject_prefix, pin) {
                if !subjects_served.contains(&subject) {
                    subjects_served.push(subject);
                }
            }
        }
        let link = connection::connect(
            &settings,
            &format!("{} listener", node.instance()),
            Role::Listener,
        )
        .await?;
        let group = if config.queue_group.is_empty() {
            subjects::name(node.name())
        } else {
            config.queue_group.clone()
        };
        let mut subscribers = Vec::with_capacity(subjects_served.len());
        for subject in &subjects_served {
            let subscriber = link
                .client
                .queue_subscribe(subject.clone(), group.clone())
                .await
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Transport,
                        format!("cannot subscribe `{subject}`: {e}"),
                    )
                })?;
            subscribers.push(subscriber);
        }
        // Bound means reachable: the server has every subscription before `bind` returns.
        connection::round_trip(&link.client, settings.connect_timeout).await?;
        let events = if config.events && !node.subscriptions().is_empty() {
            Some(EventSource::open(&link, config, node.name(), node.instance()).await?)
        } else {
            None
        };
        let mut parts = subjects_served.clone();
        if events.is_some() {
            parts.push(format!("events from {}", config.stream));
        }
        let address = format!("{} ({})", settings.shown, parts.join(", "));
        Ok(NatsListener {
            config: config.clone(),
            link,
            subscribers,
            events,
            ready: Readiness::new(true),
            address,
            servers: settings.shown.clone(),
        })
    }
}

impl EventSource {
    async fn open(
        link: &Link,
        config: &NatsListenConfig,
        service: &str,
        instance: &str,
    ) -> Result<EventSource> {
        let jetstream = async_nats::jetstream::ContextBuilder::new()
            .timeout(Duration::from_millis(config.publish_timeout_ms.max(1)))
            .build(link.client.clone());
        let stream = streams::event_stream(&jetstream, config).await?;
        streams::dead_letter_stream(&jetstream, config).await?;
        let consumer = streams::consumer(&stream, config, service, instance).await?;
        Ok(EventSource {
            jetstream,
            consumer,
            service: service.to_owned(),
            instance: instance.to_owned(),
        })
    }
}

impl Listener for NatsListener {
    fn transport(&self) -> &'static str {
        super::TRANSPORT
    }

    fn address(&self) -> String {
        self.address.clone()
    }

    fn readiness(&self) -> Readiness {
        self.ready.clone()
    }

    fn serve(self: Box<Self>, node: Node) -> BoxFuture<Result<()>> {
        Box::pin(self.run(node))
    }
}

impl NatsListener {
    async fn run(self, node: Node) -> Result<()> {
        let NatsListener {
            config,
            link,
            subscribers,
            events,
            ready,
            address,
            servers,
        } = self;
        let drain = Duration::from_millis(config.drain_timeout_ms);
        let requests = Arc::new(Requests {
            node: node.clone(),
            client: link.client.clone(),
            max_bytes: config.max_message_bytes,
        });
        let serving = async {
            tokio::join!(
                serve_requests(
                    subscribers,
                    requests,
                    config.max_concurrent_requests.max(1),
                    drain
                ),
                serve_events(events, &config, &link, &node, drain),
            )
        };
        let mut state = link.state.clone();
        let watched = async {
            loop {
                let now = *state.borrow_and_update();
                match now {
                    State::Connected => ready.set(true),
                    State::Connecting | State::Reconnecting => ready.set_not_ready(format!(
                        "the connection to the NATS server {servers} is down; reconnecting"
                    )),
                    State::Closed => ready.set_not_ready(format!(
                        "the connection to the NATS server {servers} is closed"
                    )),
                }
                if now == State::Closed || state.changed().await.is_err() {
                    return;
                }
            }
        };
        let outcome = tokio::select! {
            _ = serving => Ok(()),
            () = watched => Err(Error::new(
                ErrorKind::Transport,
                format!("the NATS connection of the listener at {address} closed: its reconnection attempts ran out (reconnect_max_attempts)"),
            )),
        };
        ready.set_not_ready("stopping: finishing the messages in flight");
        // async-nats closes a draining connection without flushing what is queued: the last
        // replies and acks reach the server first.
        let _ = link.client.flush().await;
        let _ = link.client.drain().await;
        outcome
    }
}

/// Takes requests until the node closes, at most `max` at once; then stops taking them, hands
/// back those already received but not started, and gives the running ones `drain` to finish.
async fn serve_requests(
    subscribers: Vec<async_nats::Subscriber>,
    ctx: Arc<Requests>,
    max: usize,
    drain: Duration,
) {
    if subscribers.is_empty() {
        return;
    }
    let node = ctx.node.clone();
    let closed = node.closed();
    tokio::pin!(closed);
    let mut all: SelectAll<async_nats::Subscriber> = select_all(subscribers);
    let permits = Arc::new(Semaphore::new(max));
    let mut running = JoinSet::new();
    loop {
        let msg = tokio::select! {
            biased;
            () = &mut closed => break,
            msg = all.next() => msg,
        };
        let Some(msg) = msg else { break };
        let ctx = ctx.clone();
        let mut work = Box::pin(async move { requests::serve(&ctx, msg).await });
        // Most acts finish at once: answered here, their replies leave together. One that
        // waits runs as a task of its own, at most `max` of them at once.
        if first_poll(&mut work).await.is_pending() {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            running.spawn(async move {
                work.await;
                drop(permit);
            });
        }
        while running.try_join_next().is_some() {}
    }
    for subscriber in all.iter_mut() {
        let _ = subscriber.drain().await;
    }
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(500), all.next()).await {
        requests::requeue(&ctx, msg).await;
    }
    if tokio::time::timeout(drain, async {
        while running.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!(
            running = running.len(),
            "requests still running at the end of the drain timeout are abandoned"
        );
        running.abort_all();
    }
}

/// Delivers events until the node closes; then hands back what still arrives while the
/// deliveries in flight get `drain` to finish.
async fn serve_events(
    source: Option<EventSource>,
    config: &NatsListenConfig,
    link: &Link,
    node: &Node,
    drain: Duration,
) {
    let Some(mut source) = source else { return };
    let queue = source.consumer.cached_info().name.clone();
    // The consumer's counters and backlog, while metrics are recorded.
    let metered = crate::metrics::enabled();
    if metered {
        crate::metrics::queues::watch_queue(super::TRANSPORT, &queue);
    }
    let mut backlog = tokio::time::interval(crate::metrics::queues::BACKLOG_EVERY);
    let ctx = Arc::new(Events {
        node: node.clone(),
        jetstream: source.jetstream.clone(),
        stream: config.stream.clone(),
        queue: queue.clone(),
        dead_letter_subject: subjects::dead_letter_subject(&config.subject_prefix, node.name()),
        redelivery: Redelivery {
            max_attempts: config.max_deliver.max(1),
            backoff: Duration::from_millis(config.event_retry_backoff_ms),
            backoff_max: Duration::from_millis(config.event_retry_backoff_max_ms),
        },
        progress_every: Duration::from_millis((config.ack_wait_ms / 3).max(100)),
        done: std::sync::Mutex::default(),
    });
    let batch = usize::try_from(config.event_prefetch.max(1)).unwrap_or(1);
    let mut running = JoinSet::new();
    let mut messages = None;
    let closed = node.closed();
    tokio::pin!(closed);
    'serving: loop {
        if messages.is_none() {
            let pulled = source
                .consumer
                .stream()
                .max_messages_per_batch(batch)
                .expires(PULL_EXPIRES)
                .heartbeat(PULL_HEARTBEAT)
                .messages()
                .await;
            match pulled {
                Ok(stream) => messages = Some(stream),
                Err(error) => {
                    tracing::warn!(%error, "cannot pull events; trying again");
                    if !pause(node, Duration::from_secs(1)).await {
                        break 'serving;
                    }
                    reopen(&mut source, link, config).await;
                    continue;
                }
            }
        }
        let Some(stream) = messages.as_mut() else {
            continue;
        };
        let mut errors = 0;
        loop {
            tokio::select! {
                biased;
                () = &mut closed => break 'serving,
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = backlog.tick(), if metered => {
                    let (consumer, queue) = (source.consumer.clone(), queue.clone());
                    tokio::spawn(async move {
                        if let Ok(info) = consumer.get_info().await {
                            crate::metrics::queues::backlog(super::TRANSPORT, &queue, info.num_pending);
                        }
                    });
                }
                next = stream.next() => match next {
                    Some(Ok(msg)) => {
                        errors = 0;
                        let ctx = ctx.clone();
                        let mut work = Box::pin(async move { super::events::serve(&ctx, msg).await });
                        if first_poll(&mut work).await.is_pending() {
                            running.spawn(work);
                        }
                    }
                    Some(Err(error)) => {
                        let fatal = matches!(error.kind(), MessagesErrorKind::ConsumerDeleted | MessagesErrorKind::RequestLimitExceeded);
                        errors += u32::from(link.is_connected());
                        tracing::debug!(%error, "pulling events");
                        if fatal || errors >= PULL_ERRORS {
                            tracing::warn!(%error, "the event consumer stopped answering; looking it up again");
                            break;
                        }
                    }
                    None => break,
                },
            }
        }
        messages = None;
        if !pause(node, Duration::from_millis(200)).await {
            break 'serving;
        }
        reopen(&mut source, link, config).await;
    }
    // Closing: what still arrives goes back at once, while the running deliveries finish.
    let deadline = tokio::time::Instant::now() + drain;
    loop {
        tokio::select! {
            done = running.join_next() => if done.is_none() { break },
            Some(Ok(msg)) = async { match messages.as_mut() { Some(s) => s.next().await, None => std::future::pending().await } } => {
                let _ = msg.ack_with(AckKind::Nak(None)).await;
            }
            () = tokio::time::sleep_until(deadline) => {
                tracing::warn!(running = running.len(), "event deliveries still running at the end of the drain timeout are abandoned; JetStream delivers them again");
                running.abort_all();
                break;
            }
        }
    }
}

/// Polls `work` once, here: whether it finished. Most acts and events do, and handled this
/// way their replies and acks leave together (one write for several) instead of one task
/// wake-up and one write each.
async fn first_poll(work: &mut Pin<Box<impl Future<Output = ()>>>) -> Poll<()> {
    std::future::poll_fn(|cx| Poll::Ready(work.as_mut().poll(cx))).await
}

/// Waits `delay` unless the node closes first; false when it closed.
async fn pause(node: &Node, delay: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = node.closed() => false,
    }
}

/// Finds (or creates again) the streams and the consumer, after the server lost them or the
/// consumer stopped answering; on failure the old handle is kept for the next try.
async fn reopen(source: &mut EventSource, link: &Link, config: &NatsListenConfig) {
    match EventSource::open(link, config, &source.service, &source.instance).await {
        Ok(fresh) => *source = fresh,
        Err(error) => tracing::warn!(%error, "cannot reopen the event consumer yet"),
    }
}
