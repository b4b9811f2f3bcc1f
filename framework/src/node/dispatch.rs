//! The act pipeline: directives out, route, deadline, run the handler isolated from panics.

use std::collections::HashSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::time::Instant;
use tracing::Instrument;

use super::registry::Subscriber;
use super::route::Target;
use super::stats::{NodeStats, Side};
use super::{Node, Route};
use crate::action::Kind;
use crate::context::Context;
use crate::error::{ActError, Code};
use crate::message::{split, Meta};
use crate::pattern::value::json_kind;
use crate::pattern::{parse_object, Pattern};
use crate::trace::{ActSpan, SpanKind, Subject};

/// The canonical form of a message's scalar keys, for `act_not_found` (bounded in length).
/// An `act_not_found` error for `msg` that echoes only what routing looked at: the values of the
/// keys some route's pattern uses, and the message's other top-level keys by name only — a card
/// number in a message must not end up in an error text or a log.
fn not_found(msg: &Value, routes: &[Arc<Route>]) -> ActError {
    let routing: HashSet<&str> = routes
        .iter()
        .flat_map(|route| route.pattern.iter().map(|(key, _)| key))
        .collect();
    let mut shown = Map::new();
    let mut others = Vec::new();
    for (key, value) in msg.as_object().into_iter().flatten() {
        if routing.contains(key.as_str()) && !value.is_object() && !value.is_array() {
            shown.insert(key.clone(), value.clone());
        } else {
            others.push(key.as_str());
        }
    }
    let pattern = Pattern::from_json(&Value::Object(shown))
        .map(|p| p.to_string())
        .unwrap_or_default();
    ActError::not_found_with_keys(&truncated(&pattern, 200), &others)
}

fn truncated(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let cut = (0..=limit)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}…", &text[..cut])
}

fn closed_error() -> ActError {
    ActError::new(Code::CLOSED, "the node is closed and takes no new messages")
}

impl Node {
    pub(crate) async fn act_in(
        &self,
        msg: Value,
        parent: Option<&Meta>,
    ) -> Result<Value, ActError> {
        let (msg, mut directives) = split(msg)?;
        let meta = Meta::new(&mut directives, parent, self.inner.timeout);
        self.route_act(Value::Object(msg), meta, Side::Local).await
    }

    /// Acts on a message that arrived from a transport with its own [`Meta`] (built with
    /// [`Inbound::meta`](crate::transport::Inbound::meta)): the ids and deadline travel on,
    /// directives inside the message may only shorten the deadline. Listeners call this.
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use porticus::{ActError, Node};
    /// use serde_json::{json, Value};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:echo", |msg: Value| async move { Ok::<_, ActError>(msg) })
    ///     .build()?;
    /// // What a listener read off the wire: the caller's id and the time it has left.
    /// let meta = Inbound { id: Some("m1/t1"), timeout: Some(Duration::from_secs(2)), ..Inbound::default() }
    ///     .meta(node.default_timeout());
    /// let reply = node.act_from(json!({"role": "echo", "x": 1}), meta).await?;
    /// assert_eq!(reply, json!({"role": "echo", "x": 1}));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`act`](Self::act).
    ///
    /// # Cancel safety
    /// As [`act`](Self::act).
    pub async fn act_from(&self, msg: Value, meta: Meta) -> Result<Value, ActError> {
        let (msg, mut directives) = split(msg)?;
        self.route_act(
            Value::Object(msg),
            meta.apply(&mut directives),
            Side::Server,
        )
        .await
    }

    async fn route_act(&self, msg: Value, meta: Meta, side: Side) -> Result<Value, ActError> {
        if self.is_closed() {
            return Err(closed_error());
        }
        let default = meta.default.clone();
        let (result, may_default) = match self.inner.router.actions.find(&msg) {
            Some(route) => {
                let remote = matches!(route.target, Target::Client(_));
                let started = meta.started;
                let guard = self.inner.policies.as_ref().and_then(|p| p.find(&msg));
                let result = if guard.is_none() && route.bulkhead.is_none() {
                    self.run(route.clone(), msg, meta, side, started).await
                } else {
                    // Boxed: the plain path's future stays as small as it was.
                    let guard = guard.cloned();
                    Box::pin(self.run_resilient(route.clone(), guard, msg, meta, side, started))
                        .await
                };
                (result, remote)
            }
            None => {
                // Counted under no pattern: nothing from the message becomes a label.
                NodeStats::count(&self.inner.stats.not_found);
                #[cfg(feature = "metrics")]
                crate::metrics::not_found(side);
                (Err(not_found(&msg, &self.inner.router.routes)), true)
            }
        };
        match (result, default) {
            // `default$` answers when nothing matches, here or on the far side of a transport —
            // not when a local action that did match fails with `act_not_found` of its own.
            (Err(err), Some(default)) if may_default && err.code() == &Code::ACT_NOT_FOUND => {
                Ok(Arc::unwrap_or_clone(default))
            }
            (result, _) => result,
        }
    }

    pub(crate) async fn act_as_in<R: DeserializeOwned>(
        &self,
        pattern: &str,
        payload: impl Serialize,
        parent: Option<&Meta>,
    ) -> Result<R, ActError> {
        let fixed = parse_object(pattern)
            .map_err(|e| ActError::invalid_msg(format!("malformed pattern `{pattern}`: {e}")))?;
        let mut msg = payload_map(pattern, payload)?;
        msg.extend(fixed);
        let reply = self.act_in(Value::Object(msg), parent).await?;
        decode_reply(pattern, reply)
    }

    /// Runs `route` on `msg` under `meta`'s deadline — its handler, or its client with the
    /// message as it is — turning a panic into `act_execute`, and records how it went on the
    /// route (`InFlight::finish` in `stats.rs`) as taking from `started` until it
    /// finished. `side` says where the act came from (a route to a client is always
    /// [`Side::Client`]). A subscriber's route (`route.kind`) runs an event delivery.
    pub(crate) async fn run(
        &self,
        route: Arc<Route>,
        msg: Value,
        mut meta: Meta,
        side: Side,
        started: Instant,
    ) -> Result<Value, ActError> {
        let via = meta.via.name();
        let (side, span_kind, span_transport) = match &route.target {
            Target::Client(client) => (Side::Client, SpanKind::Client, Some(client.transport())),
            Target::Handler { .. } => (side, handler_span_kind(side, route.kind), via),
        };
        // A server-side act is labelled with the transport it came over.
        let transport = match (side, via) {
            (Side::Server, Some(via)) => via,
            _ => route.transport(),
        };
        let in_flight = route
            .stats
            .start(route.kind, side, transport, &route.canonical);
        let deadline = meta.deadline;
        let timeout = meta.timeout();
        let bounded = matches!(&route.target, Target::Client(client) if client.enforces_deadline());
        let exported = ActSpan::start(
            Subject {
                kind: span_kind,
                pattern: &route.canonical,
                transport: span_transport,
                service: self.name(),
            },
            &mut meta,
        );
        let span = act_span(&route, transport, &mut meta, exported.is_exported());
        let began = std::panic::catch_unwind(AssertUnwindSafe(|| match &route.target {
            Target::Handler { handler, .. } => {
                handler.call(msg, Context::new(self.clone(), meta, route.clone()))
            }
            Target::Client(client) => client.act(msg, meta),
        }));
        // One flat state machine (no inner `async fn`): this runs for every act.
        let result = match began {
            Err(panic) => Err(panicked(&route, panic)),
            Ok(fut) => {
                let mut guarded = AssertUnwindSafe(fut).catch_unwind().instrument(span);
                // Most in-process handlers finish on their first poll: no deadline timer for them.
                let first =
                    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut guarded).poll(cx))).await;
                let outcome = match first {
                    Poll::Ready(outcome) => Ok(outcome),
                    // A client that ends the act by its deadline itself needs no second timer.
                    Poll::Pending if bounded => Ok(guarded.await),
                    Poll::Pending => tokio::time::timeout_at(deadline, guarded).await,
                };
                match outcome {
                    Ok(Ok(result)) => result,
                    Ok(Err(panic)) => Err(panicked(&route, panic)),
                    Err(_) => Err(timed_out(&route, timeout)),
                }
            }
        };
        in_flight.finish(result.as_ref().err(), started.elapsed());
        exported.end(result.as_ref().err());
        result
    }

    pub(crate) async fn emit_in(
        &self,
        event: Value,
        parent: Option<&Meta>,
    ) -> Result<(), ActError> {
        let (event, meta) = self.prepare_event(event, parent)?;
        NodeStats::count(&self.inner.stats.emitted);
        let mut first_error = None;
        let subscribers: Vec<&Subscriber> = self.subscribers(&event).collect();
        if subscribers.is_empty() {
            crate::metrics::events::unrouted();
        }
        let last = subscribers.len().saturating_sub(1);
        let mut event = Some(event);
        for (i, subscriber) in subscribers.into_iter().enumerate() {
            // The last subscriber takes the event itself: no copy for the common single one.
            let copy = if i == last {
                event.take()
            } else {
                event.clone()
            };
            let Some(copy) = copy else { break };
            match subscriber {
                Subscriber::Handler(route) => {
                    crate::metrics::events::emitted(&route.canonical, route.transport(), None);
                    self.spawn_subscriber(route.clone(), copy, meta.clone(), Side::Local);
                }
                Subscriber::Client { pin, client } => {
                    let mut meta = meta.clone();
                    let exported = ActSpan::start(
                        Subject {
                            kind: SpanKind::Producer,
                            pattern: pin,
                            transport: Some(client.transport()),
                            service: self.name(),
                        },
                        &mut meta,
                    );
                    let handed = client.emit(copy, meta).await;
                    exported.end(handed.as_ref().err());
                    let error = handed.err();
                    crate::metrics::events::emitted(
                        pin,
                        client.transport(),
                        error.as_ref().map(ActError::code),
                    );
                    if let Some(err) = error {
                        tracing::warn!(transport = client.transport(), error = %err, "event not handed over");
                        first_error.get_or_insert(err);
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Delivers an event that arrived from a transport, with its own [`Meta`], to the local
    /// subscribers only (never forwarded again, so transports cannot loop). Listeners call this.
    ///
    /// # Errors
    /// `act_invalid_msg` for a message that is not an object, `closed` after
    /// [`close`](Self::close).
    pub fn emit_from(&self, event: Value, meta: Meta) -> Result<(), ActError> {
        if self.is_closed() {
            return Err(closed_error());
        }
        let (event, mut directives) = split(event)?;
        let meta = meta.apply(&mut directives);
        let event = Value::Object(event);
        NodeStats::count(&self.inner.stats.received);
        for subscriber in self.subscribers(&event) {
            if let Subscriber::Handler(route) = subscriber {
                self.spawn_subscriber(route.clone(), event.clone(), meta.clone(), Side::Server);
            }
        }
        Ok(())
    }

    /// Every subscription matching `event` (patrun's collect mode): local handlers and clients.
    pub(crate) fn subscribers(&self, event: &Value) -> impl Iterator<Item = &Subscriber> {
        self.inner
            .router
            .events
            .collect(event)
            .into_iter()
            .flatten()
    }

    fn prepare_event(
        &self,
        event: Value,
        parent: Option<&Meta>,
    ) -> Result<(Value, Meta), ActError> {
        if self.is_closed() {
            return Err(closed_error());
        }
        let (event, mut directives) = split(event)?;
        let meta = Meta::new(&mut directives, parent, self.inner.timeout);
        Ok((Value::Object(event), meta))
    }

    fn spawn_subscriber(&self, route: Arc<Route>, event: Value, meta: Meta, side: Side) {
        let node = self.clone();
        tokio::spawn(async move {
            let pattern = route.canonical.clone();
            if let Err(err) = node.run(route, event, meta, side, Instant::now()).await {
                tracing::warn!(porticus.pattern = %pattern, error = %err, "event subscriber failed");
            }
        });
    }
}

/// Serializes a typed payload into the object a message is made of.
pub(crate) fn payload_map(
    label: &str,
    payload: impl Serialize,
) -> Result<Map<String, Value>, ActError> {
    match serde_json::to_value(payload) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(ActError::invalid_msg(format!(
            "the payload for `{label}` must serialize to a JSON object, got {}",
            json_kind(&other)
        ))),
        Err(e) => Err(ActError::invalid_msg(format!(
            "the payload for `{label}` could not be serialized: {e}"
        ))),
    }
}

/// Decodes a reply into the type the caller asked for.
pub(crate) fn decode_reply<R: DeserializeOwned>(label: &str, reply: Value) -> Result<R, ActError> {
    R::deserialize(&reply).map_err(|e| {
        ActError::new(
            Code::REPLY_INVALID,
            format!(
                "reply to `{label}` is not a valid `{}`: {e}",
                std::any::type_name::<R>()
            ),
        )
        .with_details(serde_json::json!({ "reply": reply }))
    })
}

/// The exported span's kind for a local handler run from `side`.
fn handler_span_kind(side: Side, kind: Kind) -> SpanKind {
    match (side, kind) {
        (_, Kind::Event) => SpanKind::Consumer,
        (Side::Server, Kind::Action) => SpanKind::Server,
        _ => SpanKind::Internal,
    }
}

/// The span an act runs in. When a subscriber records it, the act's trace context is set
/// (a new one for an act that starts a trace in this process), so that every log line written
/// while it runs — and every act it makes — carries the same `trace.id`; when the act's span
/// is `exported` (OTLP), `meta` already names it, and its id is the log lines' `span.id`.
/// `transport` is the one the metrics label the act with: the client's, the listener's the act
/// came over, or `in-process`.
fn act_span(route: &Route, transport: &str, meta: &mut Meta, exported: bool) -> tracing::Span {
    let span = tracing::info_span!(
        "porticus.act",
        porticus.pattern = %route.canonical,
        porticus.transport = transport,
        porticus.message_id = %meta.mi,
        transaction.id = %meta.tx,
        trace.id = tracing::field::Empty,
        span.id = tracing::field::Empty,
    );
    if !span.is_disabled() {
        let traceparent = meta.outbound_traceparent();
        span.record("trace.id", &traceparent[3..35]);
        if exported {
            span.record("span.id", &traceparent[36..52]);
        }
        meta.set_traceparent(traceparent);
    }
    span
}

fn timed_out(route: &Route, timeout: std::time::Duration) -> ActError {
    ActError::new(
        Code::ACTION_TIMEOUT,
        format!(
            "action `{}` timed out after {} ms",
            route.canonical,
            timeout.as_millis()
        ),
    )
    .with_details(serde_json::json!({
        "pattern": &*route.canonical,
        "timeout": timeout.as_millis() as u64,
    }))
}

fn panicked(route: &Route, panic: Box<dyn std::any::Any + Send>) -> ActError {
    let reason = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned());
    tracing::error!(porticus.pattern = %route.canonical, %reason, "action panicked");
    ActError::execute(format!("action `{}` panicked: {reason}", route.canonical))
        .with_details(serde_json::json!({ "pattern": &*route.canonical }))
}
