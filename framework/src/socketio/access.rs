//! [`Access`]: the patterns one socket may act on and subscribe to, and the two checks.

use serde_json::Value;

use crate::pattern::glob;
use crate::pattern::Pattern;

/// What one socket may do: from `[socketio] act` / `subscribe`, or from the authorizer's
/// answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Access {
    pub(crate) act: Vec<Pattern>,
    pub(crate) subscribe: Vec<Pattern>,
}

impl Access {
    /// Whether a socket may act `msg`: it matches one allowed pattern (Seneca's matching of
    /// one pattern: each of the pattern's keys has the pattern's value, or a value its glob
    /// matches; other keys are free).
    pub(crate) fn may_act(&self, msg: &Value) -> bool {
        self.act.iter().any(|allowed| allowed.matches(msg))
    }

    /// Whether a socket may subscribe to `requested`: it is at least as specific as one
    /// allowed pattern, so that every event it matches also matches the allowed one.
    pub(crate) fn may_subscribe(&self, requested: &Pattern) -> bool {
        self.subscribe
            .iter()
            .any(|allowed| narrower(requested, allowed))
    }
}

/// Whether every event `requested` matches also matches `allowed`: each key of `allowed` is
/// in `requested` with the same value, or with an exact value that `allowed`'s glob matches.
/// A glob in `requested` is only accepted where `allowed` has the very same glob (whether one
/// glob covers another is not decided).
pub(crate) fn narrower(requested: &Pattern, allowed: &Pattern) -> bool {
    allowed.iter().all(|(key, wide)| match requested.get(key) {
        None => false,
        Some(value) if value == wide => true,
        Some(value) => glob::is_glob(wide) && !glob::is_glob(value) && glob::matches(wide, value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).expect("a valid pattern")
    }

    fn access(act: &[&str], subscribe: &[&str]) -> Access {
        Access {
            act: act.iter().map(|t| p(t)).collect(),
            subscribe: subscribe.iter().map(|t| p(t)).collect(),
        }
    }

    #[test]
    fn an_act_must_match_an_allowed_pattern() {
        let scoped = access(
            &["role:order,cmd:place,customer:alice", "role:catalog"],
            &[],
        );
        assert!(scoped
            .may_act(&json!({"role": "order", "cmd": "place", "customer": "alice", "qty": 2})));
        assert!(!scoped.may_act(&json!({"role": "order", "cmd": "place", "customer": "bob"})));
        assert!(!scoped.may_act(&json!({"role": "order", "cmd": "place"})));
        assert!(scoped.may_act(&json!({"role": "catalog", "cmd": "list"})));
        assert!(!scoped.may_act(&json!({"role": "admin"})));
        assert!(!Access::default().may_act(&json!({"role": "catalog"})));
    }

    #[test]
    fn a_subscription_must_be_at_least_as_specific_as_an_allowed_one() {
        let scoped = access(&[], &["role:order,customer:alice", "event:news_*"]);
        assert!(scoped.may_subscribe(&p("role:order,customer:alice")));
        assert!(scoped.may_subscribe(&p("role:order,customer:alice,event:shipped")));
        assert!(!scoped.may_subscribe(&p("role:order")), "all orders");
        assert!(
            !scoped.may_subscribe(&p("role:order,customer:*")),
            "a glob wider than alice"
        );
        assert!(!scoped.may_subscribe(&p("role:order,customer:bob")));
        assert!(scoped.may_subscribe(&p("event:news_sport")));
        assert!(
            scoped.may_subscribe(&p("event:news_*")),
            "the very same glob"
        );
        assert!(
            !scoped.may_subscribe(&p("event:news_s*")),
            "another glob is not decided"
        );
        assert!(!scoped.may_subscribe(&p("event:weather")));
        assert!(!scoped.may_subscribe(&Pattern::empty()));
        assert!(access(&[], &[""]).may_subscribe(&Pattern::empty()));
    }
}
