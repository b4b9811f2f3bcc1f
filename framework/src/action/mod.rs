//! Actions and event subscribers: the [`Handler`] trait and the registration records the
//! `#[action]` / `#[event]` macros submit.

mod handler;
mod registration;
mod schemas;
#[cfg(feature = "validate")]
mod validation;

pub(crate) use handler::erase;
pub use handler::{BoxFuture, BoxHandler, ErasedHandler, Handler};
pub use registration::{Kind, Registration};
#[cfg(feature = "schema")]
pub(crate) use schemas::with_schemas;
pub use schemas::Schemas;
#[cfg(feature = "validate")]
pub use validation::validate;
