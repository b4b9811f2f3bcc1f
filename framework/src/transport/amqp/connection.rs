//! Opening a named, self-recovering connection to the broker.
//!
//! A first, plain connection attempt (no recovery) makes an unreachable broker or refused
//! credentials an error at once; the connection then kept has lapin's automatic recovery on,
//! with the configured backoff (lapin's default waits up to 60 s between attempts).

use std::time::Duration;

use lapin::types::LongString;
use lapin::uri::{AMQPScheme, AMQPUri};
use lapin::{Connection, ConnectionProperties};

use crate::config::{AmqpClientConfig, AmqpListenConfig};
use crate::error::{Error, ErrorKind, Result};

/// What a connection needs, from either side's config.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    url: String,
    heartbeat_s: u16,
    reconnect_min: Duration,
    reconnect_max: Duration,
    reconnect_max_attempts: u32,
    connect_timeout: Duration,
    #[cfg_attr(not(feature = "amqps"), allow(dead_code))]
    tls_ca_file: String,
}

impl Settings {
    pub(super) fn listener(c: &AmqpListenConfig) -> Self {
        Settings {
            url: c.url.clone(),
            heartbeat_s: c.heartbeat_s,
            reconnect_min: Duration::from_millis(c.reconnect_min_ms),
            reconnect_max: Duration::from_millis(c.reconnect_max_ms.max(c.reconnect_min_ms)),
            reconnect_max_attempts: c.reconnect_max_attempts,
            connect_timeout: Duration::from_millis(c.connect_timeout_ms),
            tls_ca_file: c.tls_ca_file.clone(),
        }
    }

    pub(super) fn client(c: &AmqpClientConfig) -> Self {
        Settings {
            url: c.url.clone(),
            heartbeat_s: c.heartbeat_s,
            reconnect_min: Duration::from_millis(c.reconnect_min_ms),
            reconnect_max: Duration::from_millis(c.reconnect_max_ms.max(c.reconnect_min_ms)),
            reconnect_max_attempts: c.reconnect_max_attempts,
            connect_timeout: Duration::from_millis(c.connect_timeout_ms),
            tls_ca_file: c.tls_ca_file.clone(),
        }
    }

    /// Parses the URL (without connecting), so that a bad one is a config error at start.
    pub(super) fn uri(&self) -> Result<AMQPUri> {
        let mut uri: AMQPUri = self.url.parse().map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("invalid AMQP url `{}`: {e}", masked(&self.url)),
            )
        })?;
        if uri.query.heartbeat.is_none() {
            uri.query.heartbeat = Some(self.heartbeat_s);
        }
        if uri.query.connection_timeout.is_none() {
            uri.query.connection_timeout = Some(self.connect_timeout.as_millis() as u64);
        }
        if uri.scheme == AMQPScheme::AMQPS && cfg!(not(feature = "amqps")) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "`{}` is an amqps:// url, but porticus was built without its cargo feature `amqps`; enable it: porticus = {{ features = [\"amqps\"] }}",
                    masked(&self.url)
                ),
            ));
        }
        // Read and parsed here, so that a missing or empty CA file is an error at start.
        #[cfg(feature = "amqps")]
        if uri.scheme == AMQPScheme::AMQPS && !self.tls_ca_file.is_empty() {
            crate::transport::tls::certificates(&self.tls_ca_file, "amqp `tls_ca_file`")?;
        }
        Ok(uri)
    }

    /// The URL with its password hidden, for logs and errors.
    pub(super) fn masked(&self) -> String {
        masked(&self.url)
    }

    /// How long a connection may be down before bounded reconnection attempts are surely
    /// used up (`None` with unlimited attempts). When lapin runs out of attempts it stops
    /// reconnecting but leaves the connection "reconnecting".
    pub(super) fn give_up_budget(&self) -> Option<Duration> {
        (self.reconnect_max_attempts > 0).then(|| {
            (self.reconnect_max + self.connect_timeout)
                .saturating_mul(self.reconnect_max_attempts.saturating_add(2))
        })
    }

    /// The longest delay between reconnection attempts.
    pub(super) fn reconnect_max(&self) -> Duration {
        self.reconnect_max
    }

    /// The broker's host and port, from the URL.
    pub(super) fn broker_address(&self) -> Option<(String, u16)> {
        let uri = self.uri().ok()?;
        Some((uri.authority.host, uri.authority.port))
    }
}

/// `amqp://user:***@host/vhost`.
pub(super) fn masked(url: &str) -> String {
    crate::config::masked_url(url)
}

fn transport_error(message: String, source: lapin::Error) -> Error {
    #[cfg(feature = "amqps")]
    if let Some(refusal) = crate::transport::tls::untrusted(&source) {
        return Error::new(
            ErrorKind::Transport,
            format!("{message}: the broker's certificate is not trusted ({refusal}); trust its CA with `tls_ca_file`"),
        )
        .with_source(source);
    }
    Error::new(ErrorKind::Transport, format!("{message}: {source}")).with_source(source)
}

/// Opens a connection named `name` (RabbitMQ's `connection_name`, shown by
/// `rabbitmqctl list_connections`) with automatic recovery.
///
/// # Errors
/// [`ErrorKind::Config`] for a bad URL or an `amqps://` URL without the feature;
/// [`ErrorKind::Transport`] when the broker cannot be reached or refuses the credentials
/// within the connect timeout.
pub(super) async fn open(
    settings: &Settings,
    name: &str,
    role: &'static str,
) -> Result<Connection> {
    let uri = settings.uri()?;
    let unreachable = |e| {
        transport_error(
            format!("cannot connect to the AMQP broker at {}", settings.masked()),
            e,
        )
    };
    let timed_out = || {
        Error::new(
            ErrorKind::Transport,
            format!(
                "cannot connect to the AMQP broker at {}: no answer within {} ms",
                settings.masked(),
                settings.connect_timeout.as_millis()
            ),
        )
    };
    // The probe fails fast: without recovery lapin does not retry.
    let probe_props = ConnectionProperties::default()
        .with_connection_name(LongString::from(format!("{name} (probe)")));
    let probe = tokio::time::timeout(
        settings.connect_timeout,
        connect(settings, uri.clone(), probe_props),
    )
    .await
    .map_err(|_| timed_out())?
    .map_err(unreachable)?;
    let _ = probe.close(200, "probe done".into()).await;

    let (min, max, attempts) = (
        settings.reconnect_min,
        settings.reconnect_max,
        settings.reconnect_max_attempts,
    );
    let props = ConnectionProperties::default()
        .with_connection_name(LongString::from(name.to_owned()))
        .with_client_property("porticus_role".into(), LongString::from(role))
        .configure_backoff(move |backoff| {
            let backoff = backoff
                .with_min_delay(min)
                .with_max_delay(max)
                .with_factor(2.0)
                .with_jitter();
            if attempts == 0 {
                backoff.without_max_times()
            } else {
                backoff.with_max_times(attempts as usize)
            }
        })
        .enable_auto_recover();
    tokio::time::timeout(settings.connect_timeout, connect(settings, uri, props))
        .await
        .map_err(|_| timed_out())?
        .map_err(unreachable)
}

#[cfg(not(feature = "amqps"))]
async fn connect(
    _settings: &Settings,
    uri: AMQPUri,
    props: ConnectionProperties,
) -> lapin::Result<Connection> {
    Connection::connect_uri(uri, props).await
}

#[cfg(feature = "amqps")]
async fn connect(
    settings: &Settings,
    uri: AMQPUri,
    props: ConnectionProperties,
) -> lapin::Result<Connection> {
    if settings.tls_ca_file.is_empty() {
        return Connection::connect_uri(uri, props).await;
    }
    let pem = std::fs::read_to_string(&settings.tls_ca_file).map_err(lapin::Error::from)?;
    let tls = lapin::tcp::OwnedTLSConfig {
        identity: None,
        cert_chain: Some(pem),
    };
    Connection::connect_uri_with_config(uri, props, tls, lapin::runtime::default_runtime()?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            masked("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(masked("amqp://127.0.0.1"), "amqp://127.0.0.1");
    }

    #[test]
    fn urls_are_checked_without_connecting() {
        let mut config = AmqpClientConfig::default();
        let uri = Settings::client(&config).uri().unwrap();
        assert_eq!(uri.query.heartbeat, Some(10));
        config.url = "amqp://h/%2f?heartbeat=3".into();
        assert_eq!(
            Settings::client(&config).uri().unwrap().query.heartbeat,
            Some(3)
        );
        config.url = "http://x".into();
        assert!(Settings::client(&config).uri().is_err());
    }
}
