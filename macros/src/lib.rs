//! Attribute macros for [Porticus](https://github.com/porticus/porticus): `#[action]` and
//! `#[event]`.
//!
//! Do not depend on this crate directly: use `porticus` with its `macros` feature (on by default),
//! which re-exports both attributes as `porticus::action` and `porticus::event` and documents them
//! with runnable examples.
//!
//! Each attribute keeps the function as written and registers it, at link time, in the
//! inventory the node builds its router from:
//!
//! ```text
//! #[porticus::action("role:math,cmd:sum")]
//! async fn sum(req: Sum, ctx: porticus::Context) -> Result<Total, porticus::ActError> { … }
//!
//! #[porticus::event("event:order_shipped")]
//! async fn notify(ev: OrderShipped) -> Result<(), porticus::ActError> { … }
//! ```
//!
//! Mistakes are compile errors pointing at the token that causes them: a malformed pattern, a
//! function that is not `async`, generic, a method, or without a `Result` return type, and an
//! input type that is not `Deserialize` or an output type that is not `Serialize`.
//!
//! The expansion is the function followed by a `const _: () = { … };` block that only refers to
//! `::porticus::__private`, an unstable, hidden module that only this crate may use.

mod args;
mod errors;
mod expand;
mod kind;
mod pattern;
mod validate;

use proc_macro::TokenStream;
use quote::quote;

use crate::kind::Kind;

/// Registers an `async fn` as the action answering a pattern.
///
/// ```
/// use porticus::{ActError, Context, Node};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize)]
/// struct Sum { left: f64, right: f64 }
///
/// #[derive(Serialize, Deserialize)]
/// struct Total { answer: f64 }
///
/// #[porticus::action("role:math,cmd:sum")]
/// async fn sum(req: Sum, _ctx: Context) -> Result<Total, ActError> {
///     Ok(Total { answer: req.left + req.right })
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder().build()?; // every #[action] linked into the binary
/// let total: Total = node
///     .act_as("role:math,cmd:sum", serde_json::json!({ "left": 1, "right": 2 }))
///     .await?;
/// assert_eq!(total.answer, 3.0);
/// # Ok(()) }
/// ```
///
/// The handler takes the input message (any `serde::Deserialize` type, or `serde_json::Value`),
/// optionally followed by the `porticus::Context`, and returns `Result<Output, Error>` where
/// `Output: serde::Serialize` and `Error: Into<ActError>`. It must be a free, non-generic
/// `async fn`.
///
/// Arguments, after the pattern string:
///
/// - `override`: replace an action already registered for the same pattern (the replaced one
///   stays reachable as its prior). Without it, two actions for one pattern fail at startup.
/// - `idempotent`: running it twice does no harm, so a `[[policy]]` with `retries` also
///   retries its timeouts and `overloaded` (`docs/resilience.md`).
/// - `concurrency = N`, `queue = M`: at most `N` acts of it run at once in the node, at most
///   `M` more wait (default 0); past that an act fails at once with `overloaded`.
/// - `crate = "path"`: where the `porticus` crate is, for crates that re-export it
///   (default `::porticus`).
///
/// ```
/// use porticus::{ActError, Context, Node};
/// use serde_json::{json, Value};
///
/// mod my_facade {
///     pub use ::porticus;
/// }
///
/// #[porticus::action("role:greet")]
/// async fn greet(_msg: Value) -> Result<String, ActError> {
///     Ok("hello".into())
/// }
///
/// // Replaces `greet`, which stays reachable as its prior.
/// #[porticus::action("role:greet", override, crate = "my_facade::porticus")]
/// async fn shout(msg: Value, ctx: Context) -> Result<String, ActError> {
///     let greeting: String = ctx.prior_as(msg).await?;
///     Ok(greeting.to_uppercase())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder().build()?;
/// assert_eq!(node.act(json!({ "role": "greet" })).await?, json!("HELLO"));
/// # Ok(()) }
/// ```
#[proc_macro_attribute]
pub fn action(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(Kind::Action, args, item)
}

/// Registers an `async fn` as a subscriber to the events matching a pattern.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// use porticus::{ActError, Node};
/// use serde::Deserialize;
///
/// static LAST_SHIPPED: AtomicU64 = AtomicU64::new(0);
///
/// #[derive(Deserialize)]
/// struct OrderShipped { order: u64 }
///
/// #[porticus::event("event:order_shipped")]
/// async fn notify(ev: OrderShipped) -> Result<(), ActError> {
///     LAST_SHIPPED.store(ev.order, Ordering::SeqCst);
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder().build()?; // every #[event] linked into the binary
/// node.emit(serde_json::json!({ "event": "order_shipped", "order": 7 })).await?;
/// // `emit` returns once the event is handed over; the subscriber runs in its own task.
/// while LAST_SHIPPED.load(Ordering::SeqCst) == 0 {
///     tokio::task::yield_now().await;
/// }
/// assert_eq!(LAST_SHIPPED.load(Ordering::SeqCst), 7);
/// # Ok(()) }
/// ```
///
/// The handler has the shape of an action's but returns `Result<(), Error>`: an event has no
/// reply. Every subscriber receives each event, so `override` is not accepted; `crate = "path"`
/// is, as for `#[action]`.
#[proc_macro_attribute]
pub fn event(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(Kind::Event, args, item)
}

/// Runs the expansion; on error, emits the item unchanged next to the errors, so that the rest of
/// the crate still sees the function (and IDEs keep resolving it).
fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match expand::attribute(kind, args.into(), item.clone()) {
        Ok(expanded) => expanded.into(),
        Err(errors) => {
            let errors = errors.into_compile_error();
            quote!(#item #errors).into()
        }
    }
}
