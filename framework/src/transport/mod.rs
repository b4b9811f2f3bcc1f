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

pub mod local;

use std::fmt;

use serde_json::Value;

use crate::action::BoxFuture;
use crate::error::ActError;
use crate::message::Meta;

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
}
