//! [`AmqpListener`]: serves a node's actions from its request queue and delivers the events it
//! subscribes to from its event queue.

use std::sync::Arc;
use std::time::Duration;

use lapin::options::BasicCancelOptions;
use lapin::Connection;

use super::connection::{self, GiveUp, Settings};
use super::headers::short;
use super::inflight::Inflight;
use super::lane::{next, plans, Kind, Lane};
use super::publisher::Publisher;
use super::requests::{self, RequestContext};
use super::subscriber::{self, EventContext};
use crate::action::BoxFuture;
use crate::config::{AmqpListenConfig, QueueType};
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
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
            // The connection may drop between bind and serve: consume once it is back.
            loop {
                let consumed = tokio::select! {
                    consumed = lane.consume() => consumed,
                    () = self.give_up.until_lost(&self.connection) => {
                        return Err(lost(&self.settings, "the connection to the broker is lost and recovery gave up"));
                    }
                    () = node.closed() => return Ok(()),
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
