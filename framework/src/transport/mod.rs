//! Transports: how an act or an event leaves this node and reaches another.
//!
//! Every transport has a client side, a [`Client`], registered in a node's router under a *pin*
//! pattern with [`NodeBuilder::client`](crate::NodeBuilder::client): a more specific local
//! action still wins over the pin, and a client with an empty pin is the catch-all. The
//! listener side receives messages and dispatches them into the local node.
//!
//! | transport | module | feature |
//! |---|---|---|
//! | in-process, with fault injection | [`local`] | always on |
//! | HTTP (Seneca's web wire format) | `http` (see `docs/transports.md`) | `http` (default) |
//! | AMQP / RabbitMQ (seneca-amqp-transport's topology) | `amqp` | `amqp` (default) |
//! | NATS: request/reply for acts, JetStream for durable events | `nats` | `nats` |
//!
//! Which transports a service uses is configuration ([`crate::config`]): a config that names a
//! transport whose feature is off fails with an error naming the feature.

#[cfg(feature = "amqp")]
pub mod amqp;
pub(crate) mod configured;
#[cfg(feature = "http")]
pub mod http;
pub mod local;
#[cfg(feature = "nats")]
pub mod nats;
mod ready;
#[cfg(any(feature = "amqps", feature = "https"))]
pub(crate) mod tls;

use std::fmt;

use crate::action::BoxFuture;
use crate::error::Error;
use crate::node::Node;

pub use crate::contract::{Client, Delivered, Delivery, Disposition, Inbound, Redelivery};
pub(crate) use configured::listener_from;
pub use ready::{Readiness, ReadinessState};

/// The listener side of a transport: receives acts and events and dispatches them into a node
/// with [`Node::act_from`] and [`Node::deliver`] (or [`Node::emit_from`], for a transport
/// that does not settle messages), building each message's meta with [`Inbound`].
///
/// A listener is bound (its address taken) when it is created, so that a port conflict is an
/// error at start-up; [`serve`](Self::serve) then runs it.
pub trait Listener: fmt::Debug + Send + 'static {
    /// The transport's name (`"http"`, `"amqp"`).
    fn transport(&self) -> &'static str;

    /// Where it listens, for logs and clients (`http://127.0.0.1:10101/act`).
    fn address(&self) -> String;

    /// Whether it can take messages now, as a flag it keeps up to date while it serves —
    /// [`Readiness::set_not_ready`] says why not (read by
    /// [`Server::readiness`](crate::Server::readiness) and the admin endpoint's `/readyz`).
    /// The default: always ready.
    fn readiness(&self) -> Readiness {
        Readiness::new(true)
    }

    /// Serves `node` until it is [closed](Node::close), then stops taking new messages and
    /// finishes the ones in flight.
    fn serve(self: Box<Self>, node: Node) -> BoxFuture<Result<(), Error>>;
}
