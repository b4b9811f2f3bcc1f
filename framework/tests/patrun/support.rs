//! Helpers that let the ported tests read like patrun's JavaScript originals.

use porticus::pattern::{Pattern, PatternIndex};
use serde_json::Value;

/// A patrun instance storing string data, as the JavaScript tests do.
pub type Router = PatternIndex<&'static str>;

/// A new, empty router (patrun always runs with `{gex: true}` in Seneca).
pub fn router() -> Router {
    Router::new()
}

/// A pattern from a JSON object literal.
pub fn pat(json: Value) -> Pattern {
    Pattern::from_json(&json).unwrap_or_else(|e| panic!("bad pattern {json}: {e}"))
}

/// patrun's API over [`Router`]: `add`, `find`, `findexact`, `find(…, false, true)`, `remove`,
/// `list`.
pub trait Patrun {
    /// `r.add(pattern, data)`.
    fn put(&mut self, pattern: Value, data: &'static str);
    /// `r.find(msg)`.
    fn get(&self, msg: Value) -> Option<&'static str>;
    /// `r.findexact(msg)` (`r.find(msg, true)`).
    fn exact(&self, msg: Value) -> Option<&'static str>;
    /// `r.find(msg, false, true)`.
    fn gather(&self, msg: Value) -> Vec<&'static str>;
    /// `r.remove(pattern)`.
    fn drop_pattern(&mut self, pattern: Value);
    /// `r.list(partial)` as (canonical pattern, data) pairs.
    fn listed(&self, partial: Value) -> Vec<(String, &'static str)>;
    /// `r.list(partial, true)` as (canonical pattern, data) pairs.
    fn listed_exact(&self, partial: Value) -> Vec<(String, &'static str)>;
    /// The data of `r.list(partial)`.
    fn listed_data(&self, partial: Value) -> Vec<&'static str> {
        self.listed(partial).into_iter().map(|(_, d)| d).collect()
    }
    /// The data of `r.list(partial, true)`.
    fn listed_exact_data(&self, partial: Value) -> Vec<&'static str> {
        self.listed_exact(partial)
            .into_iter()
            .map(|(_, d)| d)
            .collect()
    }
}

impl Patrun for Router {
    fn put(&mut self, pattern: Value, data: &'static str) {
        self.add(pat(pattern), data);
    }

    fn get(&self, msg: Value) -> Option<&'static str> {
        self.find(&msg).copied()
    }

    fn exact(&self, msg: Value) -> Option<&'static str> {
        self.find_exact(&msg).copied()
    }

    fn gather(&self, msg: Value) -> Vec<&'static str> {
        self.collect(&msg).into_iter().copied().collect()
    }

    fn drop_pattern(&mut self, pattern: Value) {
        self.remove(&pat(pattern));
    }

    fn listed(&self, partial: Value) -> Vec<(String, &'static str)> {
        let partial = pat(partial);
        let found = self.list(Some(&partial));
        found
            .into_iter()
            .map(|(p, d)| (p.to_string(), *d))
            .collect()
    }

    fn listed_exact(&self, partial: Value) -> Vec<(String, &'static str)> {
        let partial = pat(partial);
        let found = self.list_exact(&partial);
        found
            .into_iter()
            .map(|(p, d)| (p.to_string(), *d))
            .collect()
    }
}

/// `[("a:1", "A"), …]` as owned pairs, to compare with [`Patrun::listed`].
pub fn pairs(expected: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    expected
        .iter()
        .map(|(p, d)| ((*p).to_owned(), *d))
        .collect()
}

/// Sorted copy, for patrun tests that compare `….sort()`.
pub fn sorted(mut items: Vec<&'static str>) -> Vec<&'static str> {
    items.sort_unstable();
    items
}
