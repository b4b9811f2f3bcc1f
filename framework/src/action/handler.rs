//! The [`Handler`] trait, implemented for every fitting `async fn`.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::error::{ActError, Code};

/// A boxed, sendable future, as returned by [`ErasedHandler::call`].
///
/// ```
/// use porticus::BoxFuture;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let answer: BoxFuture<u32> = Box::pin(async { 42 });
/// assert_eq!(answer.await, 42);
/// # }
/// ```
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Something that can handle a message: implemented for every `async fn` (or closure
/// returning a future) of the shape
///
/// ```text
/// async fn(Input) -> Result<Output, E>
/// async fn(Input, Context) -> Result<Output, E>
/// ```
///
/// where `Input: DeserializeOwned`, `Output: Serialize` and `E: Into<ActError>`.
/// `Input` is deserialized from the message without its directives; unknown fields are
/// ignored unless the type forbids them. Use [`serde_json::Value`] as `Input` to receive the
/// raw message.
///
/// The type parameter `A` only tells the two shapes apart; callers never name it.
///
/// ```
/// use porticus::{ActError, Context, Node};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Sum { left: i64, right: i64 }
///
/// async fn sum(req: Sum) -> Result<i64, ActError> { Ok(req.left + req.right) }
/// async fn echo(msg: serde_json::Value, _ctx: Context) -> Result<serde_json::Value, ActError> { Ok(msg) }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder()
///     .without_registered()
///     .add("role:math,cmd:sum", sum)
///     .add("role:echo", echo)
///     .build()?;
/// let reply = node.act(serde_json::json!({"role": "math", "cmd": "sum", "left": 1, "right": 2})).await?;
/// assert_eq!(reply, 3);
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a porticus handler",
    label = "not an `async fn(Input[, Context]) -> Result<Output, E>`",
    note = "a handler is an `async fn(Input) -> Result<Output, E>` or `async fn(Input, Context) -> Result<Output, E>`",
    note = "where `Input: serde::de::DeserializeOwned`, `Output: serde::Serialize` and `E: Into<porticus::ActError>`"
)]
pub trait Handler<A>: Clone + Send + Sync + 'static {
    /// What the handler replies with on success.
    type Output: Serialize;

    /// Runs the handler on `msg` (a JSON object without directives).
    fn call(&self, msg: Value, ctx: Context) -> BoxFuture<Result<Value, ActError>>;

    /// The name of the type the input is decoded into, as `role:porticus,cmd:info` reports
    /// it. The default names [`serde_json::Value`]; every `async fn` handler names its own.
    ///
    /// ```
    /// use porticus::{ActError, Handler};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Sum { left: i64, right: i64 }
    ///
    /// async fn sum(req: Sum) -> Result<i64, ActError> { Ok(req.left + req.right) }
    ///
    /// fn input_of<A, H: Handler<A>>(handler: &H) -> &'static str { handler.input_type() }
    /// assert!(input_of(&sum).ends_with("Sum"));
    /// ```
    fn input_type(&self) -> &'static str {
        std::any::type_name::<Value>()
    }
}

/// Marker for handlers taking only the input.
#[doc(hidden)]
#[derive(Debug)]
pub enum InputOnly {}

/// Marker for handlers taking the input and a [`Context`].
#[doc(hidden)]
#[derive(Debug)]
pub enum WithContext {}

impl<F, Fut, I, O, E> Handler<(InputOnly, I)> for F
where
    F: Fn(I) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    I: DeserializeOwned + Send + 'static,
    O: Serialize + 'static,
    E: Into<ActError>,
{
    type Output = O;

    fn call(&self, msg: Value, ctx: Context) -> BoxFuture<Result<Value, ActError>> {
        run(msg, ctx, |input, _| self(input))
    }

    fn input_type(&self) -> &'static str {
        std::any::type_name::<I>()
    }
}

impl<F, Fut, I, O, E> Handler<(WithContext, I)> for F
where
    F: Fn(I, Context) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    I: DeserializeOwned + Send + 'static,
    O: Serialize + 'static,
    E: Into<ActError>,
{
    type Output = O;

    fn call(&self, msg: Value, ctx: Context) -> BoxFuture<Result<Value, ActError>> {
        run(msg, ctx, self)
    }

    fn input_type(&self) -> &'static str {
        std::any::type_name::<I>()
    }
}

/// Decodes the input, starts the handler through `start`, and encodes its reply.
fn run<I, O, E, Fut>(
    msg: Value,
    ctx: Context,
    start: impl FnOnce(I, Context) -> Fut,
) -> BoxFuture<Result<Value, ActError>>
where
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    I: DeserializeOwned + 'static,
    O: Serialize + 'static,
    E: Into<ActError>,
{
    let input = match decode::<I>(msg, &ctx) {
        Ok(input) => input,
        Err(err) => return Box::pin(std::future::ready(Err(err))),
    };
    let pattern = ctx.pattern_arc();
    let fut = start(input, ctx);
    Box::pin(async move {
        let out = fut.await.map_err(Into::into)?;
        encode(out, &pattern)
    })
}

/// Takes the value out of `slot` as a `T` when `T` is its own type (a handler that takes or
/// returns the raw `serde_json::Value`): moved, rather than copied through serde.
fn take_as<V: 'static, T: 'static>(slot: &mut Option<V>) -> Option<T> {
    (slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()
        .and_then(Option::take)
}

/// Deserializes a handler's input from the message, naming the offending field on failure.
fn decode<I: DeserializeOwned + 'static>(msg: Value, ctx: &Context) -> Result<I, ActError> {
    let mut slot = Some(msg);
    if let Some(input) = take_as::<Value, I>(&mut slot) {
        return Ok(input);
    }
    let msg = &slot.unwrap_or_default();
    match I::deserialize(msg) {
        Ok(input) => Ok(input),
        Err(_) => {
            // Re-run with path tracking: only on the error path, so the fast path stays plain.
            let err = serde_path_to_error::deserialize::<_, I>(msg)
                .err()
                .map(|e| (e.path().to_string(), e.into_inner().to_string()))
                .unwrap_or_else(|| (".".into(), "invalid message".into()));
            Err(invalid_input(ctx.pattern(), &err.0, &err.1))
        }
    }
}

fn invalid_input(pattern: &str, path: &str, error: &str) -> ActError {
    let message = if path == "." {
        format!("invalid message for `{pattern}`: {error}")
    } else {
        format!("invalid message for `{pattern}`: field `{path}`: {error}")
    };
    ActError::new(Code::ACT_INVALID_MSG, message).with_details(serde_json::json!({
        "pattern": pattern,
        "field": path,
        "error": error,
    }))
}

fn encode<O: Serialize + 'static>(out: O, pattern: &str) -> Result<Value, ActError> {
    let mut slot = Some(out);
    if let Some(value) = take_as::<O, Value>(&mut slot) {
        return Ok(value);
    }
    // `Some(out)` serializes as `out` itself.
    serde_json::to_value(&slot).map_err(|e| {
        ActError::execute(format!(
            "reply of `{pattern}` could not be serialized to JSON: {e}"
        ))
    })
}

/// A handler with its types erased, as stored in the router.
///
/// The router makes one from each [`Handler`]; implementing it by hand is rarely needed. Its
/// [`call`](Self::call) takes a [`Context`], which only the node creates, so it is the node
/// that calls it.
///
/// ```
/// use porticus::{ActError, BoxFuture, BoxHandler, Context, ErasedHandler};
/// use serde_json::Value;
/// use std::sync::Arc;
///
/// struct Echo;
///
/// impl ErasedHandler for Echo {
///     fn call(&self, msg: Value, _ctx: Context) -> BoxFuture<Result<Value, ActError>> {
///         Box::pin(async move { Ok(msg) })
///     }
/// }
///
/// let handler: BoxHandler = Arc::new(Echo);
/// assert_eq!(format!("{handler:?}"), "ErasedHandler");
/// ```
pub trait ErasedHandler: Send + Sync + 'static {
    /// Runs the handler on `msg` (a JSON object without directives).
    fn call(&self, msg: Value, ctx: Context) -> BoxFuture<Result<Value, ActError>>;

    /// The names of the input and output types, as `role:porticus,cmd:info` reports them.
    /// The default: `("unknown", "unknown")`.
    ///
    /// ```
    /// use porticus::{ActError, BoxHandler, Registration};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Sum { left: i64, right: i64 }
    ///
    /// #[porticus::action("role:math,cmd:sum")]
    /// async fn sum(req: Sum) -> Result<i64, ActError> { Ok(req.left + req.right) }
    ///
    /// # fn main() {
    /// let handler: BoxHandler = (Registration::all().find(|r| r.name == "sum").unwrap().make)();
    /// let (input, output) = handler.types();
    /// assert!(input.ends_with("Sum"), "{input}");
    /// assert_eq!(output, "i64");
    /// # }
    /// ```
    fn types(&self) -> (&'static str, &'static str) {
        ("unknown", "unknown")
    }

    /// The JSON Schemas of the input and output, when the handler was registered with
    /// `#[action("…", schema)]` (feature `schema`). The default: `None`.
    ///
    /// ```
    /// use porticus::{ActError, BoxHandler, Registration};
    /// use serde_json::Value;
    ///
    /// #[porticus::action("role:echo")]
    /// async fn echo(msg: Value) -> Result<Value, ActError> { Ok(msg) }
    ///
    /// # fn main() {
    /// let handler: BoxHandler = (Registration::all().find(|r| r.name == "echo").unwrap().make)();
    /// assert!(handler.schemas().is_none());
    /// # }
    /// ```
    fn schemas(&self) -> Option<&crate::action::Schemas> {
        None
    }
}

struct Erased<H, A> {
    handler: H,
    _marker: std::marker::PhantomData<fn() -> A>,
}

impl<H: Handler<A>, A: 'static> ErasedHandler for Erased<H, A> {
    fn call(&self, msg: Value, ctx: Context) -> BoxFuture<Result<Value, ActError>> {
        self.handler.call(msg, ctx)
    }

    fn types(&self) -> (&'static str, &'static str) {
        (
            self.handler.input_type(),
            std::any::type_name::<H::Output>(),
        )
    }
}

/// A shared, type-erased handler.
///
/// Every [`Registration`](crate::Registration) makes one with its `make` function:
///
/// ```
/// use porticus::{ActError, BoxHandler, Registration};
/// use serde_json::Value;
///
/// #[porticus::action("role:echo")]
/// async fn echo(msg: Value) -> Result<Value, ActError> { Ok(msg) }
///
/// # fn main() {
/// let registration = Registration::all().find(|r| r.name == "echo").expect("registered");
/// let handler: BoxHandler = (registration.make)();
/// let shared = handler.clone(); // an `Arc`: clones share the handler
/// assert!(std::sync::Arc::ptr_eq(&handler, &shared));
/// # }
/// ```
pub type BoxHandler = Arc<dyn ErasedHandler>;

/// Erases the types of `handler`.
pub(crate) fn erase<H: Handler<A>, A: 'static>(handler: H) -> BoxHandler {
    Arc::new(Erased {
        handler,
        _marker: std::marker::PhantomData,
    })
}

impl std::fmt::Debug for dyn ErasedHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ErasedHandler")
    }
}
