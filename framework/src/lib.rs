//! # Porticus
//!
//! Seneca-style, pattern-matched microservices for Rust. Handlers are plain `async fn`s
//! annotated with the pattern they answer; a router picks the most specific handler for each
//! JSON message; the same [`Node::act`] runs the handler in-process or, by configuration, over
//! a transport.
//!
//! ## Quick start
//!
//! ```
//! use porticus::{ActError, Node};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Sum { left: f64, right: f64 }
//!
//! #[derive(Serialize, Deserialize)]
//! struct Total { answer: f64 }
//!
//! #[porticus::action("role:math,cmd:sum")]
//! async fn sum(req: Sum) -> Result<Total, ActError> {
//!     Ok(Total { answer: req.left + req.right })
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let node = Node::builder().build()?;            // every #[action] linked into the binary
//! let total: Total = node
//!     .act_as("role:math,cmd:sum", serde_json::json!({ "left": 1, "right": 2 }))
//!     .await?;
//! assert_eq!(total.answer, 3.0);
//! # Ok(()) }
//! ```
//!
//! ## How routing works
//!
//! A message is a JSON object; a pattern is a set of `key:value` pairs (`role:math,cmd:sum`).
//! Matching is exactly Seneca's (patrun's): keys are tried in alphabetical order, values compare
//! as strings (`1` matches `"1"`), extra message keys are ignored, the deepest match on the
//! walked path wins, exact values beat `*`/`?` globs, and an empty pattern is the catch-all.
//! Keys ending in `$` are directives (`timeout$`, `default$`, `id$`, `tx$`) and never route.
//! See [`pattern`] and `docs/patterns.md`.
//!
//! ## Handlers
//!
//! `#[action("…")]` takes `async fn(Input) -> Result<Output, E>` or
//! `async fn(Input, Context) -> Result<Output, E>` where `Input: Deserialize`,
//! `Output: Serialize` and `E: Into<ActError>`; `#[event("…")]` the same with `Output = ()`.
//! A bad input is an `act_invalid_msg` error naming the field; a panic is an `act_execute`
//! error — the node keeps running. Through the [`Context`] a handler acts, emits and calls its
//! [`prior`](Context::prior).
//!
//! A handler crate that the binary does not otherwise mention must still be linked for its
//! handlers to register: write [`porticus::link!(my_handlers);`](link) once in the binary.
//!
//! ## Resilience
//!
//! Per pattern, opt in: `[[policy]]` entries ([`config::PolicyConfig`],
//! [`NodeBuilder::policy`]) retry what may be retried within the act's deadline, open a
//! circuit breaker on a failing dependency (`circuit_open` at once) and bound concurrent acts
//! (`overloaded` past a queue); `#[action("…", idempotent, concurrency = 4)]` says the same for
//! one action. See `docs/resilience.md`.
//!
//! ## Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `macros` | yes | the `#[action]` and `#[event]` attributes |
//! | `http` | yes | the HTTP transport, Seneca's web wire format (`transport::http`) |
//! | `https` | no | TLS for the HTTP transport (implies `http`): `https://` clients trusting `tls_ca_file` or the system's roots, listeners with `tls_cert_file` + `tls_key_file`; rustls with ring |
//! | `gateway` | no | the REST gateway ([`gateway`], implies `http`): `[[route]]`s mapping `METHOD /path/{param}` to patterns, on axum |
//! | `socketio` | no | the Socket.IO listener ([`socketio`], implies `http`): clients act and receive live events, authorized and limited, mounted beside the gateway or as `[[listen]] type = "socketio"` |
//! | `amqp` | yes | the RabbitMQ transport (`transport::amqp`): Seneca-compatible request/reply, durable events |
//! | `amqps` | no | TLS (`amqps://`) for the AMQP transport, with rustls and ring; the broker's certificate checked against `tls_ca_file` and the system's roots |
//! | `nats` | no | the NATS transport (`transport::nats`): request/reply for acts, JetStream for durable events |
//! | `admin` | yes | the admin HTTP endpoint (`[admin] bind`): `/livez`, `/readyz`, and the drain on SIGTERM |
//! | `metrics` | yes | metrics for Prometheus at `GET /metrics` on the admin endpoint (implies `admin`) |
//! | `testing` | no | the test kit ([`testing`]): test nodes from chosen handlers, mocked acts, captured and injected events, seeded faults, virtual time |
//! | `validate` | no | `#[action("…", validate)]`: inputs deriving `garde::Validate` checked before the handler, every failing field in one `act_invalid_msg` (`docs/contracts.md`) |
//! | `schema` | no | `#[action("…", schema)]`: JSON Schemas (draft 2020-12) of inputs and outputs deriving `schemars::JsonSchema`, [`Node::schemas`], `cmd:schema` (`docs/contracts.md`) |
//! | `otlp` | no | OpenTelemetry traces exported over OTLP (HTTP/protobuf) when `[telemetry] endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set |
//!
//! The in-process transport ([`transport::local`]) is always available. Without `http`, a
//! configuration naming `type = "http"` is an error naming the feature; without `admin`, so is a
//! configuration that sets `[admin] bind`, and without `otlp` one that sets
//! `[telemetry] endpoint`. The admin endpoint does not need the `http` transport: an AMQP-only
//! service keeps its probes.

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod action;
#[cfg(feature = "admin")]
mod admin;
#[cfg(feature = "schema")]
mod asyncapi;
pub mod config;
mod context;
mod contract;
mod error;
#[cfg(feature = "gateway")]
pub mod gateway;
mod message;
mod metrics;
mod node;
pub mod pattern;
mod resilience;
mod serve;
#[cfg(feature = "socketio")]
pub mod socketio;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
mod trace;
pub mod transport;
mod via;

#[doc(hidden)]
pub mod __private;

#[cfg(feature = "validate")]
pub use action::validate;
pub use action::{BoxFuture, BoxHandler, ErasedHandler, Handler, Kind, Registration, Schemas};
pub use context::Context;
pub use error::{ActError, Code, Error, ErrorKind, Result};
/// The `garde` crate (feature `validate`), at the version porticus validates with: derive
/// `garde::Validate` on an input and write `#[action("…", validate)]` (`docs/contracts.md`).
#[cfg(feature = "validate")]
pub use garde;
pub use message::Meta;
pub use node::{Contract, Node, NodeBuilder, DEFAULT_TIMEOUT_MS};
/// The `schemars` crate (feature `schema`), at the version porticus builds schemas with:
/// derive `schemars::JsonSchema` on inputs and outputs and write `#[action("…", schema)]`.
#[cfg(feature = "schema")]
pub use schemars;
pub use serve::{
    run, shutdown_signal, ListenerReadiness, Phase, ReadinessReport, Server, Shutdown,
};

#[cfg(feature = "macros")]
pub use porticus_macros::{action, event};

/// Links handler crates that the binary does not otherwise mention, so that their
/// `#[action]`s and `#[event]`s register.
///
/// Rust only links a dependency that is used; a crate made only of annotated handlers is not,
/// unless named somewhere. One line in the binary names it:
///
/// ```
/// porticus::link!(serde_json);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! link {
    ($($krate:ident),+ $(,)?) => {
        $(
            #[allow(unused_extern_crates)]
            extern crate $krate as _;
        )+
    };
}

#[cfg(doctest)]
mod doc_tests {
    #[doc = include_str!("../../README.md")]
    struct Readme;
    #[doc = include_str!("../../docs/patterns.md")]
    struct Patterns;
    #[doc = include_str!("../../docs/actions.md")]
    struct Actions;
    #[doc = include_str!("../../docs/gateway.md")]
    struct Gateway;
    #[doc = include_str!("../../docs/realtime.md")]
    struct Realtime;
    #[doc = include_str!("../../docs/transports.md")]
    struct Transports;
    #[doc = include_str!("../../docs/events.md")]
    struct Events;
    #[doc = include_str!("../../docs/configuration.md")]
    struct Configuration;
    #[doc = include_str!("../../docs/getting-started.md")]
    struct GettingStarted;
    #[doc = include_str!("../../docs/architecture.md")]
    struct Architecture;
    #[doc = include_str!("../../docs/operations.md")]
    struct Operations;
    #[doc = include_str!("../../docs/resilience.md")]
    struct Resilience;
    #[doc = include_str!("../../docs/contracts.md")]
    struct Contracts;
}
