//! Builds the router once, at start: parses every pattern, orders the registrations, reports
//! duplicates together and links each action to its prior.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::route::{Route, Target};
use crate::action::{BoxHandler, Kind, Registration};
use crate::contract::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::pattern::{Pattern, PatternIndex};

/// What one entry registers.
pub(crate) enum EntryKind {
    /// An action; `overrides` allows replacing an earlier action with the same pattern.
    Action { make: Make, overrides: bool },
    /// An event subscriber.
    Event { make: Make },
    /// A transport client, routed by its pattern: events always, acts too when `acts`.
    Client { client: Arc<dyn Client>, acts: bool },
}

/// How to get the handler of an action or a subscriber.
pub(crate) enum Make {
    Fn(fn() -> BoxHandler),
    Ready(BoxHandler),
}

impl Make {
    fn handler(self) -> BoxHandler {
        match self {
            Make::Fn(make) => make(),
            Make::Ready(handler) => handler,
        }
    }
}

/// One thing to register, before its pattern is parsed.
pub(crate) struct Entry {
    pub(crate) pattern: String,
    pub(crate) kind: EntryKind,
    pub(crate) location: String,
    /// Linked through `#[action]`/`#[event]` (ordered by specificity) rather than added explicitly
    /// (kept in call order, after the registered ones).
    pub(crate) registered: bool,
    /// One of the node's own introspection actions.
    pub(crate) builtin: bool,
    /// What `#[action]` says about running it: `idempotent`, `concurrency`, `queue`.
    pub(crate) limits: Limits,
}

/// What an action's attribute says about retrying and bounding it; none for anything else.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Limits {
    pub(crate) idempotent: bool,
    /// `(concurrency, queue)`.
    pub(crate) concurrency: Option<(u32, u32)>,
}

impl Entry {
    pub(crate) fn from_registration(reg: &'static Registration) -> Self {
        let make = Make::Fn(reg.make);
        let kind = match reg.kind {
            Kind::Action => EntryKind::Action {
                make,
                overrides: reg.overrides,
            },
            _ => EntryKind::Event { make },
        };
        Entry {
            pattern: reg.pattern.to_owned(),
            kind,
            location: reg.location(),
            registered: true,
            builtin: false,
            limits: Limits {
                idempotent: reg.idempotent,
                concurrency: reg.concurrency.map(|limit| (limit, reg.queue)),
            },
        }
    }
}

/// One receiver of an emitted event.
#[derive(Debug, Clone)]
pub(crate) enum Subscriber {
    /// A local `#[event]` handler: run in its own task.
    Handler(Arc<Route>),
    /// A transport client, pinned to `pin` (canonical): the event is handed over to it.
    Client {
        pin: Arc<str>,
        client: Arc<dyn Client>,
    },
}

/// The router and the subscriber index, immutable once built.
#[derive(Debug, Default)]
pub(crate) struct Router {
    pub(crate) actions: PatternIndex<Arc<Route>>,
    pub(crate) events: PatternIndex<Vec<Subscriber>>,
    /// Every action's canonical pattern, sorted (the index's `list` skips glob patterns).
    pub(crate) patterns: Vec<Arc<str>>,
    /// The patterns local `#[event]` handlers subscribe to, sorted, each once (what a transport
    /// listener binds its event queue with).
    pub(crate) subscriptions: Vec<Pattern>,
    /// Every action route (local handler or client pin), by canonical pattern (introspection).
    pub(crate) routes: Vec<Arc<Route>>,
    /// Every local event subscriber, in registration order (introspection).
    pub(crate) subscribers: Vec<Arc<Route>>,
    /// Every client with its pin (`true`: acts too, `false`: events only), in order.
    pub(crate) clients: Vec<(Pattern, Arc<dyn Client>, bool)>,
}

/// The pattern as a message, to ask the router what would handle it.
/// Subscriptions that patrun's collect mode never reaches for events shaped like another
/// subscription, as `(glob, exact)`: `event:*` beside `event:order_shipped` does not get
/// order_shipped events (on a key with an exact match, globs on that key are not followed).
fn shadowed(router: &Router) -> Vec<(Pattern, Pattern)> {
    let mut found = Vec::new();
    let globbed = router
        .subscriptions
        .iter()
        .filter(|p| p.iter().any(|(_, v)| v.contains(['*', '?'])));
    for glob in globbed {
        for exact in &router.subscriptions {
            let event = as_message(exact);
            let reached = router.events.collect(&event).into_iter().any(|subs| {
                subs.iter()
                    .any(|s| matches!(s, Subscriber::Handler(h) if h.pattern == *glob))
            });
            if glob.matches(&event) && !reached {
                found.push((glob.clone(), exact.clone()));
            }
        }
    }
    found
}

fn warn_shadowed(router: &Router) {
    for (glob, exact) in shadowed(router) {
        tracing::warn!(
            subscription = %glob,
            shadowed_by = %exact,
            "events matching `{exact}` will not reach the subscription `{glob}`: patrun's collect mode follows the exact value on that key and skips globs (see docs/actions.md, Events)"
        );
    }
}

fn as_message(pattern: &Pattern) -> Value {
    let map: Map<String, Value> = pattern
        .iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    Value::Object(map)
}

/// Sort key for registered entries: plain actions before overrides, wider before narrower, then
/// by canonical pattern, so priors do not depend on link order.
fn order_key(entry: &Entry, pattern: &Pattern) -> (bool, usize, String, String) {
    let overrides = matches!(
        entry.kind,
        EntryKind::Action {
            overrides: true,
            ..
        }
    );
    (
        overrides,
        pattern.len(),
        pattern.to_string(),
        entry.location.clone(),
    )
}

pub(crate) fn build(entries: Vec<Entry>) -> Result<Router> {
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        match Pattern::parse(&entry.pattern) {
            Ok(pattern) => parsed.push((entry, pattern)),
            Err(err) => problems.push(format!(
                "malformed pattern `{}` at {}: {err}",
                entry.pattern, entry.location
            )),
        }
    }
    // Registered first (in a deterministic order), then explicit ones in call order.
    let (mut registered, explicit): (Vec<_>, Vec<_>) =
        parsed.into_iter().partition(|(e, _)| e.registered);
    registered.sort_by_cached_key(|(e, p)| order_key(e, p));

    let mut router = Router::default();
    let mut by_pattern: HashMap<String, Arc<Route>> = HashMap::new();
    let mut overridden: HashMap<String, String> = HashMap::new();
    let mut events: Vec<(Pattern, Subscriber)> = Vec::new();

    for (entry, pattern) in registered.into_iter().chain(explicit) {
        let canonical = pattern.to_string();
        let (target, overrides) = match entry.kind {
            EntryKind::Event { make } => {
                let target = Target::Handler {
                    handler: make.handler(),
                    location: entry.location,
                };
                let route = Arc::new(Route::new(pattern.clone(), target, Kind::Event));
                router.subscribers.push(route.clone());
                events.push((pattern, Subscriber::Handler(route)));
                continue;
            }
            EntryKind::Client { client, acts } => {
                router.clients.push((pattern.clone(), client.clone(), acts));
                events.push((
                    pattern.clone(),
                    Subscriber::Client {
                        pin: Arc::from(canonical.as_str()),
                        client: client.clone(),
                    },
                ));
                if !acts {
                    continue;
                }
                (Target::Client(client), false)
            }
            EntryKind::Action { make, overrides } => (
                Target::Handler {
                    handler: make.handler(),
                    location: entry.location,
                },
                overrides,
            ),
        };
        if entry.builtin && by_pattern.contains_key(&canonical) {
            // The application answers this built-in pattern itself.
            continue;
        }
        let mut route = Route::new(pattern.clone(), target, Kind::Action);
        route.builtin = entry.builtin;
        route.idempotent = entry.limits.idempotent;
        route.bulkhead = entry.limits.concurrency.map(|(limit, queue)| {
            crate::resilience::Bulkhead::new(route.canonical.clone(), limit, queue)
        });
        if let Some(existing) = by_pattern.get(&canonical) {
            if !overrides {
                problems.push(format!(
                    "duplicate action for `{canonical}`: {} and {}; mark one `override` to replace the other",
                    existing.describe(),
                    route.describe()
                ));
                continue;
            }
            if entry.registered {
                if let Some(first) =
                    overridden.insert(canonical.clone(), route.describe().into_owned())
                {
                    problems.push(format!(
                        "`{canonical}` is overridden twice ({first} and {}); their order would be arbitrary",
                        route.describe()
                    ));
                    continue;
                }
            }
            route.prior = Some(existing.clone());
        } else if matches!(route.target, Target::Handler { .. }) {
            // Seneca's rule: the prior is whatever would have handled the pattern before.
            route.prior = router.actions.find(&as_message(&pattern)).cloned();
        }
        let route = Arc::new(route);
        by_pattern.insert(canonical, route.clone());
        router.actions.add(pattern, route);
    }

    let mut grouped: HashMap<String, (Pattern, Vec<Subscriber>)> = HashMap::new();
    let mut order = Vec::new();
    for (pattern, sub) in events {
        let slot = grouped.entry(pattern.to_string()).or_insert_with_key(|k| {
            order.push(k.clone());
            (pattern, Vec::new())
        });
        slot.1.push(sub);
    }
    for key in order {
        if let Some((pattern, subs)) = grouped.remove(&key) {
            if subs.iter().any(|s| matches!(s, Subscriber::Handler(_))) {
                router.subscriptions.push(pattern.clone());
            }
            router.events.add(pattern, subs);
        }
    }
    router.subscriptions.sort();
    warn_shadowed(&router);

    router.routes = by_pattern.into_values().collect();
    router.routes.sort_by(|a, b| a.canonical.cmp(&b.canonical));
    router.patterns = router
        .routes
        .iter()
        .filter(|r| !r.builtin)
        .map(|r| r.canonical.clone())
        .collect();
    if problems.is_empty() {
        Ok(router)
    } else {
        Err(Error::new(
            ErrorKind::Registration,
            format!("cannot build the node:\n  - {}", problems.join("\n  - ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::erase;
    use crate::error::ActError;

    fn subscriber(pattern: &str) -> Entry {
        let handler = |_: Value| async { Ok::<(), ActError>(()) };
        Entry {
            pattern: pattern.to_owned(),
            kind: EntryKind::Event {
                make: Make::Ready(erase(handler)),
            },
            location: "test".to_owned(),
            registered: false,
            builtin: false,
            limits: Default::default(),
        }
    }

    #[test]
    fn globs_that_collect_skips_are_found() {
        let router = build(vec![
            subscriber("event:order_shipped"),
            subscriber("event:*"),
            subscriber("order:*"),
        ])
        .unwrap();
        let found: Vec<(String, String)> = shadowed(&router)
            .into_iter()
            .map(|(g, e)| (g.to_string(), e.to_string()))
            .collect();
        assert_eq!(
            found,
            [("event:*".to_owned(), "event:order_shipped".to_owned())]
        );
        let fine = build(vec![
            subscriber("event:order_shipped"),
            subscriber("order:*"),
        ])
        .unwrap();
        assert!(shadowed(&fine).is_empty());
    }
}
