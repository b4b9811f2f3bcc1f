//! Delivering an event from a transport to each local subscriber and reporting how each one
//! did, so that a broker-backed transport can settle it (see [`crate::transport::Disposition`]).

use std::collections::HashSet;

use futures_util::future::join_all;
use serde_json::Value;
use tokio::time::Instant;

use super::registry::Subscriber;
use super::stats::{NodeStats, Side};
use super::Node;
use crate::contract::{Delivered, Delivery};
use crate::error::ActError;
use crate::message::{split, Meta};
use crate::pattern::Pattern;

impl Node {
    /// The patterns this node's local `#[event]` handlers subscribe to, sorted, each once:
    /// what a broker-backed listener binds its event queue or consumer with.
    ///
    /// ```
    /// use porticus::{ActError, Node};
    /// use serde_json::Value;
    ///
    /// let ok = |_: Value| async { Ok::<_, ActError>(()) };
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .subscribe("event:shipped", ok)
    ///     .subscribe("event:paid", ok)
    ///     .subscribe("event:shipped", ok)
    ///     .build()?;
    /// let subscribed: Vec<String> = node.subscriptions().iter().map(|p| p.to_string()).collect();
    /// assert_eq!(subscribed, ["event:paid", "event:shipped"]);
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn subscriptions(&self) -> &[Pattern] {
        &self.inner.router.subscriptions
    }

    /// Delivers an event that arrived from a broker to every local subscriber it matches —
    /// except those named in `skip`, which handled an earlier delivery of the same message —
    /// concurrently, and waits for all of them. Never forwarded to a transport client.
    ///
    /// Unlike [`emit_from`](Node::emit_from) it reports each subscriber's outcome, from which
    /// [`Delivery::disposition`] says how to settle the message; and it does not refuse when
    /// the node is closed (a listener finishing its in-flight deliveries calls it).
    ///
    /// ```
    /// use porticus::transport::{Delivery, Disposition, Inbound, Redelivery};
    /// use porticus::{ActError, Node};
    /// use serde_json::{json, Value};
    /// use std::collections::HashSet;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .subscribe("event:paid", |_: Value| async { Ok::<_, ActError>(()) })
    ///     .subscribe("event:paid", |_: Value| async { Err::<(), _>(ActError::execute("ledger down")) })
    ///     .build()?;
    /// let meta = Inbound::default().meta(node.default_timeout());
    /// let delivery: Delivery = node.deliver(json!({"event": "paid"}), meta, &HashSet::new()).await?;
    /// assert_eq!(delivery.succeeded().count(), 1);
    /// assert_eq!(delivery.failed().count(), 1);
    /// assert!(matches!(delivery.disposition(1, &Redelivery::default()), Disposition::Retry { .. }));
    ///
    /// // The redelivery runs only the subscriber that failed.
    /// let skip: HashSet<String> = delivery.succeeded().map(str::to_owned).collect();
    /// let meta = Inbound::default().meta(node.default_timeout());
    /// let again = node.deliver(json!({"event": "paid"}), meta, &skip).await?;
    /// assert_eq!(again.iter().count(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `act_invalid_msg` when `event` is not an object or carries a malformed directive (a
    /// permanent error: see [`Disposition::for_error`](crate::transport::Disposition::for_error)).
    ///
    /// # Cancel safety
    /// Dropping the future abandons the subscribers at their next `.await`.
    pub async fn deliver(
        &self,
        event: Value,
        meta: Meta,
        skip: &HashSet<String>,
    ) -> Result<Delivery, ActError> {
        let (event, mut directives) = split(event)?;
        let meta = meta.apply(&mut directives);
        let event = Value::Object(event);
        NodeStats::count(&self.inner.stats.received);
        let runs = self
            .subscribers(&event)
            .filter_map(|s| match s {
                Subscriber::Handler(route) => Some(route.clone()),
                Subscriber::Client { .. } => None,
            })
            .filter(|route| !skip.contains(route.describe().as_ref()))
            .map(|route| {
                let (event, meta) = (event.clone(), meta.clone());
                async move {
                    let subscriber = route.describe().into_owned();
                    let outcome = self
                        .run(route, event, meta, Side::Server, Instant::now())
                        .await
                        .map(drop);
                    Delivered {
                        subscriber,
                        outcome,
                    }
                }
            });
        Ok(Delivery::from(join_all(runs).await))
    }
}
