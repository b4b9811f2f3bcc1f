//! The transport contract: everything a transport needs from the core, all of it public, so
//! that a transport written in another crate can do what the built-in ones do.
//!
//! - the client side implements [`Client`] and is routed under a pin like an action;
//! - a listener turns what it read off the wire into a [`Meta`](crate::Meta) with [`Inbound`],
//!   hands acts to [`Node::act_from`](crate::Node::act_from), and events to
//!   [`Node::deliver`](crate::Node::deliver), which reports each local subscriber's outcome
//!   as a [`Delivery`];
//! - a broker-backed listener settles each message by the [`Disposition`] derived from that
//!   outcome ([`Delivery::disposition`], [`Disposition::after_act`]) — ack, retry after a
//!   delay, requeue, or dead-letter — never by comparing error codes itself.
//!
//! These items are re-exported from [`crate::transport`]; `docs/architecture.md` ("Writing a
//! transport") walks through a complete one.

mod client;
mod delivery;
mod disposition;
mod inbound;

pub use client::Client;
pub use delivery::{Delivered, Delivery};
pub use disposition::{Disposition, Redelivery};
pub use inbound::Inbound;
