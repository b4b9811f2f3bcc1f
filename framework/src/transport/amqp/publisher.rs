//! Confirmed publishing: persistent messages on a channel in confirm mode, `mandatory` where
//! an unroutable message must be an error, a timeout on every confirm, and a channel that comes
//! back by itself.
//!
//! A publish is done only when the broker confirmed it (`Ack`) and did not return it. On a lost
//! connection it waits for lapin's recovery and publishes again (at-least-once: the message may
//! then arrive twice); a channel the broker closed (a channel-level error such as 404) is
//! replaced, which lapin's recovery does not do.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use tokio::time::Instant;

use super::headers::short;
use crate::error::{ActError, Code};

/// A message to publish.
#[derive(Clone, Copy)]
pub(super) struct Outgoing<'a> {
    pub(super) exchange: &'a str,
    pub(super) routing_key: &'a str,
    pub(super) body: &'a [u8],
    /// Copied into each attempt, with `reply_to` set when there is one.
    pub(super) properties: &'a BasicProperties,
    /// The queue the reply goes to (a request's, which depends on the connection).
    pub(super) reply_to: Option<&'a str>,
    pub(super) mandatory: bool,
}

/// Why a publish did not succeed.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The body is over the configured limit; nothing was sent.
    TooLarge { size: usize, limit: usize },
    /// `mandatory` and no queue is bound for the routing key.
    NoRoute,
    /// The broker refused the message (`basic.nack`: a full queue with `reject-publish`).
    Nacked,
    /// No confirm within the publish timeout (a resource alarm blocks publishers silently; a
    /// quorum queue without a leader, during an election on a cluster, confirms nothing).
    NotConfirmed(Duration),
    /// No usable connection before the deadline, or recovery gave up.
    Unavailable(String),
}

impl Refusal {
    /// The caller-facing error; `what` names the message (`request \`cmd.sum.role.math\``).
    pub(super) fn into_act_error(self, what: &str, exchange: &str) -> ActError {
        match self {
            Refusal::TooLarge { size, limit } => ActError::new(
                Code::PAYLOAD_TOO_LARGE,
                format!("the {what} is {size} bytes, over the {limit}-byte limit (max_message_bytes); it was not sent"),
            )
            .with_details(serde_json::json!({ "size": size, "limit": limit })),
            Refusal::NoRoute => ActError::new(
                Code::NO_ROUTE,
                format!("no queue is bound for the {what} on exchange `{exchange}` (is a listener or subscriber for it running, or has it declared its queue?)"),
            ),
            Refusal::Nacked => ActError::new(
                Code::OVERLOADED,
                format!("the broker refused the {what} (basic.nack): a queue it routes to is full, or on a cluster that quorum queue's leader could not be reached"),
            ),
            Refusal::NotConfirmed(after) => ActError::new(
                Code::TRANSPORT_UNAVAILABLE,
                format!(
                    "the broker did not confirm the {what} within {} ms (is it blocked by a resource alarm, or has a queue it routes to no reachable leader?)",
                    after.as_millis()
                ),
            ),
            Refusal::Unavailable(reason) => ActError::new(
                Code::TRANSPORT_UNAVAILABLE,
                format!("the {what} could not be published: {reason}"),
            ),
        }
    }
}

/// Publishes with confirms on one channel of `connection`, replacing the channel when the
/// broker closes it.
pub(super) struct Publisher {
    connection: Mutex<Arc<Connection>>,
    channel: Mutex<Option<Channel>>,
    opening: tokio::sync::Mutex<()>,
    timeout: Duration,
    max_bytes: usize,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// How often a publisher waiting for recovery looks at the connection again.
const POLL: Duration = Duration::from_millis(20);
/// Publishing attempts that failed on channel errors before giving up.
const CHANNEL_ATTEMPTS: u32 = 3;

impl Publisher {
    pub(super) fn new(connection: Arc<Connection>, timeout: Duration, max_bytes: usize) -> Self {
        Publisher {
            connection: Mutex::new(connection),
            channel: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            timeout,
            max_bytes,
        }
    }

    /// Publishes on `connection` from now on (the listener's replacement for a connection
    /// whose recovery stalled).
    pub(super) fn replace_connection(&self, connection: Arc<Connection>) {
        *self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = connection;
        *self.channel.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The connection it publishes on now.
    pub(super) fn connection(&self) -> Arc<Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn current(&self) -> Option<Channel> {
        self.channel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A channel in confirm mode, waiting (until `deadline`) while the connection recovers.
    async fn channel(&self, deadline: Instant) -> Result<Channel, Refusal> {
        loop {
            if let Some(channel) = self.current() {
                let status = channel.status();
                if status.connected() {
                    return Ok(channel);
                }
                if status.reconnecting() || status.initializing() {
                    // lapin is replaying it after a reconnection: wait below.
                } else if self.connection().status().connected() {
                    self.reopen(&channel).await?;
                    continue;
                }
            } else if self.connection().status().connected() {
                self.reopen_none().await?;
                continue;
            }
            let connection = self.connection();
            let status = connection.status();
            if status.errored() || status.closed() || status.closing() {
                return Err(Refusal::Unavailable(
                    "the connection to the broker is lost and recovery gave up".into(),
                ));
            }
            if Instant::now() + POLL > deadline {
                return Err(Refusal::Unavailable(
                    "the broker was unreachable until the deadline".into(),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn reopen_none(&self) -> Result<(), Refusal> {
        let _guard = self.opening.lock().await;
        if self.current().is_none() {
            self.open().await?;
        }
        Ok(())
    }

    /// Replaces `dead` unless another task already did.
    async fn reopen(&self, dead: &Channel) -> Result<(), Refusal> {
        let _guard = self.opening.lock().await;
        if self
            .current()
            .is_some_and(|c| c.id() == dead.id() && !c.status().connected())
        {
            tracing::warn!(
                channel = dead.id(),
                "the broker closed the publishing channel; opening a new one"
            );
            self.open().await?;
        }
        Ok(())
    }

    async fn open(&self) -> Result<(), Refusal> {
        let unavailable =
            |e: lapin::Error| Refusal::Unavailable(format!("cannot open a channel: {e}"));
        let channel = self
            .connection()
            .create_channel()
            .await
            .map_err(unavailable)?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(unavailable)?;
        *self.channel.lock().unwrap_or_else(PoisonError::into_inner) = Some(channel);
        Ok(())
    }

    /// Publishes `out` and waits for the broker's confirm, retrying across a reconnection
    /// until `deadline`.
    pub(super) async fn publish(
        &self,
        out: Outgoing<'_>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        if out.body.len() > self.max_bytes {
            return Err(Refusal::TooLarge {
                size: out.body.len(),
                limit: self.max_bytes,
            });
        }
        let options = BasicPublishOptions {
            mandatory: out.mandatory,
            immediate: false,
        };
        let mut channel_failures = 0;
        loop {
            let channel = self.channel(deadline).await?;
            let confirm_by =
                (Instant::now() + self.timeout).min(deadline.max(Instant::now() + POLL));
            let sent = Instant::now();
            let mut properties = out.properties.clone();
            if let Some(reply_to) = out.reply_to {
                properties = properties.with_reply_to(short(reply_to));
            }
            let attempt = async {
                channel
                    .basic_publish(
                        short(out.exchange),
                        short(out.routing_key),
                        options,
                        out.body,
                        properties,
                    )
                    .await?
                    .await
            };
            let error = match tokio::time::timeout_at(confirm_by, attempt).await {
                Err(_) => {
                    if self.connection().status().connected() {
                        return Err(Refusal::NotConfirmed(self.timeout));
                    }
                    // The connection dropped under the publish: publish again once recovered.
                    continue;
                }
                Ok(Ok(Confirmation::Ack(None))) => {
                    crate::metrics::links::confirmed(super::TRANSPORT, sent.elapsed());
                    return Ok(());
                }
                Ok(Ok(Confirmation::NotRequested)) => return Ok(()),
                Ok(Ok(Confirmation::Ack(Some(_)))) => return Err(Refusal::NoRoute),
                Ok(Ok(Confirmation::Nack(_))) => return Err(Refusal::Nacked),
                Ok(Err(error)) => error,
            };
            tracing::debug!(%error, "publish failed; waiting for the channel to recover");
            let recovered =
                tokio::time::timeout_at(deadline, channel.wait_for_recovery(error.clone())).await;
            match recovered {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => {
                    // Not recoverable by lapin: a channel-level error, or recovery gave up.
                    channel_failures += 1;
                    if channel_failures >= CHANNEL_ATTEMPTS {
                        return Err(Refusal::Unavailable(error.to_string()));
                    }
                }
                Err(_) => {
                    return Err(Refusal::Unavailable(format!(
                        "the broker was unreachable until the deadline ({error})"
                    )))
                }
            }
        }
    }
}
