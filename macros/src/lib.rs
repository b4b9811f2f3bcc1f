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
/// ```text
/// #[porticus::action("role:math,cmd:sum")]
/// async fn sum(req: Sum, ctx: Context) -> Result<Total, ActError> { … }
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
/// - `crate = "path"`: where the `porticus` crate is, for crates that re-export it
///   (default `::porticus`).
///
/// ```text
/// #[porticus::action("role:math,cmd:sum", override, crate = "my_facade::porticus")]
/// ```
#[proc_macro_attribute]
pub fn action(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(Kind::Action, args, item)
}

/// Registers an `async fn` as a subscriber to the events matching a pattern.
///
/// ```text
/// #[porticus::event("event:order_shipped")]
/// async fn notify(ev: OrderShipped, ctx: Context) -> Result<(), ActError> { … }
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
