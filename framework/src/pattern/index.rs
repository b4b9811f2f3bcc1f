//! [`PatternIndex`]: patrun's pattern trie, generic over the stored value.

mod list;
mod node;
mod remove;
mod stack;
mod walk;

use std::fmt;

use serde_json::Value;

use self::node::Node;
use self::walk::Mode;
use super::canonical::Pattern;

/// Patterns mapped to values, looked up exactly as patrun 7.3.0 does with `{gex: true}` (the
/// router Seneca 3 uses). See the [module documentation](super) for the matching rules.
///
/// Lookups take any JSON value as the message; a value that is not an object behaves as `{}`.
/// They take `&self` (no locking) and do not allocate, unless a message value is an array (its
/// string form is built) or more than eight branches are pending on the walk. Exact values are
/// found by hash; the globs of one key are tried one after another (a literal prefix/suffix
/// check rejects most of them cheaply).
///
/// ```
/// use porticus::pattern::{Pattern, PatternIndex};
/// use serde_json::json;
///
/// let mut index = PatternIndex::new();
/// index.add(Pattern::parse("role:math").unwrap(), "any math");
/// index.add(Pattern::parse("role:math,cmd:sum").unwrap(), "sum");
/// index.add(Pattern::parse("role:math,cmd:*").unwrap(), "other math");
///
/// assert_eq!(index.find(&json!({"role": "math", "cmd": "sum", "left": 1})), Some(&"sum"));
/// assert_eq!(index.find(&json!({"role": "math", "cmd": "product"})), Some(&"other math"));
/// assert_eq!(index.find(&json!({"role": "math"})), Some(&"any math"));
/// assert_eq!(index.find(&json!({"role": "text"})), None);
/// ```
pub struct PatternIndex<T> {
    top: Node<T>,
    len: usize,
}

impl<T> PatternIndex<T> {
    /// An empty index.
    ///
    /// ```
    /// use porticus::pattern::PatternIndex;
    ///
    /// let index: PatternIndex<u32> = PatternIndex::new();
    /// assert!(index.is_empty());
    /// ```
    pub fn new() -> Self {
        PatternIndex {
            top: Node::default(),
            len: 0,
        }
    }

    /// Stores `value` under `pattern`; an equal pattern already stored has its value replaced
    /// and returned. The empty pattern stores the catch-all.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// assert_eq!(index.add(Pattern::parse("a:1").unwrap(), "first"), None);
    /// assert_eq!(index.add(Pattern::parse("a:1.0").unwrap(), "second"), Some("first"));
    /// assert_eq!(index.len(), 1);
    /// ```
    pub fn add(&mut self, pattern: Pattern, value: T) -> Option<T> {
        let old = self.top.insert(pattern, value).map(|entry| entry.value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// The value for `msg`: the deepest match on the greedy, alphabetical walk, else the
    /// catch-all. Extra message keys are ignored.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    /// use serde_json::json;
    ///
    /// let mut index = PatternIndex::new();
    /// index.add(Pattern::parse("a:1").unwrap(), "A");
    /// index.add(Pattern::parse("b:1,c:1").unwrap(), "BC");
    /// // Greedy: `a` sorts first and matches, so `{a:1}` wins over the longer `{b:1,c:1}`.
    /// assert_eq!(index.find(&json!({"a": 1, "b": 1, "c": 1})), Some(&"A"));
    /// assert_eq!(index.find(&json!({"b": "1", "c": true})), None);
    /// ```
    pub fn find(&self, msg: &Value) -> Option<&T> {
        self.find_with_pattern(msg).map(|(_, value)| value)
    }

    /// Like [`find`](Self::find), also returning the stored pattern that matched.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    /// use serde_json::json;
    ///
    /// let mut index = PatternIndex::new();
    /// index.add(Pattern::parse("role:math,cmd:*").unwrap(), 1);
    /// let (pattern, value) = index.find_with_pattern(&json!({"role": "math", "cmd": "x"})).unwrap();
    /// assert_eq!((pattern.to_string().as_str(), *value), ("cmd:*,role:math", 1));
    /// ```
    pub fn find_with_pattern(&self, msg: &Value) -> Option<(&Pattern, &T)> {
        walk::walk(&self.top, msg, Mode::Find, |_| {}).map(|entry| (&entry.pattern, &entry.value))
    }

    /// patrun's exact lookup (`findexact`): the walk must end on a stored pattern and every
    /// message key must have been matched. No fallback to wider patterns or the catch-all.
    ///
    /// Message keys ending in `$` are not counted (Seneca strips these directives before a
    /// lookup). patrun's quirk is kept: keys matched on branches that the walk then abandoned
    /// count as matched.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    /// use serde_json::json;
    ///
    /// let mut index = PatternIndex::new();
    /// index.add(Pattern::parse("a:1").unwrap(), "A");
    /// assert_eq!(index.find_exact(&json!({"a": 1, "timeout$": 100})), Some(&"A"));
    /// assert_eq!(index.find_exact(&json!({"a": 1, "b": 2})), None);
    /// assert_eq!(index.find(&json!({"a": 1, "b": 2})), Some(&"A"));
    /// ```
    pub fn find_exact(&self, msg: &Value) -> Option<&T> {
        walk::walk(&self.top, msg, Mode::Exact, |_| {}).map(|entry| &entry.value)
    }

    /// Every value whose pattern is met on a walk that back-tracks through every branch
    /// (patrun's collect mode, which Seneca's `sub` uses): the catch-all first, then in
    /// visiting order, so wider patterns come before the narrower ones on the same path.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    /// use serde_json::json;
    ///
    /// let mut index = PatternIndex::new();
    /// for (text, value) in [("", "all"), ("a:1", "A"), ("a:1,b:2", "AB"), ("b:2", "B")] {
    ///     index.add(Pattern::parse(text).unwrap(), value);
    /// }
    /// let hits: Vec<_> = index.collect(&json!({"a": 1, "b": 2, "z": 0})).into_iter().copied().collect();
    /// assert_eq!(hits, ["all", "A", "AB", "B"]);
    /// ```
    pub fn collect(&self, msg: &Value) -> Vec<&T> {
        let mut found = Vec::new();
        walk::walk(&self.top, msg, Mode::Collect, |entry| {
            found.push(&entry.value)
        });
        found
    }

    /// patrun's `remove`: one greedy walk guided by `pattern` (no back-tracking, continuing
    /// past the pattern's keys), then the value of the **last node entered through a match** is
    /// removed and returned. That is usually the value stored under `pattern`, but can be
    /// another: with only `a:1` stored, removing `a:1,b:2` removes `a:1`'s value. Removing the
    /// empty pattern never removes the catch-all.
    ///
    /// A glob value selects the branch stored with that same glob text. patrun looks a `null`
    /// value up as the string `"null"`; a [`Pattern`] has no null values (they are dropped), so
    /// such a key is looked up as missing (`"undefined"`).
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    /// use serde_json::json;
    ///
    /// let mut index = PatternIndex::new();
    /// index.add(Pattern::parse("a:1").unwrap(), "A");
    /// index.add(Pattern::parse("a:1,b:2").unwrap(), "AB");
    /// assert_eq!(index.remove(&Pattern::parse("a:1").unwrap()), Some("A"));
    /// assert_eq!(index.remove(&Pattern::parse("a:1").unwrap()), None);
    /// assert_eq!(index.find(&json!({"a": 1, "b": 2})), Some(&"AB"));
    /// assert_eq!(index.len(), 1);
    /// ```
    pub fn remove(&mut self, pattern: &Pattern) -> Option<T> {
        let removed = remove::remove(&mut self.top, pattern)?;
        self.len -= 1;
        Some(removed.value)
    }

    /// patrun's `list`: stored patterns whose keys include every key of `partial` with a value
    /// equal to, or matching as a glob, the filter's value (`None` lists everything).
    ///
    /// Order is patrun's trie order: the catch-all first (it is listed whatever the filter),
    /// then depth first by alphabetical key, values in JavaScript property order (integer-like
    /// values ascending, then insertion order). As in patrun, only exact-value branches are
    /// walked: **patterns registered with a glob value are never listed** (they are still
    /// found). A glob filter never selects an empty value (patrun tests the glob's result for
    /// truthiness); an equal filter does. patrun's array-of-globs filter has no equivalent: a
    /// [`Pattern`] holds an array as its comma-joined string.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// for (text, value) in [("a:1", 1), ("a:1,b:2", 2), ("a:1,b:x", 3), ("b:*", 4)] {
    ///     index.add(Pattern::parse(text).unwrap(), value);
    /// }
    /// let listed = |filter: &str| -> Vec<String> {
    ///     let filter = Pattern::parse(filter).unwrap();
    ///     index.list(Some(&filter)).iter().map(|(p, _)| p.to_string()).collect()
    /// };
    /// assert_eq!(listed("a:1"), ["a:1", "a:1,b:2", "a:1,b:x"]);
    /// assert_eq!(listed("b:*"), ["a:1,b:2", "a:1,b:x"]);
    /// assert_eq!(listed("b:2"), ["a:1,b:2"]);
    /// assert_eq!(index.list(None).len(), 3);
    /// ```
    pub fn list(&self, partial: Option<&Pattern>) -> Vec<(Pattern, &T)> {
        let empty = Pattern::empty();
        let entries = list::list(&self.top, partial.unwrap_or(&empty), false);
        entries
            .into_iter()
            .map(|e| (e.pattern.clone(), &e.value))
            .collect()
    }

    /// patrun's `list` with `exact`: like [`list`](Self::list), but the listed patterns may
    /// have no keys besides those of `partial` (the catch-all is still always listed).
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// index.add(Pattern::parse("a:1").unwrap(), "A");
    /// index.add(Pattern::parse("a:1,b:2").unwrap(), "AB");
    /// let filter = Pattern::parse("a:*").unwrap();
    /// let listed: Vec<_> = index.list_exact(&filter).into_iter().map(|(_, v)| *v).collect();
    /// assert_eq!(listed, ["A"]);
    /// ```
    pub fn list_exact(&self, partial: &Pattern) -> Vec<(Pattern, &T)> {
        let entries = list::list(&self.top, partial, true);
        entries
            .into_iter()
            .map(|e| (e.pattern.clone(), &e.value))
            .collect()
    }

    /// The number of stored patterns.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// index.add(Pattern::empty(), ());
    /// index.add(Pattern::parse("k:*").unwrap(), ());
    /// assert_eq!(index.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is stored.
    ///
    /// ```
    /// use porticus::pattern::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// index.add(Pattern::parse("a:1").unwrap(), ());
    /// index.remove(&Pattern::parse("a:1").unwrap());
    /// assert!(index.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<T> Default for PatternIndex<T> {
    fn default() -> Self {
        PatternIndex::new()
    }
}

impl<T: Clone> Clone for PatternIndex<T> {
    fn clone(&self) -> Self {
        PatternIndex {
            top: self.top.clone(),
            len: self.len,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for PatternIndex<T> {
    /// Every stored pattern (globs included) and its value, in trie order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries = Vec::with_capacity(self.len);
        self.top.for_each_entry(&mut |entry| entries.push(entry));
        f.debug_map()
            .entries(entries.iter().map(|e| (&e.pattern, &e.value)))
            .finish()
    }
}
