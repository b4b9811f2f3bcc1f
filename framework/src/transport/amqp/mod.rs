//! The AMQP transport (RabbitMQ): request/reply compatible with seneca-amqp-transport, and
//! durable events. Feature `amqp` (on by default); `amqps` adds TLS.
//!
//! ```text
//!  caller ──act──▶ [seneca.topic] ──cmd.*.role.math──▶ (seneca.add.role:math.cmd:any) ──▶ listener
//!     ▲              topic, durable                       durable, x-dead-letter-exchange
//!     └──── (seneca.act.1a2b3c4d) ◀── reply: default exchange, routing key = reply_to ──┘
//!           exclusive reply queue
//!
//!  emitter ──emit──▶ [porticus.events] ──#.event.order_shipped.#──▶ (porticus.events.billing)
//!                      topic, durable                                  quorum, one per service
//! ```
//!
//! - [`AmqpClient`] sends an act as a persistent request with publisher confirms and
//!   `mandatory` (`no_route` at once when no queue is bound), the caller's deadline as the
//!   message's `expiration` and headers, and waits for the reply on its exclusive queue. It
//!   publishes events, persistent and confirmed, to the event exchange.
//! - [`AmqpListener`] consumes its request queue with a bounded prefetch, runs each request,
//!   publishes the reply (a handler error is an error reply) and only then acks; it delivers
//!   events to the node's `#[event]` handlers, retries a failing one with backoff and
//!   dead-letters it with its error after the last attempt.
//! - Connections are named after the node instance, send heartbeats and recover by themselves
//!   (exchanges, queues, bindings and consumers included); publishes interrupted by a
//!   reconnection are published again. A watchdog replaces a connection whose recovery
//!   stalls (the broker accepts connections, lapin does not reconnect) with a new one, and
//!   stops a listener whose bounded attempts ran out. Delivery is at-least-once: every message has a
//!   `message_id`, and a handler may see one twice.
//!
//! `docs/transports.md` (section AMQP) and `docs/events.md` describe the names, headers,
//! guarantees and failure behaviour in full; [`crate::config::AmqpListenConfig`] and
//! [`crate::config::AmqpClientConfig`] list every setting with its default.

/// The transport's name: its clients' and listeners' `transport()`, the `transport` label of
/// its metrics and of the messages its listeners receive.
const TRANSPORT: &str = "amqp";

mod backlog;
mod client;
mod connection;
#[cfg(feature = "schema")]
pub(crate) mod described;
mod envelope;
mod headers;
mod inflight;
mod lane;
mod listener;
mod naming;
mod nodes;
mod publisher;
mod replies;
mod requests;
mod subscriber;
mod topology;
mod watchdog;

pub use client::AmqpClient;
pub use listener::AmqpListener;
