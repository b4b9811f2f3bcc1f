//! The NATS transport: core request/reply for acts, JetStream for durable events. Feature
//! `nats`.
//!
//! ```text
//!  caller ──request── porticus.act.cmd.sum.role.math ──▶ listener (queue group = service)
//!     ▲                  headers: porticus-id, porticus-timeout-ms, traceparent, porticus-origin
//!     └──── reply (porticus-error: 1 when the body is an ActError) ◀──────────┘
//!
//!  emitter ──publish, awaited ack── porticus.event.event.order_shipped.id.7 ──▶ [PORTICUS_EVENTS]
//!                                          durable pull consumer per service ──▶ listener
//!                                          (ephemeral per instance for broadcast)
//!  failed on the last attempt ──▶ porticus.dlq.<service> ──▶ [PORTICUS_DLQ]
//! ```
//!
//! - [`NatsClient`] sends an act as a request on the subject its pin's keys name, bounded by
//!   the act's deadline; "no responders" is an immediate `no_route`. It publishes an event to
//!   JetStream and returns once it is stored (`no_route` when no stream takes the subject,
//!   `overloaded` when the stream is full).
//! - [`NatsListener`] subscribes its pins' subjects in its service's queue group (competing
//!   consumers), replies with the result or the `ActError`, and delivers events from the
//!   service's durable consumer: acked once every local subscriber succeeded, retried with
//!   backoff (nak with delay), moved to the dead-letter stream after the last attempt.
//! - Connections are named after the node instance, reconnect with capped backoff, and a
//!   listener's readiness follows its connection. On shutdown a listener stops taking
//!   requests, hands back the ones it had not started (re-published for another instance),
//!   lets the running ones finish and drains its connection.
//!
//! `docs/transports.md` (section NATS) describes subjects, headers, guarantees and failures
//! in full; [`crate::config::NatsListenConfig`] and [`crate::config::NatsClientConfig`] list
//! every setting. This module uses only Porticus's public API (the transport contract):
//! it is what a transport written in another crate can do.

/// The transport's name: its clients' and listeners' `transport()`, the `transport` label of
/// its metrics and of the messages its listeners receive.
const TRANSPORT: &str = "nats";

mod client;
mod connection;
#[cfg(feature = "schema")]
pub(crate) mod described;
mod events;
mod headers;
mod listener;
mod requests;
mod streams;
mod subjects;

pub use client::NatsClient;
pub use listener::NatsListener;
