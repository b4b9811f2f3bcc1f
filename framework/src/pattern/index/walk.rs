//! patrun `find(msg, exact, collect)`: the greedy walk with star back-tracking.

use serde_json::{Map, Value};

use super::node::{Entry, Node, Test};
use super::stack::InlineStack;
use crate::pattern::value::js_string_or_undefined;

/// How a walk treats data and back-tracking.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Deepest data on the path wins; back-track only while nothing was found.
    Find,
    /// Data must sit on the last node entered; every message key must have been matched.
    Exact,
    /// Visit every stored sub-pattern of the message (back-track through every star branch).
    Collect,
}

/// Inline capacity of the walk's stacks: deeper tries spill to the heap.
const INLINE: usize = 8;

/// patrun `find` (and `collect`, reporting each entry met to `on_entry`).
#[inline]
pub(super) fn walk<'a, T>(
    top: &'a Node<T>,
    msg: &Value,
    mode: Mode,
    mut on_entry: impl FnMut(&'a Entry<T>),
) -> Option<&'a Entry<T>> {
    let fields = msg.as_object();
    let mut data = top.entry.as_ref();
    if let Some(entry) = data {
        on_entry(entry);
    }
    let mut stars: InlineStack<&'a Node<T>, INLINE> = InlineStack::new();
    // Keys matched anywhere in the walk, abandoned branches included (patrun's `foundkeys`).
    let mut found: InlineStack<&'a str, INLINE> = InlineStack::new();
    let mut node = Some(top);
    while let Some(current) = node {
        node = match &current.test {
            None => None,
            Some(test) => match step(test, fields) {
                Some(next) => {
                    if mode == Mode::Exact && !found.iter().any(|key| key == &*test.key) {
                        found.push(&test.key);
                    }
                    if let Some(star) = &current.star {
                        stars.push(star);
                    }
                    match &next.entry {
                        Some(entry) => {
                            data = Some(entry);
                            on_entry(entry);
                        }
                        None if mode == Mode::Exact => data = None,
                        None => {}
                    }
                    Some(next)
                }
                None => current.star.as_deref(),
            },
        };
        if node.is_none() && (data.is_none() || mode == Mode::Collect) {
            node = stars.pop();
        }
    }
    match mode {
        Mode::Exact if found.len() != routable_len(fields) => None,
        Mode::Exact => data,
        Mode::Find | Mode::Collect => data.or(top.entry.as_ref()),
    }
}

/// The child of `test` that the message's value selects: an exact value first, then the first
/// matching glob in insertion order.
#[inline]
fn step<'a, T>(test: &'a Test<T>, fields: Option<&Map<String, Value>>) -> Option<&'a Node<T>> {
    let value = fields.and_then(|fields| fields.get(&*test.key));
    let text = js_string_or_undefined(value);
    if let Some(next) = test.values.get(&*text) {
        return Some(next);
    }
    let branch = match value {
        _ if test.globs.is_empty() => None,
        // gex never matches null or undefined …
        None | Some(Value::Null) => None,
        // … and matches any object or array (`gex.on` returns a non-null container).
        Some(Value::Object(_) | Value::Array(_)) => test.globs.first(),
        Some(_) => test.globs.iter().find(|g| g.glob.matches(&text)),
    };
    branch.map(|branch| &branch.node)
}

/// The number of message keys an exact lookup must match: directives (`…$`) are not counted,
/// as Seneca removes them before looking a message up and a pattern never holds them.
fn routable_len(fields: Option<&Map<String, Value>>) -> usize {
    fields.map_or(0, |fields| {
        fields.keys().filter(|key| !key.ends_with('$')).count()
    })
}
