//! `[[listen]] type = "amqp"` and `[[client]] type = "amqp"`: the RabbitMQ transport's settings.
//!
//! Every key has a default, and the defaults are seneca-amqp-transport's names, so that a
//! Porticus service and a Seneca.js service share one broker topology:
//!
//! ```toml
//! [[listen]]
//! type = "amqp"
//! url = "amqp://guest:guest@127.0.0.1:5672/%2f"
//! pin = "role:math,cmd:*"          # queue `seneca.add.role:math.cmd:any`, binding `cmd.*.role.math`
//!
//! [[client]]
//! type = "amqp"
//! pin = "role:math,cmd:*"          # routing key `cmd.sum.role.math` for {role:math,cmd:sum}
//! ```
//!
//! `docs/transports.md` (section AMQP) has the topology, the headers and what happens on each
//! kind of failure; `docs/events.md` has the event delivery modes.

use serde::{Deserialize, Serialize};

use super::events::EventMode;

/// The broker URL every AMQP setting defaults to (RabbitMQ's `guest` user on this machine).
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// A RabbitMQ queue type: of the event queues, the request queue, the dead-letter queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum QueueType {
    /// Replicated Raft queue: counts deliveries (`x-delivery-limit`), keeps messages across
    /// broker restarts and, on a cluster, survives the loss of a minority of its nodes. The
    /// type's default.
    #[default]
    Quorum,
    /// A classic durable queue, on one node (no delivery counting: attempts are counted in
    /// memory).
    Classic,
}

/// Where a new quorum queue's leader is placed (`x-queue-leader-locator`).
///
/// ```
/// use porticus::config::{Config, LeaderLocator, ListenConfig};
///
/// let config = Config::from_toml_str("[[listen]]\ntype = \"amqp\"\nqueue_leader_locator = \"balanced\"")?;
/// let ListenConfig::Amqp(listen) = &config.listen[0] else { unreachable!() };
/// assert_eq!(listen.queue_leader_locator, LeaderLocator::Balanced);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LeaderLocator {
    /// Send no `x-queue-leader-locator`: the broker's `queue_leader_locator` setting decides
    /// (`client-local` unless changed). The default.
    #[default]
    Broker,
    /// On the node the declaring connection is on.
    ClientLocal,
    /// On the node with the fewest leaders (RabbitMQ 3.10 and later; spreads the load of many
    /// queues over the cluster).
    Balanced,
}

impl LeaderLocator {
    /// The argument's value, `None` for [`LeaderLocator::Broker`].
    ///
    /// ```
    /// use porticus::config::LeaderLocator;
    ///
    /// assert_eq!(LeaderLocator::Balanced.argument(), Some("balanced"));
    /// assert_eq!(LeaderLocator::Broker.argument(), None);
    /// ```
    pub fn argument(self) -> Option<&'static str> {
        match self {
            LeaderLocator::Broker => None,
            LeaderLocator::ClientLocal => Some("client-local"),
            LeaderLocator::Balanced => Some("balanced"),
        }
    }
}

/// `[[listen]] type = "amqp"`: serve this node's actions for `pin`/`pins` from a queue bound
/// to the request exchange, and deliver the events its `#[event]` handlers subscribe to.
///
/// ```
/// use porticus::config::{AmqpListenConfig, EventMode};
///
/// let mut listen = AmqpListenConfig::default();
/// assert_eq!(listen.exchange, "seneca.topic");
/// assert_eq!(listen.event_mode, EventMode::Group);
/// listen.pin = "role:math,cmd:*".into(); // queue `seneca.add.role:math.cmd:any`
/// listen.prefetch = 16;
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct AmqpListenConfig {
    /// The broker, `amqp://user:password@host:port/vhost` (`amqps://` needs the `amqps`
    /// feature). Query parameters `heartbeat`, `frame_max`, `channel_max` pass to the broker.
    /// Default `amqp://guest:guest@127.0.0.1:5672/%2f`.
    pub url: String,
    /// Several nodes of one RabbitMQ cluster (instead of `url`): the connection goes to the
    /// first that answers and, when it is lost, to the others in a shuffled order. The URLs
    /// may differ only in host and port. Default none.
    pub urls: Vec<String>,
    /// The pattern of the actions served (`role:math,cmd:*`), as in Seneca's `listen({pin})`.
    /// Default `""`: no request queue, the listener only delivers events.
    pub pin: String,
    /// More patterns served from the same queue (Seneca's `pins`). Default none.
    pub pins: Vec<String>,
    /// The request exchange, a durable topic exchange. Default `seneca.topic`.
    pub exchange: String,
    /// The request queue's name. Default `""`: Seneca's name, `queue_prefix` + the pins'
    /// `key:value` parts (`seneca.add.role:math.cmd:any`), so Seneca listeners of the same pin
    /// share the queue.
    pub queue: String,
    /// Prefix of the generated request queue name. Default `seneca.add`.
    pub queue_prefix: String,
    /// Dead-letter exchange of the request queue (rejected and expired requests). Default
    /// `seneca.dlx`.
    pub dead_letter_exchange: String,
    /// Queue bound to `dead_letter_exchange` with `#`. Default `seneca.dlq`.
    pub dead_letter_queue: String,
    /// The request queue's `x-message-ttl`, in ms (Seneca's value: a Seneca peer declaring the
    /// same queue must use the same arguments). Requests also expire at their own deadline.
    /// Default 60,000.
    pub request_ttl_ms: u64,
    /// Type of the request queue. Default `classic`, as Seneca declares it: it lives on one
    /// broker node, and while that node is down the service cannot be called. `quorum`
    /// replicates it over a cluster so that calls fail over, but a Seneca peer can no longer
    /// declare the same queue (its declaration differs: `PRECONDITION_FAILED`).
    pub request_queue_type: QueueType,
    /// Type of the dead-letter queues (`dead_letter_queue` and the event dead-letter queues).
    /// Default `classic`; `quorum` on a cluster, so that no node's loss makes them unavailable.
    pub dead_letter_queue_type: QueueType,
    /// Members of each quorum queue this listener declares (`x-quorum-initial-group-size`).
    /// Default 0: the broker's default (its `quorum_cluster_size`, all nodes up to 5).
    pub quorum_initial_group_size: u32,
    /// Where the leader of each quorum queue this listener declares is placed
    /// (`x-queue-leader-locator`). Default `broker`: the broker's own setting.
    pub queue_leader_locator: LeaderLocator,
    /// Requests handled at once by this instance (unacknowledged deliveries, `basic.qos`).
    /// Default 64.
    pub prefetch: u16,
    /// Time allowed for the broker to confirm a publish (replies to a dead-letter queue), in
    /// ms; a broker blocked by a resource alarm confirms nothing. Default 5,000.
    pub publish_timeout_ms: u64,
    /// Largest message body accepted or sent, in bytes; a larger reply becomes a
    /// `payload_too_large` error reply. Default 1 MiB.
    pub max_message_bytes: usize,
    /// AMQP heartbeat, in seconds (0 = off; a `heartbeat` in the URL wins). Default 10.
    pub heartbeat_s: u16,
    /// First delay before reconnecting after the connection is lost, in ms. Default 200.
    pub reconnect_min_ms: u64,
    /// Longest delay between reconnection attempts, in ms. Default 1,000.
    pub reconnect_max_ms: u64,
    /// Reconnection attempts before giving up: after (attempts + 2) × (`reconnect_max_ms` +
    /// `connect_timeout_ms`) without a connection the listener fails and the service exits
    /// non-zero. Default 0: never give up.
    pub reconnect_max_attempts: u32,
    /// Time allowed for the first connection, in ms. Default 10,000.
    pub connect_timeout_ms: u64,
    /// On shutdown, time in-flight handlers get to finish before their messages are requeued,
    /// in ms. Default 10,000.
    pub drain_timeout_ms: u64,
    /// A PEM file of CA certificates trusted for `amqps://` (feature `amqps`). Default `""`:
    /// the system's roots.
    pub tls_ca_file: String,
    /// Delete this listener's queues after they have had no consumer for this long, in ms
    /// (`x-expires`; for tests and temporary services). Default 0: never.
    pub queue_expires_ms: u64,
    /// Declare the exchanges auto-delete (gone with their last binding; for tests). Default
    /// `false`. Must agree with every peer that declares the same exchanges.
    pub exchange_auto_delete: bool,
    /// Deliver the events this node's `#[event]` handlers subscribe to. Default `true`.
    pub events: bool,
    /// The event exchange, a durable topic exchange. Default `porticus.events`.
    pub events_exchange: String,
    /// `group` (one queue per service, instances compete) or `broadcast` (one queue per
    /// instance). Default `group`.
    pub event_mode: EventMode,
    /// Prefix of event queue names: `<prefix>.<service>` (group) or
    /// `<prefix>.<service>.<instance>` (broadcast). Default `porticus.events`.
    pub event_queue_prefix: String,
    /// Type of the group-mode event queue. Default `quorum`.
    pub event_queue_type: QueueType,
    /// Events handled at once by this instance. Default 32.
    pub event_prefetch: u16,
    /// Attempts a failing event gets (the first delivery included) before it is dead-lettered
    /// with its error; a handler that rejects its input (`act_invalid_msg`) is not retried.
    /// Default 5.
    pub event_max_attempts: u32,
    /// Delay before the second attempt, in ms; it doubles for each further attempt. Default 200.
    pub event_retry_backoff_ms: u64,
    /// Longest delay between attempts, in ms. Default 5,000.
    pub event_retry_backoff_max_ms: u64,
    /// Most events an event queue holds (`x-max-length`); past it the broker refuses new ones
    /// (`x-overflow = reject-publish`) and emitters get an `overloaded` error. 0 = unbounded.
    /// Default 100,000.
    pub event_max_queue_length: u64,
    /// Dead-letter exchange of the event queues. Default `porticus.events.dlx`.
    pub event_dead_letter_exchange: String,
    /// Appended to the service's group queue name to name its dead-letter queue. Default
    /// `.dlq` (`porticus.events.billing.dlq`).
    pub event_dead_letter_suffix: String,
}

impl Default for AmqpListenConfig {
    fn default() -> Self {
        AmqpListenConfig {
            url: DEFAULT_AMQP_URL.to_owned(),
            urls: Vec::new(),
            pin: String::new(),
            pins: Vec::new(),
            exchange: "seneca.topic".to_owned(),
            queue: String::new(),
            queue_prefix: "seneca.add".to_owned(),
            dead_letter_exchange: "seneca.dlx".to_owned(),
            dead_letter_queue: "seneca.dlq".to_owned(),
            request_ttl_ms: 60_000,
            request_queue_type: QueueType::Classic,
            dead_letter_queue_type: QueueType::Classic,
            quorum_initial_group_size: 0,
            queue_leader_locator: LeaderLocator::Broker,
            prefetch: 64,
            publish_timeout_ms: 5_000,
            max_message_bytes: 1024 * 1024,
            heartbeat_s: 10,
            reconnect_min_ms: 200,
            reconnect_max_ms: 1_000,
            reconnect_max_attempts: 0,
            connect_timeout_ms: 10_000,
            drain_timeout_ms: 10_000,
            tls_ca_file: String::new(),
            queue_expires_ms: 0,
            exchange_auto_delete: false,
            events: true,
            events_exchange: "porticus.events".to_owned(),
            event_mode: EventMode::Group,
            event_queue_prefix: "porticus.events".to_owned(),
            event_queue_type: QueueType::Quorum,
            event_prefetch: 32,
            event_max_attempts: 5,
            event_retry_backoff_ms: 200,
            event_retry_backoff_max_ms: 5_000,
            event_max_queue_length: 100_000,
            event_dead_letter_exchange: "porticus.events.dlx".to_owned(),
            event_dead_letter_suffix: ".dlq".to_owned(),
        }
    }
}

/// `[[client]] type = "amqp"`: send acts matching `pin` as requests to the request exchange,
/// and events as persistent messages to the event exchange.
///
/// ```
/// use porticus::config::{AmqpClientConfig, ClientConfig, Config};
///
/// let config = Config::from_toml_str(r#"
///     [[client]]
///     type = "amqp"
///     pin = "role:math,cmd:*"
///     publish_timeout_ms = 2000
/// "#).unwrap();
/// let ClientConfig::Amqp(client) = &config.client[0] else { unreachable!() };
/// assert_eq!(client.reply_queue_prefix, AmqpClientConfig::default().reply_queue_prefix);
/// assert_eq!(client.publish_timeout_ms, 2000);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct AmqpClientConfig {
    /// The broker (as [`AmqpListenConfig::url`]). Default `amqp://guest:guest@127.0.0.1:5672/%2f`.
    pub url: String,
    /// Several nodes of one RabbitMQ cluster (as [`AmqpListenConfig::urls`]). Default none.
    pub urls: Vec<String>,
    /// The pattern this client is routed under in the node (`""` = the catch-all), and the
    /// pattern whose keys make a request's routing key, as in Seneca: pin `role:math,cmd:*`
    /// sends `{role:math,cmd:sum}` with routing key `cmd.sum.role.math`. Default `""`.
    pub pin: String,
    /// More patterns that choose a request's routing key, tried in order after `pin`. A request
    /// that matches none (a catch-all client) is routed by all its keys (`msg$.cmd.sum.…`),
    /// which every Porticus listener whose pin it matches receives. Default none.
    pub routing_pins: Vec<String>,
    /// The request exchange. Default `seneca.topic`.
    pub exchange: String,
    /// Prefix of this client's exclusive reply queue, `<prefix>.<8 hex digits>`. Default
    /// `seneca.act`.
    pub reply_queue_prefix: String,
    /// The event exchange `emit` publishes to. Default `porticus.events`.
    pub events_exchange: String,
    /// Time allowed for the broker to confirm a request or an event, in ms. Default 5,000.
    pub publish_timeout_ms: u64,
    /// Publish requests persistent (`delivery_mode` 2), so that they survive a broker restart
    /// while queued. Default `false`: a request is worthless once its caller's deadline has
    /// passed (its `expiration`), and persisting it costs the broker a disk write per call.
    /// Events are always persistent.
    pub persistent_requests: bool,
    /// Largest message body sent or accepted, in bytes: a larger act or event fails with
    /// `payload_too_large` before anything is published. Default 1 MiB.
    pub max_message_bytes: usize,
    /// AMQP heartbeat, in seconds (0 = off). Default 10.
    pub heartbeat_s: u16,
    /// First delay before reconnecting, in ms. Default 200.
    pub reconnect_min_ms: u64,
    /// Longest delay between reconnection attempts, in ms. Default 1,000.
    pub reconnect_max_ms: u64,
    /// Reconnection attempts before giving up; later calls then open a new connection.
    /// Default 0: never give up.
    pub reconnect_max_attempts: u32,
    /// Time allowed for a connection to open, in ms. Default 10,000.
    pub connect_timeout_ms: u64,
    /// A PEM file of CA certificates trusted for `amqps://` (feature `amqps`). Default `""`.
    pub tls_ca_file: String,
    /// Declare the exchanges auto-delete (for tests; must agree with the listeners). Default
    /// `false`.
    pub exchange_auto_delete: bool,
}

impl Default for AmqpClientConfig {
    fn default() -> Self {
        AmqpClientConfig {
            url: DEFAULT_AMQP_URL.to_owned(),
            urls: Vec::new(),
            pin: String::new(),
            routing_pins: Vec::new(),
            exchange: "seneca.topic".to_owned(),
            reply_queue_prefix: "seneca.act".to_owned(),
            events_exchange: "porticus.events".to_owned(),
            publish_timeout_ms: 5_000,
            persistent_requests: false,
            max_message_bytes: 1024 * 1024,
            heartbeat_s: 10,
            reconnect_min_ms: 200,
            reconnect_max_ms: 1_000,
            reconnect_max_attempts: 0,
            connect_timeout_ms: 10_000,
            tls_ca_file: String::new(),
            exchange_auto_delete: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{ClientConfig, Config, ListenConfig};

    use super::*;

    #[test]
    fn amqp_entries_parse_with_seneca_defaults() {
        let config = Config::from_toml_str(
            r#"
            [[listen]]
            type = "amqp"
            pin = "role:math,cmd:*"
            event_mode = "broadcast"

            [[client]]
            type = "amqp"
            pin = "role:math"
            routing_pins = ["role:math,cmd:*"]
            "#,
        )
        .unwrap();
        let [ListenConfig::Amqp(listen)] = &config.listen[..] else {
            panic!("one amqp listener: {:?}", config.listen);
        };
        assert_eq!(listen.exchange, "seneca.topic");
        assert_eq!(listen.queue_prefix, "seneca.add");
        assert_eq!(listen.event_mode, EventMode::Broadcast);
        assert_eq!(listen.event_queue_type, QueueType::Quorum);
        let [ClientConfig::Amqp(client)] = &config.client[..] else {
            panic!("one amqp client: {:?}", config.client);
        };
        assert_eq!(config.client[0].pin(), "role:math");
        assert_eq!(client.routing_pins, ["role:math,cmd:*"]);
        assert_eq!(client.reply_queue_prefix, "seneca.act");
    }

    #[test]
    fn unknown_amqp_key_is_named() {
        let err = Config::from_toml_str("[[client]]\ntype = \"amqp\"\nprefecth = 3").unwrap_err();
        assert!(err.to_string().contains("prefecth"), "{err}");
        let err =
            Config::from_toml_str("[[listen]]\ntype = \"amqp\"\nevent_mode = \"all\"").unwrap_err();
        assert!(err.to_string().contains("all"), "{err}");
    }
}
