//! Opening a named, self-recovering connection to the broker, or to any node of a cluster.
//!
//! A first, plain connection attempt (no recovery) to each configured node in turn makes an
//! unreachable broker or refused credentials an error at once, and picks the first node that
//! answers; the connection then kept has lapin's automatic recovery on, with the configured
//! backoff (lapin's default waits up to 60 s between attempts), and reconnects through a
//! [`Rotation`] of the nodes (see [`super::nodes`]).

use std::sync::Arc;
use std::time::Duration;

use lapin::tcp::{AMQPUriTcpExt, OwnedTLSConfig};
use lapin::types::LongString;
use lapin::uri::{AMQPScheme, AMQPUri};
use lapin::{Connection, ConnectionProperties};

use super::nodes::{self, Rotation};
use crate::config::{AmqpClientConfig, AmqpListenConfig};
use crate::error::{Error, ErrorKind, Result};

/// What a connection needs, from either side's config.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// `url`, or the `urls` of a cluster.
    urls: Vec<String>,
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
            urls: nodes::texts(&c.url, &c.urls),
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
            urls: nodes::texts(&c.url, &c.urls),
            heartbeat_s: c.heartbeat_s,
            reconnect_min: Duration::from_millis(c.reconnect_min_ms),
            reconnect_max: Duration::from_millis(c.reconnect_max_ms.max(c.reconnect_min_ms)),
            reconnect_max_attempts: c.reconnect_max_attempts,
            connect_timeout: Duration::from_millis(c.connect_timeout_ms),
            tls_ca_file: c.tls_ca_file.clone(),
        }
    }

    /// Parses the URLs (without connecting), so that a bad one is a config error at start.
    pub(super) fn uris(&self) -> Result<Vec<AMQPUri>> {
        let uris = nodes::parse(&self.urls, |url| self.parse(url))?;
        // Read and parsed here, once for all the nodes, so that a missing or empty CA file is
        // an error at start.
        #[cfg(feature = "amqps")]
        if uris.iter().any(|u| u.scheme == AMQPScheme::AMQPS) && !self.tls_ca_file.is_empty() {
            crate::transport::tls::certificates(&self.tls_ca_file, "amqp `tls_ca_file`")?;
        }
        Ok(uris)
    }

    fn parse(&self, url: &str) -> Result<AMQPUri> {
        let mut uri: AMQPUri = url.parse().map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("invalid AMQP url `{}`: {e}", masked(url)),
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
                    masked(url)
                ),
            ));
        }
        Ok(uri)
    }

    /// The URL (or the URLs, comma-separated) with passwords hidden, for logs and errors.
    pub(super) fn masked(&self) -> String {
        self.urls
            .iter()
            .map(|url| masked(url))
            .collect::<Vec<_>>()
            .join(",")
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

    /// Every broker node's host and port, from the URLs.
    pub(super) fn broker_addresses(&self) -> Vec<(String, u16)> {
        self.uris()
            .map(|uris| {
                uris.into_iter()
                    .map(|uri| (uri.authority.host, uri.authority.port))
                    .collect()
            })
            .unwrap_or_default()
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

/// The URL of `uri`, password hidden.
fn shown(uri: &AMQPUri) -> String {
    let scheme = match uri.scheme {
        AMQPScheme::AMQP => "amqp",
        AMQPScheme::AMQPS => "amqps",
    };
    format!("{scheme}://{}:{}", uri.authority.host, uri.authority.port)
}

/// Opens a connection named `name` (RabbitMQ's `connection_name`, shown by
/// `rabbitmqctl list_connections`) with automatic recovery, to the first node that answers.
///
/// # Errors
/// [`ErrorKind::Config`] for a bad URL or an `amqps://` URL without the feature;
/// [`ErrorKind::Transport`] when no node can be reached or the broker refuses the
/// credentials within the connect timeout.
pub(super) async fn open(
    settings: &Settings,
    name: &str,
    role: &'static str,
) -> Result<Connection> {
    let uris = settings.uris()?;
    let tls = tls_config(settings).map_err(|e| {
        transport_error(
            format!("cannot read the CA file `{}`", settings.tls_ca_file),
            e,
        )
    })?;
    let timed_out = |uri: &AMQPUri| {
        Error::new(
            ErrorKind::Transport,
            format!(
                "cannot connect to the AMQP broker at {}: no answer within {} ms",
                if uris.len() == 1 {
                    settings.masked()
                } else {
                    shown(uri)
                },
                settings.connect_timeout.as_millis()
            ),
        )
    };
    // The probe fails fast: without recovery lapin does not retry. The first node that
    // answers is the one connected to.
    let mut failures: Vec<Error> = Vec::new();
    let mut answered = None;
    for (index, uri) in uris.iter().enumerate() {
        let probe_props = ConnectionProperties::default()
            .with_connection_name(LongString::from(format!("{name} (probe)")));
        let probe = Connection::connect_uri_with_config(
            uri.clone(),
            probe_props,
            tls.clone(),
            lapin::runtime::default_runtime()
                .map_err(|e| transport_error("no runtime".into(), e))?,
        );
        match tokio::time::timeout(settings.connect_timeout, probe).await {
            Ok(Ok(probe)) => {
                let _ = probe.close(200, "probe done".into()).await;
                answered = Some(index);
                break;
            }
            Ok(Err(e)) => failures.push(transport_error(
                format!(
                    "cannot connect to the AMQP broker at {}",
                    if uris.len() == 1 {
                        settings.masked()
                    } else {
                        shown(uri)
                    }
                ),
                e,
            )),
            Err(_) => failures.push(timed_out(uri)),
        }
    }
    let Some(first) = answered else {
        return Err(unreachable(settings, uris.len(), failures));
    };

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
    let first_uri = uris[first].clone();
    let rotation = Arc::new(Rotation::new(uris, first));
    let connect_timeout = settings.connect_timeout;
    // Called by lapin for the first connection and for every reconnection attempt: the
    // address lapin passes is ignored, the rotation picks the node.
    let connect = async move |_uri: AMQPUri, runtime| {
        let (index, uri) = rotation.next();
        tracing::debug!(node = %shown(&uri), "connecting to an AMQP broker node");
        let attempt = AMQPUriTcpExt::connect_with_config_async(&uri, tls.as_ref(), &runtime);
        // lapin's asynchronous connect has no timeout of its own: a node that does not answer
        // (a host that is down) would hold the attempt for the system's TCP timeout.
        let stream = match tokio::runtime::Handle::try_current() {
            Ok(_) => tokio::time::timeout(connect_timeout, attempt)
                .await
                .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into())),
            Err(_) => attempt.await,
        }
        .map_err(lapin::Error::from)?;
        rotation.connected(index);
        Ok(stream)
    };
    let runtime =
        lapin::runtime::default_runtime().map_err(|e| transport_error("no runtime".into(), e))?;
    let shown_first = shown(&first_uri);
    tokio::time::timeout(
        settings.connect_timeout,
        Connection::connector(first_uri, runtime, connect, props),
    )
    .await
    .map_err(|_| {
        Error::new(
            ErrorKind::Transport,
            format!(
                "cannot connect to the AMQP broker at {shown_first}: no answer within {} ms",
                settings.connect_timeout.as_millis()
            ),
        )
    })?
    .map_err(|e| {
        transport_error(
            format!("cannot connect to the AMQP broker at {shown_first}"),
            e,
        )
    })
}

/// The error when no node answered: the single node's own error, or every node's.
fn unreachable(settings: &Settings, nodes: usize, mut failures: Vec<Error>) -> Error {
    if nodes == 1 {
        if let Some(only) = failures.pop() {
            return only;
        }
    }
    let each: Vec<String> = failures.iter().map(ToString::to_string).collect();
    Error::new(
        ErrorKind::Transport,
        format!(
            "cannot connect to any of the {nodes} AMQP broker nodes {}: {}",
            settings.masked(),
            each.join("; ")
        ),
    )
}

#[cfg(not(feature = "amqps"))]
fn tls_config(_settings: &Settings) -> lapin::Result<OwnedTLSConfig> {
    Ok(OwnedTLSConfig::default())
}

#[cfg(feature = "amqps")]
fn tls_config(settings: &Settings) -> lapin::Result<OwnedTLSConfig> {
    if settings.tls_ca_file.is_empty() {
        return Ok(OwnedTLSConfig::default());
    }
    let pem = std::fs::read_to_string(&settings.tls_ca_file).map_err(lapin::Error::from)?;
    Ok(OwnedTLSConfig {
        identity: None,
        cert_chain: Some(pem),
    })
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
        let uri = Settings::client(&config).uris().unwrap().remove(0);
        assert_eq!(uri.query.heartbeat, Some(10));
        config.url = "amqp://h/%2f?heartbeat=3".into();
        assert_eq!(
            Settings::client(&config).uris().unwrap()[0].query.heartbeat,
            Some(3)
        );
        config.url = "http://x".into();
        assert!(Settings::client(&config).uris().is_err());
        config.urls = vec!["amqp://h1:5672".into(), "amqp://h2:5673".into()];
        let settings = Settings::client(&config);
        assert_eq!(settings.uris().unwrap().len(), 2, "urls win over url");
        assert_eq!(
            settings.broker_addresses(),
            [("h1".to_owned(), 5672), ("h2".to_owned(), 5673)]
        );
    }
}
