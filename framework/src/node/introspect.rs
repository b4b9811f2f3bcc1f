//! The node's own actions: `role:porticus,service:<name>,cmd:ping|info|stats|schema`, registered by
//! [`NodeBuilder::build`](super::NodeBuilder::build) for the node's name (unless turned off with
//! [`NodeBuilder::without_introspection`](super::NodeBuilder::without_introspection)), and the
//! replies they build. `docs/operations.md` (Introspection) shows every reply.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::registry::{Entry, EntryKind, Make};
use super::route::{Route, Target};
use super::stats::NodeStats;
use super::Node;
use crate::action::erase;
use crate::context::Context;
use crate::error::ActError;
use crate::pattern::Pattern;

/// The commands, in the order errors list them.
const COMMANDS: [&str; 4] = ["ping", "info", "stats", "schema"];

/// Where the built-in actions say they are defined.
const LOCATION: &str = "porticus (built-in introspection)";

/// The porticus crate's version, as `ping` and `info` report it.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `{role:porticus,service:<name>}` (plus `cmd` when given), as a JSON object.
fn pattern_json(service: &str, cmd: Option<&str>) -> Value {
    let mut map = Map::new();
    map.insert("role".into(), json!("porticus"));
    map.insert("service".into(), json!(service));
    if let Some(cmd) = cmd {
        map.insert("cmd".into(), json!(cmd));
    }
    Value::Object(map)
}

/// The pin a listener binds and a caller's client is pinned to: `role:porticus,service:<name>`.
pub(crate) fn pin(service: &str) -> Pattern {
    Pattern::from_json(&pattern_json(service, None)).unwrap_or_else(|_| Pattern::empty())
}

/// The entry registering the built-in action of service `service`: one action for
/// `role:porticus,service:<name>` that answers by `cmd` (one pattern, added after every other
/// route, so that it changes the router's trie as little as possible: the other acts do not
/// pay for it). An application action for the same pattern replaces it.
pub(crate) fn entry(service: &str) -> Entry {
    Entry {
        pattern: pattern_json(service, None).to_string(),
        kind: EntryKind::Action {
            make: Make::Ready(erase(|msg: Value, ctx: Context| async move {
                answer(ctx.node(), msg.get("cmd"))
            })),
            overrides: false,
        },
        location: LOCATION.to_owned(),
        registered: false,
        builtin: true,
        limits: Default::default(),
    }
}

/// The reply to `cmd`, or an error naming what is wrong with it.
fn answer(node: &Node, cmd: Option<&Value>) -> Result<Value, ActError> {
    match cmd.and_then(Value::as_str) {
        Some("ping") => Ok(ping(node)),
        Some("info") => Ok(info(node)),
        Some("stats") => Ok(stats(node)),
        Some("schema") => Ok(schema(node)),
        _ => Err(unknown_command(node.name(), cmd)),
    }
}

fn unknown_command(service: &str, cmd: Option<&Value>) -> ActError {
    let expected = COMMANDS.join(", ");
    let message = match cmd {
        None | Some(Value::Null) => format!(
            "introspection of service `{service}` needs a `cmd`: one of {expected}"
        ),
        Some(Value::String(cmd)) => format!(
            "unknown introspection command `{cmd}` for service `{service}`: expected one of {expected}"
        ),
        Some(other) => format!(
            "introspection command for service `{service}` must be a string, got `{other}`: expected one of {expected}"
        ),
    };
    ActError::invalid_msg(message).with_details(json!({
        "service": service,
        "cmd": cmd.cloned().unwrap_or(Value::Null),
        "expected": COMMANDS,
    }))
}

/// What every reply starts with: who answers.
fn header(node: &Node) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("service".into(), json!(node.name()));
    map.insert("instance".into(), json!(node.instance()));
    map
}

fn uptime_ms(node: &Node) -> u64 {
    u64::try_from(node.inner.started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn version(node: &Node) -> Value {
    json!({ "porticus": VERSION, "app": node.inner.version })
}

/// `cmd:ping`: name, instance, versions, uptime.
pub(crate) fn ping(node: &Node) -> Value {
    let mut map = header(node);
    map.insert("version".into(), version(node));
    map.insert("uptime_ms".into(), json!(uptime_ms(node)));
    Value::Object(map)
}

fn target(route: &Route) -> Value {
    match &route.target {
        Target::Handler { handler, location } => {
            let (input, output) = handler.types();
            json!({
                "transport": route.transport(),
                "location": location,
                "input": input,
                "output": output,
            })
        }
        Target::Client(client) => json!({ "transport": client.transport() }),
    }
}

fn action(route: &Route, kind: &str) -> Value {
    let mut map = Map::new();
    map.insert("pattern".into(), json!(&*route.canonical));
    map.insert("kind".into(), json!(kind));
    if route.builtin {
        map.insert("builtin".into(), json!(true));
    }
    if let Value::Object(target) = target(route) {
        map.extend(target);
    }
    if kind == "event" {
        map.remove("output");
    }
    Value::Object(map)
}

/// `cmd:info`: actions, subscriptions, listeners, clients and the configuration summary.
pub(crate) fn info(node: &Node) -> Value {
    let router = &node.inner.router;
    let mut map = header(node);
    map.insert("version".into(), version(node));
    let actions: Vec<Value> = router
        .routes
        .iter()
        .filter(|r| matches!(r.target, Target::Handler { .. }))
        .map(|r| action(r, "action"))
        .collect();
    map.insert("actions".into(), json!(actions));
    let subscriptions: Vec<Value> = router
        .subscribers
        .iter()
        .map(|r| action(r, "event"))
        .collect();
    map.insert("subscriptions".into(), json!(subscriptions));
    let listeners = node
        .inner
        .listeners
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    map.insert("listeners".into(), json!(listeners));
    let clients: Vec<Value> = router
        .clients
        .iter()
        .map(|(pin, client, acts)| {
            json!({
                "transport": client.transport(),
                "pin": pin.to_string(),
                "acts": acts,
            })
        })
        .collect();
    map.insert("clients".into(), json!(clients));
    map.insert(
        "config".into(),
        node.inner.config.clone().unwrap_or(Value::Null),
    );
    map.insert(
        "introspection".into(),
        json!(node.introspection_pin().map(|p| p.to_string())),
    );
    Value::Object(map)
}

fn route_stats(route: &Arc<Route>, kind: &str) -> Value {
    let mut map = Map::new();
    map.insert("pattern".into(), json!(&*route.canonical));
    map.insert("kind".into(), json!(kind));
    map.insert("transport".into(), json!(route.transport()));
    if let Value::Object(counters) = route.stats.snapshot() {
        map.extend(counters);
    }
    Value::Object(map)
}

/// `cmd:stats`: per pattern counts, errors by code, latency, in flight; events.
pub(crate) fn stats(node: &Node) -> Value {
    let router = &node.inner.router;
    let counters = &node.inner.stats;
    let mut map = header(node);
    map.insert("uptime_ms".into(), json!(uptime_ms(node)));
    let acts: Vec<Value> = router
        .routes
        .iter()
        .map(|r| route_stats(r, "action"))
        .collect();
    map.insert("acts".into(), json!(acts));
    map.insert(
        "not_found".into(),
        json!(NodeStats::get(&counters.not_found)),
    );
    let handled: Vec<Value> = router
        .subscribers
        .iter()
        .map(|r| route_stats(r, "event"))
        .collect();
    map.insert(
        "events".into(),
        json!({
            "emitted": counters.emitted.load(Ordering::Relaxed),
            "received": counters.received.load(Ordering::Relaxed),
            "handled": handled,
        }),
    );
    Value::Object(map)
}

/// `cmd:schema`: the JSON Schemas of every handler registered with `schema`.
pub(crate) fn schema(node: &Node) -> Value {
    let mut map = header(node);
    let contracts: Vec<Value> = node.schemas().iter().map(|c| c.to_json()).collect();
    map.insert("schemas".into(), json!(contracts));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_has_the_service_but_no_command() {
        assert_eq!(pin("math").to_string(), "role:porticus,service:math");
        let err = unknown_command("math", Some(&json!("bogus")));
        assert_eq!(
            err.message(),
            "unknown introspection command `bogus` for service `math`: expected one of ping, info, stats, schema"
        );
        let missing = unknown_command("math", None);
        assert!(missing.message().contains("needs a `cmd`"), "{missing}");
    }
}
