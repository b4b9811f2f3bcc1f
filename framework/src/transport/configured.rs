//! Transports built from configuration; a transport whose cargo feature is off is an error
//! naming the feature.

use std::sync::Arc;

use super::{Client, Listener};
use crate::config::{ClientConfig, ListenConfig};
use crate::error::{Error, ErrorKind, Result};

#[cfg_attr(feature = "http", allow(dead_code))]
fn feature_off(transport: &str, feature: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "the configuration names transport `{transport}`, but porticus was built without its cargo feature `{feature}`; enable it: porticus = {{ features = [\"{feature}\"] }}"
        ),
    )
}

/// Binds the listener `config` describes.
pub(crate) async fn listener_from(config: &ListenConfig) -> Result<Box<dyn Listener>> {
    match config {
        #[cfg(feature = "http")]
        ListenConfig::Http(http) => Ok(Box::new(super::http::HttpListener::bind(http).await?)),
        #[cfg(not(feature = "http"))]
        ListenConfig::Http(_) => Err(feature_off("http", "http")),
    }
}

/// Builds the client `config` describes.
pub(crate) fn client_from(config: &ClientConfig) -> Result<Arc<dyn Client>> {
    match config {
        #[cfg(feature = "http")]
        ClientConfig::Http(http) => Ok(Arc::new(super::http::HttpClient::new(http)?)),
        #[cfg(not(feature = "http"))]
        ClientConfig::Http(_) => Err(feature_off("http", "http")),
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
        let listen = super::listener_from(&config.listen[0]).await.unwrap_err();
        assert!(
            listen.to_string().contains("cargo feature `http`"),
            "{listen}"
        );
        let client = super::client_from(&config.client[0]).unwrap_err();
        assert!(
            client.to_string().contains("cargo feature `http`"),
            "{client}"
        );
    }
}
