//! Configuration: which transports a service listens on and calls through, its timeouts and
//! limits — chosen by files and environment, never by code.
//!
//! Layers, later ones winning (loaded with the `config` crate):
//!
//! 1. `config/default.toml`
//! 2. `config/$PORTICUS_ENV.toml`, if `PORTICUS_ENV` is set (the file must then exist)
//! 3. `config/local.toml`, if present (keep it out of version control)
//! 4. environment variables `PORTICUS__SECTION__KEY` (double underscore nests:
//!    `PORTICUS__SERVICE__TIMEOUT_MS=500`)
//!
//! String values in the files may take their text from environment variables — `${NAME}`,
//! `${NAME:-default}` (unset or empty), `${NAME-default}` (unset), `$$` for a literal `$` —
//! resolved once the files are merged, so that broker URLs and credentials come from a
//! Kubernetes Secret or a Compose `environment:` without a file; a reference to a variable that
//! is not set stops the start, naming the variable and the key. Values of `PORTICUS__…`
//! variables are taken as they are. `docs/configuration.md` has the rules.
//!
//! ```
//! use porticus::config::{Config, ListenConfig};
//!
//! // Set for this example only (a Kubernetes Secret would set it).
//! std::env::set_var("ORDERS_AMQP_URL", "amqp://orders:hunter2@rabbit:5672/%2f");
//! let config = Config::from_toml_str(r#"
//!     [service]
//!     name = "${SERVICE_NAME:-orders}"
//!
//!     [[listen]]
//!     type = "amqp"
//!     url = "${ORDERS_AMQP_URL}"
//!     pin = "role:orders"
//! "#)?;
//! assert_eq!(config.service.name, "orders");
//! assert!(matches!(&config.listen[0], ListenConfig::Amqp(a) if a.url.contains("hunter2")));
//! // Shown (logs, introspection) with the password masked.
//! assert_eq!(config.summary()["listen"][0]["url"], "amqp://orders:***@rabbit:5672/%2f");
//!
//! let missing = Config::from_toml_str("[[client]]\ntype = \"amqp\"\nurl = \"${PAYMENTS_URL}\"");
//! assert_eq!(
//!     missing.unwrap_err().to_string(),
//!     "config value `client[0].url` uses `${PAYMENTS_URL}`, which is not set"
//! );
//! # Ok::<_, porticus::Error>(())
//! ```
//!
//! The `config/` folder is looked up in `$PORTICUS_CONFIG_DIR`, else `./config`, else
//! `$CARGO_MANIFEST_DIR/config` (so `cargo run -p my-service` finds the service's own folder from
//! the workspace root). Without any of them, the defaults apply: an in-process service.
//!
//! ```
//! use porticus::config::Config;
//!
//! let config = Config::from_toml_str(r#"
//!     [service]
//!     name = "math"
//!     timeout_ms = 5000
//!
//!     [[client]]
//!     type = "http"
//!     url = "http://127.0.0.1:10101/act"
//!     pin = "role:math"
//! "#).unwrap();
//! assert_eq!(config.service.name, "math");
//! assert_eq!(config.client.len(), 1);
//! ```

mod amqp;
mod events;
mod gateway;
mod interpolate;
mod key_path;
mod load;
mod nats;
mod ops;
mod policy;
mod resolve;
mod schema;
mod socketio;
mod sources;
mod summary;
mod template;

pub(crate) use sources::shown;

pub use amqp::{AmqpClientConfig, AmqpListenConfig, LeaderLocator, QueueType, DEFAULT_AMQP_URL};
pub use events::EventMode;
pub use gateway::{CorsConfig, GatewayConfig, RouteConfig};
pub use nats::{Discard, NatsClientConfig, NatsCredentials, NatsListenConfig, DEFAULT_NATS_URL};
pub use ops::{AdminConfig, LogConfig, LogFormat, Sampler, TelemetryConfig};
pub use policy::{BreakerConfig, PolicyConfig};
pub use schema::{
    ClientConfig, Config, HttpClientConfig, HttpListenConfig, ListenConfig, ServiceConfig,
};
pub use socketio::{SocketIoConfig, SocketIoListenConfig};
pub use summary::masked_url;
