//! Transports built from configuration; a transport whose cargo feature is off is an error
//! naming the feature.

use std::sync::Arc;

use super::{Client, Listener};
use crate::config::{ClientConfig, ListenConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;

#[cfg_attr(feature = "http", allow(dead_code))]
fn feature_off(transport: &str, feature: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "the configuration names transport `{transport}`, but porticus was built without its cargo feature `{feature}`; enable it: porticus = {{ features = [\"{feature}\"] }}"
        ),
    )
}

/// Binds the listener `config` describes, for `node` (whose name and subscriptions a broker
/// listener needs to declare its queues).
pub(crate) async fn listener_from(config: &ListenConfig, node: &Node) -> Result<Box<dyn Listener>> {
    let _ = node;
    match config {
        #[cfg(feature = "http")]
        ListenConfig::Http(http) => Ok(Box::new(super::http::HttpListener::bind(http).await?)),
        #[cfg(not(feature = "http"))]
        ListenConfig::Http(_) => Err(feature_off("http", "http")),
        #[cfg(feature = "amqp")]
        ListenConfig::Amqp(c) => Ok(Box::new(super::amqp::AmqpListener::bind(c, node).await?)),
        #[cfg(not(feature = "amqp"))]
        ListenConfig::Amqp(_) => Err(feature_off("amqp", "amqp")),
    }
}

/// Builds the client `config` describes, for the node instance `instance` (which names its
/// connections).
pub(crate) fn client_from(config: &ClientConfig, instance: &str) -> Result<Arc<dyn Client>> {
    let _ = instance;
    match config {
        #[cfg(feature = "http")]
        ClientConfig::Http(http) => Ok(Arc::new(super::http::HttpClient::new(http)?)),
        #[cfg(not(feature = "http"))]
        ClientConfig::Http(_) => Err(feature_off("http", "http")),
        #[cfg(feature = "amqp")]
        ClientConfig::Amqp(c) => Ok(Arc::new(super::amqp::AmqpClient::new(c, instance)?)),
        #[cfg(not(feature = "amqp"))]
        ClientConfig::Amqp(_) => Err(feature_off("amqp", "amqp")),
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
        let listen = super::listener_from(&config.listen[0], &node)
            .await
            .unwrap_err();
        assert!(
            listen.to_string().contains("cargo feature `http`"),
            "{listen}"
        );
        let client = super::client_from(&config.client[0], "test-instance").unwrap_err();
        assert!(
            client.to_string().contains("cargo feature `http`"),
            "{client}"
        );
    }
}
