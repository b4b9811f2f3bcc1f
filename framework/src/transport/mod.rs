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
//!
//! Which transports a service uses is configuration ([`crate::config`]): a config that names a
//! transport whose feature is off fails with an error naming the feature.

#[cfg(feature = "amqp")]
pub mod amqp;
mod configured;
#[cfg(feature = "http")]
pub mod http;
pub mod local;
mod ready;

use std::fmt;

use serde_json::Value;

use crate::action::BoxFuture;
use crate::error::{ActError, Error};
use crate::message::Meta;
use crate::node::Node;

pub(crate) use configured::{client_from, listener_from};
pub use ready::Readiness;

/// The client side of a transport: forwards acts and events to another node.
///
/// `msg` is the message without its directives; `meta` carries the ids, the deadline and the
/// trace context, which the transport puts on the wire.
pub trait Client: fmt::Debug + Send + Sync + 'static {
    /// The transport's name, used in spans, metrics and errors (`"local"`, `"http"`, `"amqp"`).
    fn transport(&self) -> &'static str;

    /// Sends an act and waits for its reply.
    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>>;

    /// Hands an event over to the transport; resolves once it is accepted, not handled.
    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>>;

    /// Releases the client's connections (a later act or emit may open new ones). Called by
    /// [`Server::shutdown`](crate::Server::shutdown) once the listeners stopped; the default
    /// does nothing.
    fn close(&self) -> BoxFuture<()> {
        Box::pin(async {})
    }
}

/// The listener side of a transport: receives acts and events and dispatches them into a node
/// with [`Node::act_from`] and [`Node::emit_from`].
///
/// A listener is bound (its address taken) when it is created, so that a port conflict is an
/// error at start-up; [`serve`](Self::serve) then runs it.
pub trait Listener: fmt::Debug + Send + 'static {
    /// The transport's name (`"http"`, `"amqp"`).
    fn transport(&self) -> &'static str;

    /// Where it listens, for logs and clients (`http://127.0.0.1:10101/act`).
    fn address(&self) -> String;

    /// Whether it can take messages now, as a flag it keeps up to date while it serves (read
    /// by [`Server::is_ready`](crate::Server::is_ready)). The default: always ready.
    fn readiness(&self) -> Readiness {
        Readiness::new(true)
    }

    /// Serves `node` until it is [closed](Node::close), then stops taking new messages and
    /// finishes the ones in flight.
    fn serve(self: Box<Self>, node: Node) -> BoxFuture<Result<(), Error>>;
}
