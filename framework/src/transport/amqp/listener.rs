//! [`AmqpListener`]: serves a node's actions from its request queue and delivers the events it
//! subscribes to from its event queue.

use std::sync::Arc;
use std::time::Duration;

use lapin::options::BasicCancelOptions;
use lapin::Connection;

use super::backlog;
use super::connection::{self, Settings};
use super::headers::short;
use super::inflight::Inflight;
use super::lane::{next, plans, Kind, Lane};
use super::publisher::Publisher;
use super::requests::{self, RequestContext};
use super::subscriber::{self, EventContext};
use super::watchdog::{Lost, Watchdog};
use crate::action::BoxFuture;
use crate::config::{AmqpListenConfig, QueueType};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::links::{Link, Role};
use crate::node::Node;
use crate::transport::{Listener, Readiness, Redelivery};

/// The listener side of the AMQP transport.
///
/// [`bind`](Self::bind) connects (a connection named after the node's instance) and declares
/// everything: the request exchange, the dead-letter exchange and queue, the request queue
/// bound for every pin (Seneca's name, arguments and bindings) and for the node's
/// [introspection pin](Node::introspection_pin) (a listener without pins gets a request queue
/// for that alone, `seneca.add.role:porticus.service:<name>`), and — when the node has
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
    watchdog: Watchdog,
    ready: Readiness,
    /// The connection's state in the metrics, across replaced connections.
    link: Arc<Link>,
    address: String,
}

impl std::fmt::Debug for AmqpListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpListener")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
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
        settings.uris()?;
        let plans = plans(config, node)?;
        let connection = Arc::new(connection::open(&settings, node.instance(), "listener").await?);
        let mut requests = None;
        let mut events = None;
        for plan in plans {
            let lane = Lane::open(&connection, plan, config, node.instance()).await?;
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
        let ready = Readiness::new(true);
        let link = Arc::new(Link::new(super::TRANSPORT, Role::Listener));
        Ok(AmqpListener {
            config: config.clone(),
            watchdog: Watchdog::spawn(connection.clone(), &settings, ready.clone(), link.clone()),
            ready,
            link,
            settings,
            connection,
            requests,
            events,
            publisher,
            address,
        })
    }

    /// The request queue's name, if the listener has pins or the node answers introspection.
    pub fn request_queue(&self) -> Option<&str> {
        self.requests.as_ref().map(|l| l.plan.queue.as_str())
    }

    /// The event queue's name, if the node subscribes to events.
    pub fn event_queue(&self) -> Option<&str> {
        self.events.as_ref().map(|l| l.plan.queue.as_str())
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

/// The lane consuming `kind`, if the listener has one.
fn lane_of<'a>(
    requests: &'a mut Option<Lane>,
    events: &'a mut Option<Lane>,
    kind: Kind,
) -> Option<&'a mut Lane> {
    match kind {
        Kind::Requests => requests.as_mut(),
        Kind::Events => events.as_mut(),
    }
}

/// How long each step of closing may take with a broker that does not answer.
const CLOSE_STEP: Duration = Duration::from_secs(2);

impl AmqpListener {
    fn lost(&self, what: &str) -> Error {
        lost(&self.settings, what)
    }

    /// Handles a consumer error or end on `kind`'s lane: follow lapin's recovery, else reopen
    /// the channel, else replace a stalled connection, else fail.
    async fn recover(
        &mut self,
        kind: Kind,
        error: Option<lapin::Error>,
        node: &Node,
    ) -> Option<Stop> {
        let lane = lane_of(&mut self.requests, &mut self.events, kind)?;
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
                lost = self.watchdog.until_lost() => return self.on_lost(lost, node).await,
            }
            tracing::warn!(%queue, %error, "consumer stopped");
        }
        if !self.connection.status().connected() {
            let lost = self.watchdog.lost().unwrap_or(Lost::GaveUp);
            return self.on_lost(lost, node).await;
        }
        let lane = lane_of(&mut self.requests, &mut self.events, kind)?;
        tokio::select! {
            reopened = lane.reopen(&self.connection, &self.config) => match reopened {
                Ok(()) => None,
                Err(e) => Some(Stop::Failed(e)),
            },
            lost = self.watchdog.until_lost() => self.on_lost(lost, node).await,
            () = node.closed() => Some(Stop::Closed),
        }
    }

    /// Acts on the watchdog's verdict: fail when recovery gave up, replace a stalled
    /// connection.
    async fn on_lost(&mut self, lost: Lost, node: &Node) -> Option<Stop> {
        match lost {
            Lost::GaveUp => Some(Stop::Failed(self.lost(lost.describe()))),
            Lost::Stalled => self.replace_connection(node).await,
        }
    }

    /// Replaces a connection whose recovery stalled: a new connection with every lane
    /// declared and consumed on it and the publisher moved to it, tried every
    /// `reconnect_max_ms` until it works (or the bounded attempts run out, or the node closes).
    async fn replace_connection(&mut self, node: &Node) -> Option<Stop> {
        let mut failures = 0;
        loop {
            let replaced = tokio::select! {
                replaced = self.reconnect(node) => replaced,
                () = node.closed() => return Some(Stop::Closed),
            };
            let Err(error) = replaced else {
                tracing::info!(address = %self.address, "consuming again on a new connection");
                return None;
            };
            failures += 1;
            if self.config.reconnect_max_attempts > 0
                && failures >= self.config.reconnect_max_attempts
            {
                return Some(Stop::Failed(error));
            }
            tracing::warn!(%error, "a new connection to the broker failed; trying again");
            tokio::select! {
                () = tokio::time::sleep(self.settings.reconnect_max()) => {}
                () = node.closed() => return Some(Stop::Closed),
            }
        }
    }

    async fn reconnect(&mut self, node: &Node) -> Result<()> {
        let connection =
            Arc::new(connection::open(&self.settings, node.instance(), "listener").await?);
        for lane in [&mut self.requests, &mut self.events].into_iter().flatten() {
            lane.reopen(&connection, &self.config).await?;
        }
        self.publisher.replace_connection(connection.clone());
        self.watchdog = Watchdog::spawn(
            connection.clone(),
            &self.settings,
            self.ready.clone(),
            self.link.clone(),
        );
        // The stalled connection cannot be closed (lapin refuses to close a connection that
        // is not connected); dropping it leaves nothing on the broker, which lost its socket.
        self.connection = connection;
        Ok(())
    }

    /// Starts consuming every lane, once the connection is back if it dropped since
    /// [`bind`](Self::bind). `Ok(false)` when the node closed first.
    async fn consume_all(&mut self, node: &Node) -> Result<bool> {
        for kind in [Kind::Requests, Kind::Events] {
            while let Some(lane) = lane_of(&mut self.requests, &mut self.events, kind) {
                let consumed = tokio::select! {
                    consumed = lane.consume() => consumed,
                    lost = self.watchdog.until_lost() => {
                        // A replacement consumes every lane.
                        return match self.on_lost(lost, node).await {
                            None => Ok(true),
                            Some(Stop::Closed) => Ok(false),
                            Some(Stop::Failed(error)) => Err(error),
                        };
                    }
                    () = node.closed() => return Ok(false),
                };
                let Err(error) = consumed else { break };
                let channel = lane.channel.status();
                if self.connection.status().connected() && !channel.reconnecting() {
                    if channel.connected() {
                        return Err(error);
                    }
                    // The broker closed the channel: declare and consume on a new one.
                    lane.reopen(&self.connection, &self.config).await?;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(true)
    }

    async fn run(mut self, node: Node) -> Result<()> {
        if !self.consume_all(&node).await? {
            return Ok(());
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
                (
                    self.config.event_dead_letter_exchange.clone(),
                    lane.plan.dead_letter.2.clone(),
                ),
                Redelivery {
                    max_attempts: self.config.event_max_attempts,
                    backoff: Duration::from_millis(self.config.event_retry_backoff_ms),
                    backoff_max: Duration::from_millis(self.config.event_retry_backoff_max_ms),
                },
                !lane.plan.exclusive && self.config.event_queue_type == QueueType::Quorum,
            ))
        });
        // The event queue's counters and backlog, while metrics are recorded (the watch is
        // aborted with the set when the serve loop ends).
        let mut watching = tokio::task::JoinSet::new();
        if let Some(lane) = self.events.as_ref().filter(|_| crate::metrics::enabled()) {
            crate::metrics::queues::watch_queue(super::TRANSPORT, &lane.plan.queue);
            watching.spawn(backlog::watch(
                self.publisher.clone(),
                lane.plan.queue.clone(),
            ));
        }
        let mut inflight = Inflight::default();
        let stop = loop {
            let (kind, delivery) = tokio::select! {
                () = node.closed() => break Stop::Closed,
                lost = self.watchdog.until_lost() => {
                    match self.on_lost(lost, &node).await {
                        Some(stop) => break stop,
                        None => continue,
                    }
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
        self.ready
            .set_not_ready("stopping: finishing the messages in flight");
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
