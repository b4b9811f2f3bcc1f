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
mod load;
mod nats;
mod ops;
mod policy;
mod schema;
mod socketio;
mod sources;
mod summary;

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
pub(crate) use summary::masked_url;
