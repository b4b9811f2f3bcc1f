//! The admin HTTP endpoint (feature `admin`, on by default): `GET /livez` and `GET /readyz`
//! on `[admin] bind`, served with hyper directly (no router: a handful of fixed paths).
//!
//! Started by [`Node::start`](crate::Node::start) when `[admin] bind` is set, stopped by the
//! server's shutdown; [`Server::admin_address`](crate::Server::admin_address) says where it
//! listens. Every answer is JSON (an unknown path is 404, another method than `GET` is 405)
//! and uncacheable. `docs/operations.md` describes the probes and the drain.
//!
//! Pages are added by name (`Pages::with`): the probes are two `Page`s; another page
//! (metrics) is one more `with` where the endpoint is put together, in `serve/admin.rs`.

mod endpoint;
mod pages;
mod probes;
mod timestamp;

pub(crate) use endpoint::{Bound, Running};
pub(crate) use pages::Pages;
#[cfg(feature = "metrics")]
pub(crate) use pages::{Asked, Page, Reply};
pub(crate) use probes::{Livez, Readyz};
