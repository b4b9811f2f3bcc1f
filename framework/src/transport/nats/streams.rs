//! The JetStream side of events: the event stream, the dead-letter stream, and each service's
//! (or instance's) consumer.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType, Stream};
use async_nats::jetstream::{Context, ErrorCode};

use super::subjects;
use crate::config::{Discard, EventMode, NatsListenConfig};
use crate::{Error, ErrorKind, Result};

/// How long a broadcast (per-instance) consumer outlives its instance's last pull.
const BROADCAST_INACTIVE: Duration = Duration::from_secs(60);

fn transport_error(message: String) -> Error {
    Error::new(ErrorKind::Transport, message)
}

/// A file-backed stream named `name` taking `subject`, replicated as configured.
fn stream_config(name: &str, subject: String, config: &NatsListenConfig) -> stream::Config {
    stream::Config {
        name: name.to_owned(),
        subjects: vec![subject],
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        num_replicas: config.stream_replicas.max(1),
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    }
}

/// Creates the stream `wanted` if it does not exist yet (an existing one keeps its settings).
async fn ensure(jetstream: &Context, wanted: stream::Config, what: &str) -> Result<Stream> {
    let name = wanted.name.clone();
    jetstream.get_or_create_stream(wanted).await.map_err(|e| {
        transport_error(format!(
            "cannot create or find the JetStream {what} `{name}`: {e}"
        ))
    })
}

/// The event stream, with the configured limits.
pub(super) async fn event_stream(jetstream: &Context, config: &NatsListenConfig) -> Result<Stream> {
    let unlimited_if_zero = |n: i64| if n > 0 { n } else { -1 };
    let wanted = stream::Config {
        max_age: Duration::from_millis(config.stream_max_age_ms),
        max_bytes: unlimited_if_zero(config.stream_max_bytes),
        max_messages: unlimited_if_zero(config.stream_max_messages),
        discard: match config.stream_discard {
            Discard::Old => DiscardPolicy::Old,
            _ => DiscardPolicy::New,
        },
        ..stream_config(
            &config.stream,
            subjects::event_wildcard(&config.subject_prefix),
            config,
        )
    };
    ensure(jetstream, wanted, "stream").await
}

/// The dead-letter stream (no limits: dead letters wait for an operator).
pub(super) async fn dead_letter_stream(
    jetstream: &Context,
    config: &NatsListenConfig,
) -> Result<Stream> {
    let subject = subjects::dead_letter_wildcard(&config.subject_prefix);
    let wanted = stream_config(&config.dead_letter_stream, subject, config);
    ensure(jetstream, wanted, "dead-letter stream").await
}

/// The consumer this instance pulls events from: the service's durable one (`group`), or
/// its own (`broadcast`). Its settings follow the configuration on every start (JetStream
/// 2.9 updates a durable in place); its position is kept.
pub(super) async fn consumer(
    stream: &Stream,
    config: &NatsListenConfig,
    service: &str,
    instance: &str,
) -> Result<PullConsumer> {
    let (name, durable) = match config.event_mode {
        EventMode::Broadcast => (subjects::name(&format!("{service}-{instance}")), false),
        _ => (subjects::name(service), true),
    };
    let attempts = i64::from(config.max_deliver.max(1));
    let wanted = pull::Config {
        durable_name: durable.then(|| name.clone()),
        name: Some(name.clone()),
        description: Some(format!("porticus events of service {service}")),
        filter_subject: subjects::event_wildcard(&config.subject_prefix),
        ack_policy: AckPolicy::Explicit,
        ack_wait: Duration::from_millis(config.ack_wait_ms.max(1)),
        // Porticus dead-letters on the last attempt itself; the server's limit is a safety
        // net for a process that dies during it.
        max_deliver: attempts.saturating_mul(2).max(attempts + 1),
        max_ack_pending: config.event_prefetch.max(1),
        deliver_policy: DeliverPolicy::New,
        inactive_threshold: if durable {
            Duration::ZERO
        } else {
            BROADCAST_INACTIVE
        },
        ..Default::default()
    };
    match stream.create_consumer(wanted).await {
        Ok(consumer) => Ok(consumer),
        Err(e) => {
            let immutable = matches!(
                e.kind(),
                async_nats::jetstream::stream::ConsumerErrorKind::JetStream(ref j)
                    if j.error_code() == ErrorCode::CONSUMER_CREATE
            );
            if immutable {
                tracing::warn!(consumer = %name, error = %e, "the consumer exists with settings that cannot change; using it as it is");
                return stream.get_consumer(&name).await.map_err(|e| {
                    transport_error(format!("cannot use the JetStream consumer `{name}`: {e}"))
                });
            }
            Err(transport_error(format!(
                "cannot create the JetStream consumer `{name}` on stream `{}`: {e}",
                config.stream
            )))
        }
    }
}
