//! Transports built from configuration — the `[[client]]`s a node is built with
//! ([`NodeBuilder::config`]) and the `[[listen]]`s it serves on — where a transport whose cargo
//! feature is off is an error naming the feature. The core (node/) never sees a transport: the
//! builder is handed a factory for each configured client.

use std::sync::Arc;
use std::time::Duration;

use super::{Client, Listener};
use crate::config::{ClientConfig, Config, ListenConfig, NatsCredentials};
use crate::error::{Error, ErrorKind, Result};
use crate::node::{Deferred, Node, NodeBuilder};

impl NodeBuilder {
    /// Takes the service name, default timeout and `[[client]]`s from `config`; the clients are
    /// created by [`build`](Self::build), named after the node's instance.
    ///
    /// ```
    /// use porticus::{config::Config, Node};
    /// use std::time::Duration;
    ///
    /// let config = Config::from_toml_str("[service]\nname = \"billing\"\ntimeout_ms = 500")?;
    /// let node = Node::builder().without_registered().config(&config).build()?;
    /// assert_eq!(node.name(), "billing");
    /// assert_eq!(node.default_timeout(), Duration::from_millis(500));
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn config(self, config: &Config) -> Self {
        let mut builder = self
            .config_summary(config.summary())
            .name(config.service.name.clone())
            .timeout(Duration::from_millis(config.service.timeout_ms));
        for policy in &config.policy {
            builder = builder.policy(policy.clone());
        }
        for client in &config.client {
            let client = client.clone();
            builder = builder.defer_client(Deferred {
                pin: client.pin().to_owned(),
                events: client.events().to_vec(),
                location: format!("[[client]] type = \"{}\"", client.transport()),
                make: {
                    let credentials = config.nats.clone();
                    Box::new(move |instance| client_from(&client, instance, &credentials))
                },
            });
        }
        #[cfg(feature = "socketio")]
        if config
            .listen
            .iter()
            .any(|l| matches!(l, ListenConfig::SocketIo(_)))
        {
            builder = builder.configured_sockets(config);
        }
        builder
    }
}

#[cfg_attr(
    all(
        feature = "http",
        feature = "amqp",
        feature = "nats",
        feature = "socketio"
    ),
    allow(dead_code)
)]
pub(crate) fn feature_off(transport: &str, feature: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "the configuration names transport `{transport}`, but porticus was built without its cargo feature `{feature}`; enable it: porticus = {{ features = [\"{feature}\"] }}"
        ),
    )
}

/// Binds the listener `config` describes, for `node` (whose name and subscriptions a broker
/// listener needs to declare its queues), with the rest of the configuration `all` (the
/// `[nats]` credentials for a NATS listener, `[socketio]` for a Socket.IO one).
pub(crate) async fn listener_from(
    config: &ListenConfig,
    node: &Node,
    all: &Config,
) -> Result<Box<dyn Listener>> {
    let credentials = &all.nats;
    let _ = (node, credentials);
    match config {
        #[cfg(feature = "http")]
        ListenConfig::Http(http) => Ok(Box::new(super::http::HttpListener::bind(http).await?)),
        #[cfg(not(feature = "http"))]
        ListenConfig::Http(_) => Err(feature_off("http", "http")),
        #[cfg(feature = "amqp")]
        ListenConfig::Amqp(c) => Ok(Box::new(super::amqp::AmqpListener::bind(c, node).await?)),
        #[cfg(not(feature = "amqp"))]
        ListenConfig::Amqp(_) => Err(feature_off("amqp", "amqp")),
        #[cfg(feature = "nats")]
        ListenConfig::Nats(c) => Ok(Box::new(
            super::nats::NatsListener::bind(c, credentials, node).await?,
        )),
        #[cfg(not(feature = "nats"))]
        ListenConfig::Nats(_) => Err(feature_off("nats", "nats")),
        #[cfg(feature = "socketio")]
        ListenConfig::SocketIo(c) => {
            let sockets = match node.extension::<crate::socketio::Sockets>() {
                Some(sockets) => (*sockets).clone(),
                None if all.socketio.events.is_empty() => crate::socketio::Sockets::from_config(all)?,
                None => {
                    return Err(Error::new(
                        ErrorKind::Config,
                        "`[socketio] events` would never reach the sockets: build the node with `NodeBuilder::config` (or `NodeBuilder::sockets`) from the same configuration",
                    ))
                }
            };
            warn_of_shared_events(all);
            Ok(Box::new(
                crate::socketio::SocketIoListener::bind(c, sockets).await?,
            ))
        }
        #[cfg(not(feature = "socketio"))]
        ListenConfig::SocketIo(_) => Err(feature_off("socketio", "socketio")),
    }
}

/// Warns when the sockets' events come from a broker listener in `group` event mode: the
/// instances of the gateway would share the events, and each socket would miss those
/// delivered to the other instances.
#[cfg(feature = "socketio")]
fn warn_of_shared_events(all: &Config) {
    use crate::config::EventMode;
    if all.socketio.events.is_empty() {
        return;
    }
    for listen in &all.listen {
        let mode = match listen {
            ListenConfig::Amqp(c) => c.event_mode,
            ListenConfig::Nats(c) => c.event_mode,
            _ => continue,
        };
        if mode == EventMode::Group {
            tracing::warn!(
                transport = listen.transport(),
                "the socket.io listener's [socketio] events come from a listener in `group` event mode: other instances of this service would take some of them; set event_mode = \"broadcast\""
            );
        }
    }
}

/// Builds the client `config` describes, for the node instance `instance` (which names its
/// connections), with the `[nats]` credentials for a NATS client.
pub(crate) fn client_from(
    config: &ClientConfig,
    instance: &str,
    credentials: &NatsCredentials,
) -> Result<Arc<dyn Client>> {
    let _ = (instance, credentials);
    match config {
        #[cfg(feature = "http")]
        ClientConfig::Http(http) => Ok(Arc::new(super::http::HttpClient::new(http)?)),
        #[cfg(not(feature = "http"))]
        ClientConfig::Http(_) => Err(feature_off("http", "http")),
        #[cfg(feature = "amqp")]
        ClientConfig::Amqp(c) => Ok(Arc::new(super::amqp::AmqpClient::new(c, instance)?)),
        #[cfg(not(feature = "amqp"))]
        ClientConfig::Amqp(_) => Err(feature_off("amqp", "amqp")),
        #[cfg(feature = "nats")]
        ClientConfig::Nats(c) => Ok(Arc::new(super::nats::NatsClient::new(
            c,
            credentials,
            instance,
        )?)),
        #[cfg(not(feature = "nats"))]
        ClientConfig::Nats(_) => Err(feature_off("nats", "nats")),
    }
}

#[cfg(test)]
mod tests {
    /// Runs in the `--no-default-features` build (`.ci/run` tests the core alone).
    #[cfg(not(feature = "http"))]
    #[tokio::test]
    async fn a_transport_whose_feature_is_off_is_named() {
        let config = crate::config::Config::from_toml_str(
            "[[listen]]\ntype = \"http\"\n[[client]]\ntype = \"http\"\n",
        )
        .expect("a valid document");
        let node = crate::Node::builder()
            .without_registered()
            .build()
            .expect("an empty node");
        let listen = super::listener_from(&config.listen[0], &node, &config)
            .await
            .unwrap_err();
        assert!(
            listen.to_string().contains("cargo feature `http`"),
            "{listen}"
        );
        let client =
            super::client_from(&config.client[0], "test-instance", &config.nats).unwrap_err();
        assert!(
            client.to_string().contains("cargo feature `http`"),
            "{client}"
        );
    }
}
