//! Connecting to NATS: servers and credentials from the configuration, capped reconnection
//! backoff, and the connection's state as a watch, kept up to date from async-nats's events.

use std::time::Duration;

use async_nats::{ConnectOptions, Event, ServerAddr};
use tokio::sync::watch;

use crate::config::NatsCredentials;
use crate::metrics::links::{Link as Meter, Role};
use crate::{Error, ErrorKind, Result};

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// The first connection is being made.
    Connecting,
    /// Connected to a server: messages flow.
    Connected,
    /// Lost; async-nats is reconnecting.
    Reconnecting,
    /// Closed for good: drained, or the reconnection attempts ran out.
    Closed,
}

/// How to reach the servers.
#[derive(Clone)]
pub(super) struct Settings {
    servers: Vec<ServerAddr>,
    /// The servers as they may be logged (passwords masked).
    pub(super) shown: String,
    auth: Auth,
    pub(super) connect_timeout: Duration,
    pub(super) reconnect_min: Duration,
    pub(super) reconnect_max: Duration,
    /// `None`: never give up.
    pub(super) max_reconnects: Option<usize>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("servers", &self.shown)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
enum Auth {
    None,
    User(String, String),
    Token(String),
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// `url` with its password (or token) masked.
fn masked(server: &ServerAddr) -> String {
    let mut url = server.clone().into_inner();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    } else if !url.username().is_empty() {
        let _ = url.set_username("***");
    }
    url.to_string().trim_end_matches('/').to_owned()
}

impl Settings {
    /// Settings for `urls` (or `url` when `urls` is empty): credentials from the first URL
    /// that carries some, else from `credentials`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a URL that does not parse.
    pub(super) fn new(
        url: &str,
        urls: &[String],
        credentials: &NatsCredentials,
        connect_timeout_ms: u64,
        (reconnect_min_ms, reconnect_max_ms): (u64, u64),
        max_reconnects: u32,
    ) -> Result<Settings> {
        let texts: Vec<&str> = if urls.is_empty() {
            vec![url]
        } else {
            urls.iter().map(String::as_str).collect()
        };
        let mut servers = Vec::with_capacity(texts.len());
        for text in texts {
            let server: ServerAddr = text.parse().map_err(|e| {
                config_error(format!("NATS server URL `{text}` does not parse: {e}"))
            })?;
            servers.push(server);
        }
        let from_url = servers
            .iter()
            .find_map(|s| match (s.username(), s.password()) {
                (Some(user), Some(password)) => {
                    Some(Auth::User(user.to_owned(), password.to_owned()))
                }
                (Some(token), None) => Some(Auth::Token(token.to_owned())),
                _ => None,
            });
        let auth = from_url.unwrap_or_else(|| {
            if !credentials.user.is_empty() {
                Auth::User(credentials.user.clone(), credentials.password.clone())
            } else if !credentials.token.is_empty() {
                Auth::Token(credentials.token.clone())
            } else {
                Auth::None
            }
        });
        let shown = servers.iter().map(masked).collect::<Vec<_>>().join(",");
        Ok(Settings {
            servers,
            shown,
            auth,
            connect_timeout: Duration::from_millis(connect_timeout_ms.max(1)),
            reconnect_min: Duration::from_millis(reconnect_min_ms),
            reconnect_max: Duration::from_millis(reconnect_max_ms.max(reconnect_min_ms)),
            max_reconnects: usize::try_from(max_reconnects).ok().filter(|n| *n > 0),
        })
    }

    /// The delay before reconnection attempt `attempt`: doubling from the minimum, capped.
    fn delay(min: Duration, max: Duration, attempt: usize) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(16);
        min.saturating_mul(2u32.saturating_pow(doublings)).min(max)
    }
}

/// An open connection and its state.
#[derive(Debug, Clone)]
pub(super) struct Link {
    pub(super) client: async_nats::Client,
    pub(super) state: watch::Receiver<State>,
}

impl Link {
    /// Whether messages flow now.
    pub(super) fn is_connected(&self) -> bool {
        *self.state.borrow() == State::Connected
    }
}

/// Connects as `name` (the connection's name on the server: service instance and role).
///
/// # Errors
/// [`ErrorKind::Transport`] naming the (masked) servers when none can be reached within the
/// connect timeout, or the credentials are refused.
pub(super) async fn connect(settings: &Settings, name: &str, role: Role) -> Result<Link> {
    let (tx, state) = watch::channel(State::Connecting);
    let meter = std::sync::Arc::new(Meter::new(super::TRANSPORT, role));
    let metered = meter.clone();
    let tx = std::sync::Arc::new(tx);
    let events = tx.clone();
    let shown = settings.shown.clone();
    let label = name.to_owned();
    let (min, max) = (settings.reconnect_min, settings.reconnect_max);
    let mut options = ConnectOptions::new()
        .name(name)
        .connection_timeout(settings.connect_timeout)
        .max_reconnects(settings.max_reconnects)
        .reconnect_delay_callback(move |attempt| Settings::delay(min, max, attempt))
        .event_callback(move |event| {
            let next = match &event {
                Event::Connected => Some(State::Connected),
                Event::Disconnected => Some(State::Reconnecting),
                Event::Closed => Some(State::Closed),
                _ => None,
            };
            match next {
                Some(State::Connected) => {
                    tracing::debug!(connection = %label, servers = %shown, "NATS connected")
                }
                Some(State::Reconnecting) => {
                    tracing::warn!(connection = %label, servers = %shown, "NATS connection lost; reconnecting")
                }
                Some(State::Closed) => {
                    tracing::debug!(connection = %label, servers = %shown, "NATS connection closed")
                }
                _ => tracing::debug!(connection = %label, %event, "NATS event"),
            }
            if let Some(next) = next {
                metered.set(next == State::Connected);
                events.send_replace(next);
            }
            async {}
        });
    options = match &settings.auth {
        Auth::None => options,
        Auth::User(user, password) => options.user_and_password(user.clone(), password.clone()),
        Auth::Token(token) => options.token(token.clone()),
    };
    let connecting = options.connect(settings.servers.clone());
    let client = match tokio::time::timeout(settings.connect_timeout, connecting).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            return Err(Error::new(
                ErrorKind::Transport,
                format!("cannot connect to NATS at {}: {e}", settings.shown),
            )
            .with_source(e))
        }
        Err(_) => {
            return Err(Error::new(
                ErrorKind::Transport,
                format!(
                    "cannot connect to NATS at {} within {} ms (connect_timeout_ms)",
                    settings.shown,
                    settings.connect_timeout.as_millis()
                ),
            ))
        }
    };
    // The callback may not have run yet: the connect call returning means connected.
    tx.send_if_modified(|now| {
        let first = *now == State::Connecting;
        if first {
            *now = State::Connected;
        }
        first
    });
    meter.set(true);
    Ok(Link { client, state })
}

/// Returns once the server has processed everything sent on `client` before it (a message to
/// ourselves, there and back): after it, the subscriptions made are in place.
///
/// # Errors
/// [`ErrorKind::Transport`] when the message does not come back within `within`.
pub(super) async fn round_trip(client: &async_nats::Client, within: Duration) -> Result<()> {
    use futures_util::StreamExt;
    let inbox = client.new_inbox();
    let trip = async {
        let mut echo = client.subscribe(inbox.clone()).await.ok()?;
        client.publish(inbox, bytes::Bytes::new()).await.ok()?;
        echo.next().await
    };
    match tokio::time::timeout(within, trip).await {
        Ok(Some(_)) => Ok(()),
        _ => Err(Error::new(
            ErrorKind::Transport,
            format!(
                "the NATS server did not confirm the subscriptions within {} ms",
                within.as_millis()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_url_or_the_section_and_are_masked() {
        let creds = NatsCredentials::default();
        let s = Settings::new("nats://a:secret@127.0.0.1:4222", &[], &creds, 1, (1, 2), 0).unwrap();
        assert!(matches!(&s.auth, Auth::User(u, p) if u == "a" && p == "secret"));
        assert_eq!(s.shown, "nats://a:***@127.0.0.1:4222");
        assert_eq!(s.max_reconnects, None);
        let s = Settings::new("nats://tok@127.0.0.1:4222", &[], &creds, 1, (1, 2), 3).unwrap();
        assert!(matches!(&s.auth, Auth::Token(t) if t == "tok"));
        assert_eq!(s.shown, "nats://***@127.0.0.1:4222");
        assert_eq!(s.max_reconnects, Some(3));
        let section = NatsCredentials {
            user: "svc".into(),
            password: "pw".into(),
            ..NatsCredentials::default()
        };
        let s = Settings::new(
            "",
            &["nats://127.0.0.1:1".into(), "nats://127.0.0.1:2".into()],
            &section,
            1,
            (1, 2),
            0,
        )
        .unwrap();
        assert!(matches!(&s.auth, Auth::User(u, _) if u == "svc"));
        assert_eq!(s.shown, "nats://127.0.0.1:1,nats://127.0.0.1:2");
        assert!(Settings::new("nats://[bad", &[], &creds, 1, (1, 2), 0).is_err());
    }

    #[test]
    fn reconnection_backs_off_to_its_cap() {
        let (min, max) = (Duration::from_millis(100), Duration::from_millis(1_000));
        let delays: Vec<u128> = (1..=6)
            .map(|a| Settings::delay(min, max, a).as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_000, 1_000]);
    }
}
