//! [`AmqpListener`]: serves a node's actions from its request queue and delivers the events it
//! subscribes to from its event queue.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Acker, Channel, Connection, Consumer};
use tokio::task::JoinSet;

use super::connection::{self, GiveUp, Settings};
use super::headers::{short, Table};
use super::naming;
use super::publisher::Publisher;
use super::requests::{self, RequestContext};
use super::subscriber::{self, EventContext};
use super::topology::{self, QueueSpec};
use crate::action::BoxFuture;
use crate::config::{AmqpListenConfig, EventMode, QueueType};
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
use crate::pattern::Pattern;
use crate::transport::Listener;

/// The listener side of the AMQP transport.
///
/// [`bind`](Self::bind) connects (a connection named after the node's instance) and declares
/// everything: the request exchange, the dead-letter exchange and queue, the request queue
/// bound for every pin (Seneca's name, arguments and bindings), and — when the node has
/// `#[event]` subscribers — the event exchange and this service's event queue bound for each
/// subscription. [`serve`](Listener::serve) then consumes both queues until the node closes,
/// and drains: it stops consuming, lets in-flight handlers finish within `drain_timeout_ms`,
/// gives the rest back to the queue and closes the connection.
///
/// Configured with `[[listen]] type = "amqp"` ([`AmqpListenConfig`]); [`Node::start`] binds it.
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
///     type = "amqp"
///     pin = "role:math,cmd:*"
/// "#)?;
/// let node = Node::builder().config(&config).build()?;
/// let server = node.start(&config).await?; // connected, queue `seneca.add.role:math.cmd:any`
/// server.serve_until(porticus::shutdown_signal()).await
/// # }
/// ```
pub struct AmqpListener {
    config: AmqpListenConfig,
    settings: Settings,
    connection: Arc<Connection>,
    requests: Option<Lane>,
    events: Option<Lane>,
    publisher: Arc<Publisher>,
    give_up: GiveUp,
    address: String,
}

impl std::fmt::Debug for AmqpListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpListener")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// What one queue is consumed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Requests,
    Events,
}

/// How one queue is declared and consumed; redone on a fresh channel after a channel error.
#[derive(Debug, Clone)]
struct QueuePlan {
    kind: Kind,
    queue: String,
    exclusive: bool,
    arguments: Vec<(String, PlanArg)>,
    exchange: String,
    bindings: Vec<String>,
    /// Dead-letter exchange, queue and binding key declared with it.
    dead_letter: (String, String, String),
    prefetch: u16,
}

#[derive(Debug, Clone)]
enum PlanArg {
    Text(String),
    Int(u64),
}

/// A consumed queue: its plan, its channel, its consumer.
struct Lane {
    plan: QueuePlan,
    channel: Channel,
    consumer: Option<Consumer>,
    tag: String,
}

fn invalid_pin(text: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("invalid AMQP listener pin `{text}`: {e}"),
    )
}

impl AmqpListener {
    /// Connects to the broker and declares this listener's exchanges, queues and bindings for
    /// `node` (its instance id names the connection, its service name the event queue, its
    /// `#[event]` subscriptions the event bindings). Nothing is consumed until
    /// [`serve`](Listener::serve).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a malformed URL or pin; [`ErrorKind::Transport`] when the
    /// broker cannot be reached or refuses a declaration (`PRECONDITION_FAILED` when a queue
    /// exists with other arguments).
    pub async fn bind(config: &AmqpListenConfig, node: &Node) -> Result<AmqpListener> {
        let settings = Settings::listener(config);
        settings.uri()?;
        let plans = plans(config, node)?;
        let connection = Arc::new(connection::open(&settings, node.instance(), "listener").await?);
        let mut requests = None;
        let mut events = None;
        for plan in plans {
            let channel = open_lane(&connection, &plan, config).await?;
            let lane = Lane {
                tag: format!(
                    "{}-{}",
                    node.instance(),
                    if plan.kind == Kind::Requests {
                        "requests"
                    } else {
                        "events"
                    }
                ),
                plan,
                channel,
                consumer: None,
            };
            match lane.plan.kind {
                Kind::Requests => requests = Some(lane),
                Kind::Events => events = Some(lane),
            }
        }
        let publisher = Arc::new(Publisher::new(
            connection.clone(),
            Duration::from_millis(config.publish_timeout_ms),
            config.max_message_bytes,
        ));
        let queues: Vec<&str> = [&requests, &events]
            .into_iter()
            .flatten()
            .map(|l| l.plan.queue.as_str())
            .collect();
        let address = format!("{} ({})", settings.masked(), queues.join(", "));
        Ok(AmqpListener {
            config: config.clone(),
            give_up: settings.give_up(),
            settings,
            connection,
            requests,
            events,
            publisher,
            address,
        })
    }

    /// The request queue's name, if the listener has pins.
    pub fn request_queue(&self) -> Option<&str> {
        self.requests.as_ref().map(|l| l.plan.queue.as_str())
    }

    /// The event queue's name, if the node subscribes to events.
    pub fn event_queue(&self) -> Option<&str> {
        self.events.as_ref().map(|l| l.plan.queue.as_str())
    }
}

/// What to declare for `config` and `node`.
fn plans(config: &AmqpListenConfig, node: &Node) -> Result<Vec<QueuePlan>> {
    let mut out = Vec::new();
    let pin_texts: Vec<String> = std::iter::once(&config.pin)
        .chain(&config.pins)
        .filter(|p| !p.trim().is_empty())
        .cloned()
        .collect();
    let mut pins = Vec::new();
    for text in &pin_texts {
        let pin = Pattern::parse(text).map_err(|e| invalid_pin(text, e))?;
        if pin.is_empty() {
            return Err(invalid_pin(
                text,
                "a listener pin must have at least one key (a catch-all queue would take every service's requests)",
            ));
        }
        pins.push(pin);
    }
    let expires = |args: &mut Vec<(String, PlanArg)>| {
        if config.queue_expires_ms > 0 {
            args.push(("x-expires".into(), PlanArg::Int(config.queue_expires_ms)));
        }
    };
    if !pins.is_empty() {
        let queue = if config.queue.trim().is_empty() {
            naming::seneca_queue_name(&config.queue_prefix, &pin_texts)
                .map_err(|e| invalid_pin(&pin_texts.join(" | "), e))?
        } else {
            config.queue.trim().to_owned()
        };
        check_name(&queue)?;
        let mut arguments = vec![
            (
                "x-dead-letter-exchange".to_owned(),
                PlanArg::Text(config.dead_letter_exchange.clone()),
            ),
            (
                "x-message-ttl".to_owned(),
                PlanArg::Int(config.request_ttl_ms),
            ),
        ];
        expires(&mut arguments);
        let mut bindings: Vec<String> = Vec::new();
        for pin in &pins {
            for binding in [
                naming::pin_binding(pin),
                naming::marked_message_binding(pin),
            ] {
                check_name(&binding)?;
                if !bindings.contains(&binding) {
                    bindings.push(binding);
                }
            }
        }
        out.push(QueuePlan {
            kind: Kind::Requests,
            queue,
            exclusive: false,
            arguments,
            exchange: config.exchange.clone(),
            bindings,
            dead_letter: (
                config.dead_letter_exchange.clone(),
                config.dead_letter_queue.clone(),
                "#".to_owned(),
            ),
            prefetch: config.prefetch.max(1),
        });
    }
    let subscriptions = node.subscriptions();
    if config.events && !subscriptions.is_empty() {
        let group = format!("{}.{}", config.event_queue_prefix, node.name());
        let dead_letter_queue = format!("{group}{}", config.event_dead_letter_suffix);
        let (queue, exclusive) = match config.event_mode {
            EventMode::Group => (group, false),
            EventMode::Broadcast => (format!("{group}.{}", node.instance()), true),
        };
        check_name(&queue)?;
        check_name(&dead_letter_queue)?;
        let mut arguments = vec![
            (
                "x-dead-letter-exchange".to_owned(),
                PlanArg::Text(config.event_dead_letter_exchange.clone()),
            ),
            (
                "x-dead-letter-routing-key".to_owned(),
                PlanArg::Text(dead_letter_queue.clone()),
            ),
        ];
        if !exclusive && config.event_queue_type == QueueType::Quorum {
            arguments.push(("x-queue-type".into(), PlanArg::Text("quorum".into())));
            // A safety net for handlers that kill the process: the transport dead-letters a
            // failing event itself at `event_max_attempts`.
            arguments.push((
                "x-delivery-limit".into(),
                PlanArg::Int(u64::from(config.event_max_attempts.max(1)) + 1),
            ));
        }
        if config.event_max_queue_length > 0 {
            arguments.push((
                "x-max-length".into(),
                PlanArg::Int(config.event_max_queue_length),
            ));
            arguments.push(("x-overflow".into(), PlanArg::Text("reject-publish".into())));
        }
        expires(&mut arguments);
        let mut bindings: Vec<String> = Vec::new();
        for pattern in subscriptions {
            let binding = naming::message_binding(pattern);
            check_name(&binding)?;
            if !bindings.contains(&binding) {
                bindings.push(binding);
            }
        }
        out.push(QueuePlan {
            kind: Kind::Events,
            queue,
            exclusive,
            arguments,
            exchange: config.events_exchange.clone(),
            bindings,
            dead_letter: (
                config.event_dead_letter_exchange.clone(),
                dead_letter_queue.clone(),
                dead_letter_queue,
            ),
            prefetch: config.event_prefetch.max(1),
        });
    }
    Ok(out)
}

fn check_name(name: &str) -> Result<()> {
    if name.len() > naming::MAX_NAME {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "AMQP name `{name}` is {} bytes, over AMQP's {}",
                name.len(),
                naming::MAX_NAME
            ),
        ));
    }
    Ok(())
}

/// Opens a channel and declares `plan` on it (so that lapin replays them together after a
/// reconnection, the exclusive broadcast queue before its consumer).
async fn open_lane(
    connection: &Connection,
    plan: &QueuePlan,
    config: &AmqpListenConfig,
) -> Result<Channel> {
    let channel = connection.create_channel().await.map_err(|e| {
        Error::new(
            ErrorKind::Transport,
            format!("cannot open an AMQP channel: {e}"),
        )
        .with_source(e)
    })?;
    let auto_delete = config.exchange_auto_delete;
    let (dlx, dlq, dl_key) = &plan.dead_letter;
    topology::dead_letter(
        &channel,
        dlx,
        dlq,
        dl_key,
        auto_delete,
        config.queue_expires_ms,
    )
    .await?;
    topology::exchange(&channel, &plan.exchange, auto_delete).await?;
    let mut arguments = Table::default();
    for (key, value) in &plan.arguments {
        arguments = match value {
            PlanArg::Text(text) => arguments.text(key, text.as_str()),
            PlanArg::Int(n) => arguments.int(key, *n),
        };
    }
    let spec = if plan.exclusive {
        QueueSpec::exclusive(&plan.queue)
    } else {
        QueueSpec::durable(&plan.queue)
    };
    topology::queue(&channel, spec.arguments(arguments)).await?;
    for binding in &plan.bindings {
        topology::bind(&channel, &plan.queue, &plan.exchange, binding).await?;
    }
    channel
        .basic_qos(plan.prefetch, BasicQosOptions::default())
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!("setting the prefetch of `{}` failed: {e}", plan.queue),
            )
            .with_source(e)
        })?;
    Ok(channel)
}

impl Lane {
    async fn consume(&mut self) -> Result<()> {
        let consumer = self
            .channel
            .basic_consume(
                short(&self.plan.queue),
                short(&self.tag),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Transport,
                    format!("consuming queue `{}` failed: {e}", self.plan.queue),
                )
                .with_source(e)
            })?;
        self.consumer = Some(consumer);
        Ok(())
    }

    /// Replaces a channel the broker closed: declares and consumes again on a new one.
    async fn reopen(&mut self, connection: &Connection, config: &AmqpListenConfig) -> Result<()> {
        tracing::warn!(queue = %self.plan.queue, "the consuming channel was closed; opening a new one");
        self.consumer = None;
        self.channel = open_lane(connection, &self.plan, config).await?;
        self.consume().await
    }
}

/// The next delivery of an optional lane (never, without one).
async fn next(lane: &mut Option<Lane>) -> Option<lapin::Result<lapin::message::Delivery>> {
    match lane.as_mut().and_then(|l| l.consumer.as_mut()) {
        Some(consumer) => consumer.next().await,
        None => std::future::pending().await,
    }
}

/// In-flight deliveries: their tasks, and their ackers to give them back on a forced stop.
#[derive(Default)]
struct Inflight {
    tasks: JoinSet<()>,
    ackers: Arc<Mutex<HashMap<u64, Acker>>>,
    next: u64,
}

impl Inflight {
    fn spawn(&mut self, acker: Acker, work: impl Future<Output = ()> + Send + 'static) {
        let id = self.next;
        self.next += 1;
        let ackers = self.ackers.clone();
        ackers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, acker);
        self.tasks.spawn(async move {
            work.await;
            ackers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        });
        while self.tasks.try_join_next().is_some() {}
    }

    /// Waits for the in-flight work until `timeout`, then stops it and requeues its messages.
    async fn drain(mut self, timeout: Duration) {
        let finished = tokio::time::timeout(timeout, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            self.tasks.abort_all();
            let left: Vec<Acker> = self
                .ackers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain()
                .map(|(_, a)| a)
                .collect();
            tracing::warn!(
                count = left.len(),
                "drain timeout: requeueing unfinished messages"
            );
            for acker in left {
                let _ = acker
                    .nack(BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    })
                    .await;
            }
        }
    }
}

/// What stopped the serve loop.
enum Stop {
    Closed,
    Failed(Error),
}

fn lost(settings: &Settings, what: &str) -> Error {
    Error::new(
        ErrorKind::Transport,
        format!("the AMQP listener at {} stopped: {what}", settings.masked()),
    )
}

/// How long each step of closing may take with a broker that does not answer.
const CLOSE_STEP: Duration = Duration::from_secs(2);

impl AmqpListener {
    fn lost(&self, what: &str) -> Error {
        lost(&self.settings, what)
    }

    /// Handles a consumer error or end on `kind`'s lane: follow lapin's recovery, else reopen
    /// the channel, else fail.
    async fn recover(
        &mut self,
        kind: Kind,
        error: Option<lapin::Error>,
        node: &Node,
    ) -> Option<Stop> {
        let lane = match kind {
            Kind::Requests => self.requests.as_mut(),
            Kind::Events => self.events.as_mut(),
        }?;
        if let Some(error) = error {
            let channel = lane.channel.clone();
            let queue = lane.plan.queue.clone();
            tokio::select! {
                recovered = channel.wait_for_recovery(error.clone()) => {
                    if recovered.is_ok() {
                        tracing::info!(%queue, "consumer recovered after a reconnection");
                        return None;
                    }
                }
                () = node.closed() => return Some(Stop::Closed),
                () = self.give_up.until_lost(&self.connection) => {}
            }
            tracing::warn!(%queue, %error, "consumer stopped");
        }
        if !self.connection.status().connected() {
            return Some(Stop::Failed(
                self.lost("the connection to the broker is lost and recovery gave up"),
            ));
        }
        let lane = match kind {
            Kind::Requests => self.requests.as_mut(),
            Kind::Events => self.events.as_mut(),
        }?;
        tokio::select! {
            reopened = lane.reopen(&self.connection, &self.config) => match reopened {
                Ok(()) => None,
                Err(e) => Some(Stop::Failed(e)),
            },
            () = self.give_up.until_lost(&self.connection) => Some(Stop::Failed(lost(
                &self.settings,
                "the connection to the broker is lost and recovery gave up",
            ))),
            () = node.closed() => Some(Stop::Closed),
        }
    }

    async fn run(mut self, node: Node) -> Result<()> {
        for lane in [&mut self.requests, &mut self.events].into_iter().flatten() {
            tokio::select! {
                consumed = lane.consume() => consumed?,
                () = self.give_up.until_lost(&self.connection) => {
                    return Err(lost(&self.settings, "the connection to the broker is lost and recovery gave up"));
                }
                () = node.closed() => return Ok(()),
            }
        }
        let requests = Arc::new(RequestContext {
            node: node.clone(),
            accept: node.instance().to_owned(),
            max_bytes: self.config.max_message_bytes,
        });
        let events = self.events.as_ref().map(|lane| {
            Arc::new(EventContext::new(
                node.clone(),
                self.publisher.clone(),
                lane.plan.queue.clone(),
                self.config.event_dead_letter_exchange.clone(),
                lane.plan.dead_letter.2.clone(),
                self.config.event_max_attempts,
                Duration::from_millis(self.config.event_retry_backoff_ms),
                Duration::from_millis(self.config.event_retry_backoff_max_ms),
                !lane.plan.exclusive && self.config.event_queue_type == QueueType::Quorum,
            ))
        });
        let mut inflight = Inflight::default();
        let mut watchdog = tokio::time::interval(Duration::from_millis(250));
        let stop = loop {
            let (kind, delivery) = tokio::select! {
                () = node.closed() => break Stop::Closed,
                _ = watchdog.tick() => {
                    if self.give_up.lost(&self.connection) {
                        break Stop::Failed(self.lost("the connection to the broker is lost and recovery gave up"));
                    }
                    continue;
                }
                d = next(&mut self.requests) => (Kind::Requests, d),
                d = next(&mut self.events) => (Kind::Events, d),
            };
            match delivery {
                Some(Ok(delivery)) => {
                    let acker = delivery.acker.clone();
                    match kind {
                        Kind::Requests => {
                            let ctx = requests.clone();
                            let channel = self.requests.as_ref().map(|l| l.channel.clone());
                            if let Some(channel) = channel {
                                inflight.spawn(acker, async move {
                                    requests::serve(&ctx, &channel, delivery).await;
                                });
                            }
                        }
                        Kind::Events => {
                            if let Some(ctx) = events.clone() {
                                inflight.spawn(acker, async move {
                                    subscriber::serve(&ctx, delivery).await;
                                });
                            }
                        }
                    }
                }
                Some(Err(error)) => {
                    if let Some(stop) = self.recover(kind, Some(error), &node).await {
                        break stop;
                    }
                }
                None => {
                    if node.is_closed() {
                        break Stop::Closed;
                    }
                    if let Some(stop) = self.recover(kind, None, &node).await {
                        break stop;
                    }
                }
            }
        };
        // Stop intake, finish what is in flight, give back the rest, close.
        let connected = self.connection.status().connected();
        for lane in [&self.requests, &self.events].into_iter().flatten() {
            if connected {
                let cancel = lane
                    .channel
                    .basic_cancel(short(&lane.tag), BasicCancelOptions::default());
                let _ = tokio::time::timeout(CLOSE_STEP, cancel).await;
            }
        }
        inflight
            .drain(Duration::from_millis(self.config.drain_timeout_ms))
            .await;
        if self.connection.status().connected() {
            for lane in [&self.requests, &self.events].into_iter().flatten() {
                let _ =
                    tokio::time::timeout(CLOSE_STEP, lane.channel.close(200, "shutdown".into()))
                        .await;
            }
            let _ = tokio::time::timeout(CLOSE_STEP, self.connection.close(200, "shutdown".into()))
                .await;
        }
        match stop {
            Stop::Closed => Ok(()),
            Stop::Failed(error) => Err(error),
        }
    }
}

impl Listener for AmqpListener {
    fn transport(&self) -> &'static str {
        "amqp"
    }

    fn address(&self) -> String {
        self.address.clone()
    }

    fn serve(self: Box<Self>, node: Node) -> BoxFuture<Result<()>> {
        Box::pin(self.run(node))
    }
}
