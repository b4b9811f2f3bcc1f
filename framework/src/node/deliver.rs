//! Delivering an event from a transport to each local subscriber and reporting how each one
//! did, so that a broker-backed transport can ack, retry or dead-letter it.

use std::collections::HashSet;

use futures_util::future::join_all;
use serde_json::Value;

use super::registry::Subscriber;
use super::Node;
use crate::error::ActError;
use crate::message::{Directives, Meta};
use crate::pattern::Pattern;

/// How one local subscriber handled an event.
#[derive(Debug)]
pub(crate) struct Delivered {
    /// Names the subscriber across redeliveries within this process (its location).
    pub(crate) subscriber: String,
    /// Its outcome (a panic is an `act_execute` error).
    pub(crate) outcome: Result<(), ActError>,
}

impl Node {
    /// The patterns this node's local `#[event]` handlers subscribe to, sorted.
    pub(crate) fn subscriptions(&self) -> &[Pattern] {
        &self.inner.router.subscriptions
    }

    /// Runs every local subscriber of `event` (except those named in `skip`, which already
    /// handled an earlier delivery of it), concurrently, and waits for all of them.
    ///
    /// Unlike [`emit_from`](Node::emit_from) it reports each outcome; it does not check
    /// whether the node is closed (a transport finishing its in-flight deliveries calls it).
    ///
    /// # Errors
    /// `act_invalid_msg` when `event` is not an object or carries a malformed directive.
    pub(crate) async fn deliver_event(
        &self,
        event: Value,
        meta: Meta,
        skip: &HashSet<String>,
    ) -> Result<Vec<Delivered>, ActError> {
        let Value::Object(mut map) = event else {
            return Err(ActError::invalid_msg("an event must be a JSON object"));
        };
        let mut directives = Directives::take(&mut map)?;
        let meta = meta.apply(&mut directives);
        let event = Value::Object(map);
        let runs = self
            .subscribers(&event)
            .filter_map(|s| match s {
                Subscriber::Handler(route) => Some(route.clone()),
                Subscriber::Client(_) => None,
            })
            .filter(|route| !skip.contains(&route.describe()))
            .map(|route| {
                let (event, meta) = (event.clone(), meta.clone());
                async move {
                    let subscriber = route.describe();
                    let outcome = self.run(route, event, meta).await.map(drop);
                    Delivered {
                        subscriber,
                        outcome,
                    }
                }
            });
        Ok(join_all(runs).await)
    }
}
