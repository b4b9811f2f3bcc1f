//! [`Schemas`]: the JSON Schemas of a handler's input and output, and the handler wrapper that
//! carries them (`#[action("…", schema)]`).

use serde_json::Value;

#[cfg(feature = "schema")]
use super::handler::{BoxFuture, BoxHandler, ErasedHandler};
#[cfg(feature = "schema")]
use crate::context::Context;
#[cfg(feature = "schema")]
use crate::error::ActError;

/// The JSON Schemas (draft 2020-12) of one handler: what it accepts and, for an action, what it
/// replies.
///
/// Made by `#[action("…", schema)]` / `#[event("…", schema)]` (feature `schema`) from types
/// deriving `schemars::JsonSchema`; listed by [`Node::schemas`](crate::Node::schemas) and
/// `role:porticus,service:<name>,cmd:schema`.
///
/// ```
/// use porticus::Schemas;
/// use serde_json::json;
///
/// let schemas = Schemas::new(json!({"type": "object"}), Some(json!({"type": "integer"})));
/// assert_eq!(schemas.input()["type"], "object");
/// assert_eq!(schemas.output().unwrap()["type"], "integer");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Schemas {
    input: Value,
    output: Option<Value>,
}

impl Schemas {
    /// The schemas of an input and, for an action, of its output (`None` for an event).
    ///
    /// ```
    /// let event = porticus::Schemas::new(serde_json::json!({"type": "object"}), None);
    /// assert!(event.output().is_none());
    /// ```
    pub fn new(input: Value, output: Option<Value>) -> Self {
        Schemas { input, output }
    }

    /// The schema of the input message (directives excluded).
    ///
    /// ```
    /// let schemas = porticus::Schemas::new(serde_json::json!(true), None);
    /// assert_eq!(schemas.input(), &serde_json::json!(true));
    /// ```
    pub fn input(&self) -> &Value {
        &self.input
    }

    /// The schema of the reply, for an action; `None` for an event subscriber.
    ///
    /// ```
    /// let schemas = porticus::Schemas::new(serde_json::json!(true), Some(serde_json::json!(false)));
    /// assert_eq!(schemas.output(), Some(&serde_json::json!(false)));
    /// ```
    pub fn output(&self) -> Option<&Value> {
        self.output.as_ref()
    }
}

/// A handler with its schemas attached.
#[cfg(feature = "schema")]
struct WithSchemas {
    handler: BoxHandler,
    schemas: Schemas,
}

#[cfg(feature = "schema")]
impl ErasedHandler for WithSchemas {
    fn call(&self, msg: Value, ctx: Context) -> BoxFuture<Result<Value, ActError>> {
        self.handler.call(msg, ctx)
    }

    fn types(&self) -> (&'static str, &'static str) {
        self.handler.types()
    }

    fn schemas(&self) -> Option<&Schemas> {
        Some(&self.schemas)
    }
}

/// Attaches `schemas` to `handler`: the router calls it as before, and
/// [`ErasedHandler::schemas`] returns them.
#[cfg(feature = "schema")]
pub(crate) fn with_schemas(handler: BoxHandler, schemas: Schemas) -> BoxHandler {
    std::sync::Arc::new(WithSchemas { handler, schemas })
}
