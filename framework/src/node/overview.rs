//! What a node serves, as the startup summary shows it, and the mistakes it can spot in it: a
//! local action that keeps acts from a client, a listener pin that no action answers.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::route::{Route, Target};
use super::Node;
use crate::pattern::glob::{is_glob, matches};
use crate::pattern::Pattern;

/// One line of the summary: a pattern and where it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) pattern: String,
    /// The handler's source location, or the client's transport.
    pub(crate) at: String,
}

/// A local action that takes acts a client is pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hidden {
    pub(crate) action: Entry,
    pub(crate) client: Entry,
}

impl Node {
    /// Local actions, then clients (by pin), in canonical order; the built-in introspection
    /// action left out.
    pub(crate) fn overview(&self) -> (Vec<Entry>, Vec<Entry>) {
        let (mut actions, mut clients) = (Vec::new(), Vec::new());
        for route in self.inner.router.routes.iter().filter(|r| !r.builtin) {
            match &route.target {
                Target::Handler { location, .. } => actions.push(Entry {
                    pattern: route.canonical.to_string(),
                    at: location.clone(),
                }),
                Target::Client(client) => clients.push(Entry {
                    pattern: route.canonical.to_string(),
                    at: client.transport().to_owned(),
                }),
            }
        }
        (actions, clients)
    }

    /// Local event subscriptions, and the event-only clients (by pattern).
    pub(crate) fn subscription_overview(&self) -> (Vec<Entry>, Vec<Entry>) {
        let router = &self.inner.router;
        let handlers = router
            .subscribers
            .iter()
            .map(|route| Entry {
                pattern: route.canonical.to_string(),
                at: route.describe().into_owned(),
            })
            .collect();
        let clients = router
            .clients
            .iter()
            .filter(|(_, _, acts)| !acts)
            .map(|(pattern, client, _)| Entry {
                pattern: pattern.to_string(),
                at: client.transport().to_owned(),
            })
            .collect();
        (handlers, clients)
    }

    /// Local actions that win, for some message, over a client's pin: those acts never
    /// leave the process.
    pub(crate) fn hidden_clients(&self) -> Vec<Hidden> {
        let routes = &self.inner.router.routes;
        let mut found = Vec::new();
        for client in routes.iter().filter(|r| is_client(r)) {
            for action in routes.iter().filter(|r| !is_client(r) && !r.builtin) {
                let Some(probe) = common_message(&client.pattern, &action.pattern) else {
                    continue;
                };
                let winner = self.inner.router.actions.find(&probe);
                if winner.is_some_and(|w| Arc::ptr_eq(w, action)) {
                    found.push(Hidden {
                        action: Entry {
                            pattern: action.canonical.to_string(),
                            at: action.describe().into_owned(),
                        },
                        client: Entry {
                            pattern: client.canonical.to_string(),
                            at: client.transport().to_owned(),
                        },
                    });
                }
            }
        }
        found
    }

    /// Whether some message matching `pin` is answered by a local action.
    pub(crate) fn answers_some_of(&self, pin: &Pattern) -> bool {
        self.inner
            .router
            .routes
            .iter()
            .filter(|r| !is_client(r))
            .any(|action| {
                common_message(pin, &action.pattern).is_some_and(|probe| {
                    self.inner
                        .router
                        .actions
                        .find(&probe)
                        .is_some_and(|w| !is_client(w))
                })
            })
    }
}

fn is_client(route: &Route) -> bool {
    matches!(route.target, Target::Client(_))
}

/// A message that matches both patterns, if one is easy to name: every key of either with a
/// value both accept (a glob stands for a text it matches).
fn common_message(a: &Pattern, b: &Pattern) -> Option<Value> {
    let mut msg = Map::new();
    for (key, _) in a.iter().chain(b.iter()) {
        if msg.contains_key(key) {
            continue;
        }
        let values: Vec<&str> = [a.get(key), b.get(key)].into_iter().flatten().collect();
        let text = values
            .iter()
            .map(|v| instance(v))
            .find(|text| values.iter().all(|v| accepts(v, text)))?;
        msg.insert(key.to_owned(), Value::String(text));
    }
    Some(Value::Object(msg))
}

/// A text a pattern value accepts: itself, or for a glob the text with its wildcards filled.
fn instance(value: &str) -> String {
    if is_glob(value) {
        value
            .replace("**", "\u{1}")
            .replace('*', "")
            .replace('?', "x")
            .replace('\u{1}', "*")
    } else {
        value.to_owned()
    }
}

fn accepts(value: &str, text: &str) -> bool {
    if is_glob(value) {
        matches(value, text)
    } else {
        value == text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    #[test]
    fn common_messages_match_both_patterns() {
        for (a, b) in [
            ("role:math,cmd:*", "role:math,cmd:sum"),
            ("role:math", "role:math,cmd:sum"),
            ("role:m*", "role:ma*"),
            ("a:1", "b:2"),
        ] {
            let (a, b) = (pattern(a), pattern(b));
            let msg = common_message(&a, &b).unwrap_or_else(|| panic!("{a} / {b}"));
            assert!(a.matches(&msg) && b.matches(&msg), "{a} / {b}: {msg}");
        }
        for (a, b) in [("role:math", "role:shop"), ("role:m*", "role:shop")] {
            assert_eq!(common_message(&pattern(a), &pattern(b)), None, "{a} / {b}");
        }
    }
}
