//! Transports built from configuration; a transport whose cargo feature is off is an error
//! naming the feature.

use std::sync::Arc;

use super::{Client, Listener};
use crate::config::{ClientConfig, ListenConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;

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
        ClientConfig::Http(_) => Err(feature_off("http", "http")),
        #[cfg(feature = "amqp")]
        ClientConfig::Amqp(c) => Ok(Arc::new(super::amqp::AmqpClient::new(c, instance)?)),
        #[cfg(not(feature = "amqp"))]
        ClientConfig::Amqp(_) => Err(feature_off("amqp", "amqp")),
    }
}
