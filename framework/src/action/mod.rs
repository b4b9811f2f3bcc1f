//! Actions and event subscribers: the [`Handler`] trait and the registration records the
//! `#[action]` / `#[event]` macros submit.

mod handler;
mod registration;

pub(crate) use handler::erase;
pub use handler::{BoxFuture, BoxHandler, ErasedHandler, Handler};
pub use registration::{Kind, Registration};
