//! `[[listen]] type = "nats"`, `[[client]] type = "nats"` and `[nats]`: the NATS transport's
//! settings.
//!
//! ```toml
//! [[listen]]
//! type = "nats"
//! url = "nats://127.0.0.1:4222"
//! pin = "role:math,cmd:*"          # subscribes `porticus.act.cmd.*.role.math`, queue group = service
//!
//! [[client]]
//! type = "nats"
//! pin = "role:math,cmd:*"          # requests {role:math,cmd:sum} on `porticus.act.cmd.sum.role.math`
//!
//! [nats]                           # credentials for every NATS entry whose URL carries none
//! user = "svc"                     # (PORTICUS__NATS__USER, PORTICUS__NATS__PASSWORD, PORTICUS__NATS__TOKEN)
//! ```
//!
//! `docs/transports.md` (section NATS) has the subjects, headers, streams and consumers, and
//! what happens on each kind of failure.

use serde::{Deserialize, Serialize};

use super::events::EventMode;

/// The server every NATS setting defaults to: the machine's own, plain `nats://`.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

/// What a full event stream does with a new event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Discard {
    /// Refuse it: the emitter gets `overloaded` and nothing already stored is lost. The default.
    #[default]
    New,
    /// Store it and drop the oldest events, delivered or not.
    Old,
}

/// `[nats]`: credentials for every NATS listener and client whose URL carries none — the way
/// to keep a password out of the files: `PORTICUS__NATS__PASSWORD=…`.
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str("[nats]\nuser = \"svc\"\npassword = \"s3cret\"")?;
/// assert_eq!(config.nats.user, "svc");
/// assert_eq!(format!("{:?}", config.nats).contains("s3cret"), false);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct NatsCredentials {
    /// User name (with `password`). Default none.
    pub user: String,
    /// Password (with `user`). Default none.
    pub password: String,
    /// Authentication token, instead of a user. Default none.
    pub token: String,
}

impl std::fmt::Debug for NatsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &str| if s.is_empty() { "" } else { "***" };
        f.debug_struct("NatsCredentials")
            .field("user", &self.user)
            .field("password", &set(&self.password))
            .field("token", &set(&self.token))
            .finish()
    }
}

/// `[[listen]] type = "nats"`: serve this node's actions for `pin`/`pins` by request/reply on
/// their subjects (the service's instances share a queue group), and deliver the events its
/// `#[event]` handlers subscribe to from a JetStream consumer.
///
/// ```
/// use porticus::config::{Config, ListenConfig, NatsListenConfig, EventMode};
///
/// let config = Config::from_toml_str(r#"
///     [[listen]]
///     type = "nats"
///     pin = "role:math,cmd:*"
///     max_deliver = 3
/// "#)?;
/// let ListenConfig::Nats(listen) = &config.listen[0] else { unreachable!() };
/// assert_eq!(listen.max_deliver, 3);
/// assert_eq!(listen.stream, NatsListenConfig::default().stream);
/// assert_eq!(listen.event_mode, EventMode::Group);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct NatsListenConfig {
    /// The server, `nats://[user:password@]host:port` (or `nats://token@host:port`). Default
    /// `nats://127.0.0.1:4222`.
    pub url: String,
    /// Several servers of one cluster, tried in turn (instead of `url`). Default none.
    pub urls: Vec<String>,
    /// The pattern of the actions served (`role:math,cmd:*`). Default `""`: no request
    /// subscription, the listener only delivers events.
    pub pin: String,
    /// More patterns served (each its own subject). Default none.
    pub pins: Vec<String>,
    /// First token of every subject: `<prefix>.act.…`, `<prefix>.event.…`, `<prefix>.dlq.…`.
    /// Default `porticus`.
    pub subject_prefix: String,
    /// The queue group the instances of this service share. Default `""`: the service name.
    pub queue_group: String,
    /// Requests handled at once by this instance; more wait in the subscription. Default 64.
    pub max_concurrent_requests: usize,
    /// Largest request or reply body, in bytes (at most the server's `max_payload`); a larger
    /// reply becomes a `payload_too_large` error reply. Default 1 MiB.
    pub max_message_bytes: usize,
    /// Time allowed for the first connection, in ms. Default 10,000.
    pub connect_timeout_ms: u64,
    /// First delay before reconnecting after the connection is lost, in ms; it doubles per
    /// attempt. Default 100.
    pub reconnect_min_ms: u64,
    /// Longest delay between reconnection attempts, in ms. Default 2,000.
    pub reconnect_max_ms: u64,
    /// Reconnection attempts before giving up (the listener then fails and the service exits
    /// non-zero). Default 0: never give up.
    pub reconnect_max_attempts: u32,
    /// Time allowed for JetStream to acknowledge a publish (a dead letter), in ms. Default 5,000.
    pub publish_timeout_ms: u64,
    /// On shutdown, time in-flight handlers get to finish before their messages are handed
    /// back, in ms. Default 10,000.
    pub drain_timeout_ms: u64,
    /// Deliver the events this node's `#[event]` handlers subscribe to. Default `true`.
    pub events: bool,
    /// The JetStream stream holding events (subjects `<prefix>.event.>`), created by the first
    /// listener that needs it. Default `PORTICUS_EVENTS`.
    pub stream: String,
    /// Events older than this are removed from the stream, in ms; 0 = kept until a limit
    /// below is reached. Default 604,800,000 (7 days).
    pub stream_max_age_ms: u64,
    /// Most bytes the stream holds; 0 = unlimited. Default 1 GiB.
    pub stream_max_bytes: i64,
    /// Most events the stream holds; 0 = unlimited. Default 1,000,000.
    pub stream_max_messages: i64,
    /// What a full stream does with a new event: `new` (refuse it: `overloaded` to the
    /// emitter) or `old` (drop the oldest). Default `new`.
    pub stream_discard: Discard,
    /// Copies of the stream in a JetStream cluster. Default 1.
    pub stream_replicas: usize,
    /// `group` (one durable consumer per service, instances compete) or `broadcast` (one
    /// consumer per instance). Default `group`.
    pub event_mode: EventMode,
    /// Events handled at once by this instance (`max_ack_pending` of its consumer). Default 32.
    pub event_prefetch: i64,
    /// Deliveries a failing event gets (the first included) before it moves to the dead-letter
    /// stream with its error; a handler that rejects its input (`act_invalid_msg`) is not
    /// retried. Default 5.
    pub max_deliver: u32,
    /// Time JetStream waits for an event's ack before delivering it again (the instance holding
    /// it died), in ms; a handler running longer keeps its event with progress acks. Default
    /// 30,000.
    pub ack_wait_ms: u64,
    /// Delay before the second attempt, in ms; it doubles for each further attempt. Default 200.
    pub event_retry_backoff_ms: u64,
    /// Longest delay between attempts, in ms. Default 5,000.
    pub event_retry_backoff_max_ms: u64,
    /// The stream dead-lettered events move to (subjects `<prefix>.dlq.>`, one subject per
    /// service: `<prefix>.dlq.<service>`). Default `PORTICUS_DLQ`.
    pub dead_letter_stream: String,
}

impl Default for NatsListenConfig {
    fn default() -> Self {
        NatsListenConfig {
            url: DEFAULT_NATS_URL.to_owned(),
            urls: Vec::new(),
            pin: String::new(),
            pins: Vec::new(),
            subject_prefix: "porticus".to_owned(),
            queue_group: String::new(),
            max_concurrent_requests: 64,
            max_message_bytes: 1024 * 1024,
            connect_timeout_ms: 10_000,
            reconnect_min_ms: 100,
            reconnect_max_ms: 2_000,
            reconnect_max_attempts: 0,
            publish_timeout_ms: 5_000,
            drain_timeout_ms: 10_000,
            events: true,
            stream: "PORTICUS_EVENTS".to_owned(),
            stream_max_age_ms: 7 * 24 * 3_600_000,
            stream_max_bytes: 1 << 30,
            stream_max_messages: 1_000_000,
            stream_discard: Discard::New,
            stream_replicas: 1,
            event_mode: EventMode::Group,
            event_prefetch: 32,
            max_deliver: 5,
            ack_wait_ms: 30_000,
            event_retry_backoff_ms: 200,
            event_retry_backoff_max_ms: 5_000,
            dead_letter_stream: "PORTICUS_DLQ".to_owned(),
        }
    }
}

/// `[[client]] type = "nats"`: send acts matching `pin` as NATS requests on the subject its
/// keys name, and events to the JetStream event stream, waiting for it to store them.
///
/// ```
/// use porticus::config::{ClientConfig, Config};
///
/// let config = Config::from_toml_str(r#"
///     [[client]]
///     type = "nats"
///     pin = "role:math,cmd:*"
///     publish_timeout_ms = 2000
/// "#)?;
/// let ClientConfig::Nats(client) = &config.client[0] else { unreachable!() };
/// assert_eq!(client.subject_prefix, "porticus");
/// assert_eq!(client.publish_timeout_ms, 2000);
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct NatsClientConfig {
    /// The server (as [`NatsListenConfig::url`]). Default `nats://127.0.0.1:4222`.
    pub url: String,
    /// Several servers of one cluster (instead of `url`). Default none.
    pub urls: Vec<String>,
    /// The pattern this client is routed under in the node (`""` = the catch-all), and the
    /// pattern whose keys make a request's subject: pin `role:math,cmd:*` sends
    /// `{role:math,cmd:sum}` on `porticus.act.cmd.sum.role.math`. Default `""`.
    pub pin: String,
    /// More patterns that choose a request's subject, tried in order after `pin`. An act that
    /// matches none fails at once with `no_route` (NATS subjects cannot express "any message
    /// with these keys"). Default none.
    pub routing_pins: Vec<String>,
    /// First token of every subject (as the listeners'). Default `porticus`.
    pub subject_prefix: String,
    /// Time allowed for JetStream to store an event, in ms; past it `emit` fails with
    /// `transport_unavailable` (the event may still have been stored: emits carry an id, so a
    /// retried emit is not stored twice within two minutes). Default 5,000.
    pub publish_timeout_ms: u64,
    /// Largest act or event body sent, in bytes (at most the server's `max_payload`): a larger
    /// one fails with `payload_too_large` before anything is sent. Default 1 MiB.
    pub max_message_bytes: usize,
    /// Time allowed for the first connection, in ms. Default 10,000.
    pub connect_timeout_ms: u64,
    /// First delay before reconnecting, in ms; it doubles per attempt. Default 100.
    pub reconnect_min_ms: u64,
    /// Longest delay between reconnection attempts, in ms. Default 2,000.
    pub reconnect_max_ms: u64,
}

impl Default for NatsClientConfig {
    fn default() -> Self {
        NatsClientConfig {
            url: DEFAULT_NATS_URL.to_owned(),
            urls: Vec::new(),
            pin: String::new(),
            routing_pins: Vec::new(),
            subject_prefix: "porticus".to_owned(),
            publish_timeout_ms: 5_000,
            max_message_bytes: 1024 * 1024,
            connect_timeout_ms: 10_000,
            reconnect_min_ms: 100,
            reconnect_max_ms: 2_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ListenConfig};

    #[test]
    fn unknown_nats_key_is_named() {
        let err = Config::from_toml_str("[[listen]]\ntype = \"nats\"\nstrem = \"X\"").unwrap_err();
        assert!(err.to_string().contains("unknown field `strem`"), "{err}");
        let config = Config::from_toml_str(
            "[[listen]]\ntype = \"nats\"\nstream_discard = \"old\"\nevent_mode = \"broadcast\"",
        )
        .unwrap();
        let ListenConfig::Nats(listen) = &config.listen[0] else {
            panic!("a nats listener")
        };
        assert_eq!(listen.stream_discard, super::Discard::Old);
        assert_eq!(listen.event_mode, crate::config::EventMode::Broadcast);
    }
}
