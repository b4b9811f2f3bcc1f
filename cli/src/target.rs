//! Where a command sends its acts and events: one URL (`--via`) or a service's config folder
//! (`--config`), turned into a node with one client.

use std::path::PathBuf;
use std::time::Duration;

use porticus::config::{AmqpClientConfig, Config, HttpClientConfig, NatsClientConfig};
use porticus::transport::amqp::AmqpClient;
use porticus::transport::http::HttpClient;
use porticus::transport::nats::NatsClient;
use porticus::Node;

use crate::exit::Exit;

/// The options every command that reaches a service takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Via {
    /// Where to send it: `http://host:port/act`, `amqp://user:pass@host:port[/vhost]` or
    /// `nats://host:port`.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "config",
        required_unless_present = "config"
    )]
    pub via: Option<String>,
    /// A service's config folder: its `[[client]]` entries decide where each message goes.
    #[arg(long, value_name = "DIR")]
    pub config: Option<PathBuf>,
    /// With `--config`: the environment file to layer on `default.toml` (as `PORTICUS_ENV`).
    #[arg(long, value_name = "ENV", requires = "config")]
    pub env: Option<String>,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
}

/// The name the command line's connections carry (`rabbitmqctl list_connections`).
const NAME: &str = "porticus-cli";

impl Via {
    /// A node that sends acts and events matching `pin` (all, when `""`) through the target.
    pub async fn node(&self, pin: &str) -> Result<Node, Exit> {
        let builder = Node::builder()
            .without_registered()
            .without_introspection()
            .name(NAME)
            .timeout(Duration::from_millis(self.timeout));
        let builder = match (&self.via, &self.config) {
            (Some(url), _) => self.client(builder, url, pin).await?,
            (None, Some(dir)) => {
                let config = Config::load_from(dir, self.env.as_deref()).map_err(|e| {
                    Exit::usage(format!("cannot load the config in {}: {e}", dir.display()))
                })?;
                builder.config(&config)
            }
            (None, None) => {
                return Err(Exit::usage(
                    "say where to send it: --via URL or --config DIR",
                ))
            }
        };
        builder
            .build()
            .map_err(|e| Exit::usage(format!("cannot set up the client: {e}")))
    }

    async fn client(
        &self,
        builder: porticus::NodeBuilder,
        url: &str,
        pin: &str,
    ) -> Result<porticus::NodeBuilder, Exit> {
        let shown = porticus::config::masked_url(url);
        let connection = |e: porticus::Error| Exit::usage(format!("cannot reach {shown}: {e}"));
        let scheme = url.split("://").next().unwrap_or_default();
        match scheme {
            "http" => {
                let mut config = HttpClientConfig::default();
                config.url = url.to_owned();
                config.pin = pin.to_owned();
                let client = HttpClient::new(&config).map_err(connection)?;
                Ok(builder.client(pin, client))
            }
            "amqp" => {
                let mut config = AmqpClientConfig::default();
                config.url = url.to_owned();
                config.pin = pin.to_owned();
                let client = AmqpClient::new(&config, NAME).map_err(connection)?;
                client.connect().await.map_err(connection)?;
                Ok(builder.client(pin, client))
            }
            "nats" => {
                let mut config = NatsClientConfig::default();
                config.url = url.to_owned();
                config.pin = pin.to_owned();
                let client =
                    NatsClient::new(&config, &Default::default(), NAME).map_err(connection)?;
                client.connect().await.map_err(connection)?;
                Ok(builder.client(pin, client))
            }
            other => Err(Exit::usage(format!(
                "`{shown}`: unknown scheme `{other}` (http://…/act, amqp://… or nats://…)"
            ))),
        }
    }
}
