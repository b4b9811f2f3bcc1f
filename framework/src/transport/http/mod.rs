//! The HTTP transport (feature `http`, on by default): Seneca's web wire format, so that `curl`
//! and a stock Seneca.js client or listener talk to it.
//!
//! - [`HttpListener`] serves `POST /act` (path configurable) on axum over hyper, with its own
//!   header, body, idle and age deadlines, a connection limit and a request limit;
//! - [`HttpClient`] posts acts and events through one pooled keep-alive connection pool and
//!   rebuilds the remote [`ActError`](crate::ActError) exactly.
//!
//! Both are normally made from configuration (`[[listen]] type = "http"`,
//! `[[client]] type = "http"`; see [`crate::config`]).
//!
//! With the feature `https`, a listener given `tls_cert_file` and `tls_key_file` serves TLS
//! (each connection's handshake within its header deadline), and a client posts to `https://`
//! URLs, trusting `tls_ca_file` or the system's roots; `docs/transports.md`, "TLS (`https`)".
//!
//! # Wire format
//!
//! Request: `POST {path}`, body = the message as JSON, without its directives (any content
//! type is read as JSON; `custom$` and other `…$` keys are dropped). Headers, all optional:
//!
//! | header | meaning |
//! |---|---|
//! | `seneca-id` | `mi/tx`: message and transaction id |
//! | `seneca-origin` | the calling instance |
//! | `porticus-timeout-ms` | the caller's remaining time; without it, the node's default timeout |
//! | `traceparent` | W3C trace context |
//! | `porticus-kind` | `event` for an emitted event, else `act` |
//!
//! Response: `200` + the bare JSON result (`null` when the action replied nothing); an event
//! is answered `202` (empty body) once handed to the subscribers. An error is a non-2xx status
//! with the [`ActError`](crate::ActError) as the body, `{"code", "message", "details"?}`:
//!
//! | status | code |
//! |---|---|
//! | 400 | `act_invalid_msg` (malformed JSON, not an object, a field of the wrong type) |
//! | 404 | `act_not_found` (no action matches), `no_route` (wrong path) |
//! | 405 | `method_not_allowed` (not `POST`) |
//! | 408 | `request_timeout` (the body did not arrive in time) |
//! | 413 | `payload_too_large` (body over `max_body_bytes`) |
//! | 502 | `transport_unavailable` (an onward hop is down) |
//! | 503 | `overloaded` (too many requests at once), `closed` (shutting down) |
//! | 504 | `action_timeout` |
//! | 500 | `act_execute` and every handler-defined code |
//!
//! Every response echoes the request's `seneca-id` and `seneca-origin` (a Seneca client drops a
//! reply without them), and says `seneca-kind: res` and `seneca-accept: <instance>`.
//! `docs/transports.md` has the details.

/// The transport's name: its clients' and listeners' `transport()`, the `transport` label of
/// its metrics and of the messages its listeners receive.
const TRANSPORT: &str = "http";

mod accept;
mod client;
mod connection;
mod deadlines;
mod endpoint;
mod listener;
mod pool;
mod tls;
mod wire;

pub use client::HttpClient;
pub use listener::HttpListener;
/// The gateway answers an error with the status this transport gives its code.
#[cfg(feature = "gateway")]
pub(crate) use wire::{status_of, REQUEST_TIMEOUT};
/// The gateway is served by the listener's accept loop, with its limits.
#[cfg(feature = "gateway")]
pub(crate) use {
    accept::{serve as serve_connections, Serving},
    connection::{Limits, Respond},
    tls::{server as server_tls, ServerTls},
};
