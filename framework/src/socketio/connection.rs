//! One socket's life: the connect check (connection limit, authorizer), then its `act`,
//! `subscribe` and `unsubscribe` events, anything else, and its disconnection.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::DisconnectReason;
use socketioxide::{ParserError, SocketIo};
use tracing::Instrument;

use super::access::Access;
use super::session::{Session, SubscribeRefusal};
use super::Shared;
use crate::error::{ActError, Code};
use crate::metrics::sockets::{self, ActOutcome, Gone};
use crate::pattern::Pattern;
use crate::transport::Inbound;
use crate::Node;

/// The code of a refused act or subscription.
pub(crate) const FORBIDDEN: Code = Code::from_static("forbidden");
/// The code of an event name the server does not know.
pub(crate) const UNKNOWN_EVENT: Code = Code::from_static("unknown_event");

/// Serves the default namespace of `io` with `shared`'s rules, acting on `node`.
pub(crate) fn install(io: &SocketIo, shared: Arc<Shared>, node: Node) {
    let admit = {
        let (shared, node) = (shared.clone(), node.clone());
        move |socket: SocketRef, TryData(auth): TryData<Value>| async move {
            admit(&shared, &node, &socket, auth).await
        }
    };
    let connected = move |socket: SocketRef| async move { join(&shared, socket) };
    io.ns("/", connected.with(admit));
}

/// The connect middleware: a place among `max_connections`, then the authorizer's answer (or
/// the configured patterns); a refusal reaches the client as `connect_error` with its reason.
async fn admit(
    shared: &Arc<Shared>,
    node: &Node,
    socket: &SocketRef,
    auth: Result<Value, ParserError>,
) -> Result<(), String> {
    let settings = &shared.settings;
    let Some(slot) = shared.hub.reserve(settings.max_connections) else {
        sockets::gone(Gone::RefusedMaxConnections);
        tracing::warn!(
            max = settings.max_connections,
            "socket.io connection refused: max_connections reached"
        );
        return Err(format!(
            "overloaded: the server has its maximum of {} connections",
            settings.max_connections
        ));
    };
    let access = match &settings.authorizer {
        None => settings.access.clone(),
        Some(authorizer) => {
            let auth = auth.unwrap_or(Value::Null);
            match authorize(shared, node, authorizer, auth).await {
                Ok(access) => access,
                Err(err) => {
                    sockets::gone(Gone::RefusedAuthorizer);
                    tracing::info!(code = %err.code(), reason = err.message(), "socket.io connection refused by the authorizer");
                    return Err(format!("{}: {}", err.code(), err.message()));
                }
            }
        }
    };
    let session = Arc::new(Session::new(
        access,
        slot,
        settings.max_acts_per_second,
        settings.max_acts_in_flight,
    ));
    socket.extensions.insert(session.clone());
    // Wired here, before the client hears it is connected: socketioxide runs the connect
    // handler in a task of its own, which a client's first message could overtake.
    wire(shared, node, socket, session);
    Ok(())
}

/// Asks the authorizer what a socket presenting `auth` may do.
async fn authorize(
    shared: &Shared,
    node: &Node,
    authorizer: &Pattern,
    auth: Value,
) -> Result<Access, ActError> {
    let mut msg: Map<String, Value> = authorizer
        .iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    msg.insert("auth".to_owned(), auth);
    let deadline = node.default_timeout().min(shared.settings.timeout_cap);
    let reply = node
        .act_from(Value::Object(msg), inbound(node, deadline))
        .await?;
    let patterns = |key: &str| -> Result<Vec<Pattern>, ActError> {
        let list = match reply.get(key) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(_) => {
                return Err(ActError::new(
                    Code::REPLY_INVALID,
                    format!("the authorizer's `{key}` must be a list of patterns"),
                ))
            }
        };
        list.iter()
            .map(|item| {
                parse_pattern(item).map_err(|e| {
                    ActError::new(
                        Code::REPLY_INVALID,
                        format!("the authorizer's `{key}` holds a malformed pattern: {e}"),
                    )
                })
            })
            .collect()
    };
    if !reply.is_object() {
        return Err(ActError::new(
            Code::REPLY_INVALID,
            "the authorizer must answer an object {\"act\": [...], \"subscribe\": [...]}",
        ));
    }
    Ok(Access {
        act: patterns("act")?,
        subscribe: patterns("subscribe")?,
    })
}

/// A pattern sent as text (`role:order,customer:alice`) or as an object.
fn parse_pattern(value: &Value) -> Result<Pattern, String> {
    match value {
        Value::String(text) => Pattern::parse(text).map_err(|e| format!("`{text}`: {e}")),
        Value::Object(map) => Pattern::from_map(map).map_err(|e| e.to_string()),
        other => Err(format!(
            "a pattern is text or an object, got {}",
            crate::pattern::value::json_kind(other)
        )),
    }
}

/// The socket connected: it joins the hub, unless it already left.
fn join(shared: &Shared, socket: SocketRef) {
    let Some(session) = socket.extensions.get::<Arc<Session>>() else {
        tracing::error!(socket = %socket.id, "a socket.io socket connected without a session");
        socket.disconnect().ok();
        return;
    };
    tracing::debug!(socket = %socket.id, "socket.io client connected");
    let (sid, still) = (socket.id, socket.clone());
    shared.hub.join(socket, session);
    // A disconnection that ran before the join found nothing to remove.
    if !still.connected() {
        shared.hub.leave(sid);
    }
}

/// Wires the socket's events: `act`, `subscribe`, `unsubscribe`, any other, and its
/// disconnection.
fn wire(shared: &Arc<Shared>, node: &Node, socket: &SocketRef, session: Arc<Session>) {
    socket.on("act", {
        let (shared, node, session) = (shared.clone(), node.clone(), session.clone());
        move |socket: SocketRef, TryData(msg): TryData<Value>, ack: AckSender| async move {
            let span = tracing::debug_span!("socketio.act", socket = %socket.id);
            let reply = act(&shared, &node, &session, msg).instrument(span).await;
            ack.send(&reply).ok();
        }
    });
    socket.on("subscribe", {
        let (shared, session) = (shared.clone(), session.clone());
        move |TryData(pattern): TryData<Value>, ack: AckSender| async move {
            ack.send(&subscribe(&shared, &session, pattern)).ok();
        }
    });
    socket.on("unsubscribe", {
        let session = session.clone();
        move |TryData(pattern): TryData<Value>, ack: AckSender| async move {
            let reply = match pattern
                .map_err(|e| e.to_string())
                .and_then(|p| parse_pattern(&p))
            {
                Ok(pattern) => json!({ "subscriptions": session.unsubscribe(&pattern) }),
                Err(e) => failure(ActError::invalid_msg(format!("unsubscribe: {e}"))),
            };
            ack.send(&reply).ok();
        }
    });
    socket.on_fallback(|Event(event): Event, ack: AckSender| async move {
        ack.send(&failure(ActError::new(
            UNKNOWN_EVENT,
            format!(
                "unknown event `{event}`: a client may emit `act`, `subscribe` and `unsubscribe`"
            ),
        )))
        .ok();
    });
    socket.on_disconnect({
        let shared = shared.clone();
        move |socket: SocketRef, reason: DisconnectReason| async move {
            shared.hub.leave(socket.id);
            let gone = if session.is_slow() {
                Gone::SlowClient
            } else {
                gone(reason)
            };
            sockets::gone(gone);
            tracing::debug!(socket = %socket.id, reason = gone.as_str(), "socket.io client disconnected");
        }
    });
}

fn gone(reason: DisconnectReason) -> Gone {
    match reason {
        DisconnectReason::TransportClose | DisconnectReason::ClientNSDisconnect => Gone::Client,
        DisconnectReason::HeartbeatTimeout => Gone::PingTimeout,
        DisconnectReason::ServerNSDisconnect | DisconnectReason::ClosingServer => Gone::Server,
        _ => Gone::Transport,
    }
}

/// The meta of an act a socket sent: its deadline, and the transport `socketio` (the
/// `transport` label of the act's metrics and span).
fn inbound(node: &Node, deadline: std::time::Duration) -> crate::Meta {
    Inbound {
        timeout: Some(deadline),
        transport: Some("socketio"),
        ..Inbound::default()
    }
    .meta(node.default_timeout())
}

/// The ack of a failure: `{"error": {"code", "message", "details"?}}`.
pub(crate) fn failure(err: ActError) -> Value {
    json!({ "error": err })
}

/// One `act` event: limits, shape, access, deadline, then the node's reply.
async fn act(
    shared: &Shared,
    node: &Node,
    session: &Session,
    msg: Result<Value, ParserError>,
) -> Value {
    let settings = &shared.settings;
    if !session.take_rate() {
        sockets::act(ActOutcome::Overloaded);
        return failure(ActError::new(
            Code::OVERLOADED,
            format!(
                "over this socket's limit of {} acts per second",
                settings.max_acts_per_second
            ),
        ));
    }
    let Some(_permit) = session.start_act() else {
        sockets::act(ActOutcome::Overloaded);
        return failure(ActError::new(
            Code::OVERLOADED,
            format!(
                "this socket has its maximum of {} acts in flight",
                settings.max_acts_in_flight
            ),
        ));
    };
    let mut msg = match msg {
        Ok(Value::Object(msg)) => msg,
        Ok(other) => {
            sockets::act(ActOutcome::Invalid);
            return failure(ActError::invalid_msg(format!(
                "an act is a JSON object, got {}",
                crate::pattern::value::json_kind(&other)
            )));
        }
        Err(e) => {
            sockets::act(ActOutcome::Invalid);
            return failure(ActError::invalid_msg(format!(
                "an act takes a JSON object as its first argument: {e}"
            )));
        }
    };
    let asked = match msg.get("timeout$") {
        None => None,
        Some(value) => match value.as_u64().filter(|ms| *ms > 0) {
            Some(ms) => Some(std::time::Duration::from_millis(ms)),
            None => {
                sockets::act(ActOutcome::Invalid);
                return failure(ActError::invalid_msg(format!(
                    "`timeout$` must be a whole number of ms above 0, got {value}"
                )));
            }
        },
    };
    msg.retain(|key, _| !key.ends_with('$'));
    let msg = Value::Object(msg);
    if !session.access.may_act(&msg) {
        sockets::act(ActOutcome::Forbidden);
        let keys = msg
            .as_object()
            .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "));
        return failure(ActError::new(
            FORBIDDEN,
            format!(
                "this socket may not act this message (keys: {}); it may act: {}",
                keys.unwrap_or_default(),
                listed(&session.access.act)
            ),
        ));
    }
    let deadline = asked
        .unwrap_or_else(|| node.default_timeout())
        .min(settings.timeout_cap);
    match node.act_from(msg, inbound(node, deadline)).await {
        Ok(reply) => {
            sockets::act(ActOutcome::Ok);
            reply
        }
        Err(err) => {
            sockets::act(ActOutcome::Error);
            failure(err)
        }
    }
}

/// One `subscribe` event.
fn subscribe(shared: &Shared, session: &Session, pattern: Result<Value, ParserError>) -> Value {
    let pattern = match pattern
        .map_err(|e| e.to_string())
        .and_then(|p| parse_pattern(&p))
    {
        Ok(pattern) => pattern,
        Err(e) => return failure(ActError::invalid_msg(format!("subscribe: {e}"))),
    };
    if !session.access.may_subscribe(&pattern) {
        return failure(ActError::new(
            FORBIDDEN,
            format!(
                "this socket may not subscribe to `{pattern}`; it may subscribe to: {}",
                listed(&session.access.subscribe)
            ),
        ));
    }
    match session.subscribe(pattern, shared.settings.max_subscriptions) {
        Ok(subscriptions) => json!({ "subscriptions": subscriptions }),
        Err(SubscribeRefusal::TooMany(max)) => failure(ActError::new(
            Code::OVERLOADED,
            format!("this socket holds its maximum of {max} subscriptions"),
        )),
    }
}

/// Patterns as `` `a`, `b` `` (or `nothing`).
fn listed(patterns: &[Pattern]) -> String {
    if patterns.is_empty() {
        return "nothing".to_owned();
    }
    patterns
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
