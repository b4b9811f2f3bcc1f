//! [`Client`]: the client side of a transport, a route target like an action.

use std::fmt;

use serde_json::Value;

use crate::action::BoxFuture;
use crate::error::ActError;
use crate::message::Meta;

/// The client side of a transport: forwards acts and events to another node.
///
/// A client is registered in a node's router under a *pin* pattern
/// ([`NodeBuilder::client`](crate::NodeBuilder::client)): acts matching the pin go to
/// [`act`](Self::act), events matching it to [`emit`](Self::emit). `msg` is the message
/// without its directives; `meta` carries the ids, the deadline and the trace context, which
/// the transport puts on the wire ([`Meta::id`], [`Meta::remaining`],
/// [`Meta::outbound_traceparent`]).
///
/// ```
/// use porticus::transport::Client;
/// use porticus::{ActError, BoxFuture, Meta, Node};
/// use serde_json::{json, Value};
///
/// /// Answers every act with its own message id; takes every event.
/// #[derive(Debug)]
/// struct Stamp;
///
/// impl Client for Stamp {
///     fn transport(&self) -> &'static str { "stamp" }
///     fn act(&self, _msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>> {
///         let id = meta.message_id().to_owned();
///         Box::pin(async move { Ok(json!({ "id": id })) })
///     }
///     fn emit(&self, _event: Value, _meta: Meta) -> BoxFuture<Result<(), ActError>> {
///         Box::pin(async { Ok(()) })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder().without_registered().client("role:stamp", Stamp).build()?;
/// let reply = node.act(json!({"role": "stamp", "id$": "m1/t1"})).await?;
/// assert_eq!(reply, json!({"id": "m1"}));
/// # Ok(()) }
/// ```
pub trait Client: fmt::Debug + Send + Sync + 'static {
    /// The transport's name, used in spans, metrics and errors (`"local"`, `"http"`, `"amqp"`).
    fn transport(&self) -> &'static str;

    /// Sends an act and waits for its reply.
    fn act(&self, msg: Value, meta: Meta) -> BoxFuture<Result<Value, ActError>>;

    /// Hands an event over to the transport; resolves once it is accepted, not handled.
    fn emit(&self, event: Value, meta: Meta) -> BoxFuture<Result<(), ActError>>;

    /// Whether [`act`](Self::act) itself always resolves by the meta's deadline (with
    /// `action_timeout`, or an error of its own). The node then arms no deadline timer of its
    /// own for the act — one timer per remote act saved. The default, `false`, is always
    /// safe: the node bounds the act.
    ///
    /// ```
    /// use porticus::config::HttpClientConfig;
    /// use porticus::transport::http::HttpClient;
    /// use porticus::transport::Client;
    ///
    /// // The HTTP client bounds every exchange, connecting included, by the act's deadline.
    /// assert!(HttpClient::new(&HttpClientConfig::default())?.enforces_deadline());
    /// # Ok::<_, porticus::Error>(())
    /// ```
    fn enforces_deadline(&self) -> bool {
        false
    }

    /// Releases the client's connections (a later act or emit may open new ones). Called by
    /// [`Server::shutdown`](crate::Server::shutdown) once the listeners stopped; the default
    /// does nothing.
    fn close(&self) -> BoxFuture<()> {
        Box::pin(async {})
    }
}
