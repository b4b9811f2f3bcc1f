//! patrun `remove(pattern)`: one greedy walk, then the last node entered loses its entry.

use super::node::{Entry, Node};
use crate::pattern::canonical::Pattern;

/// A move from a node to the next on the walk.
#[derive(Clone, Copy)]
enum Step {
    /// Into the `i`-th exact-value child.
    Value(usize),
    /// Into the `i`-th glob child.
    Glob(usize),
    /// Into the star branch.
    Star,
}

/// Walks like patrun's `remove` (no back-tracking, and not stopping when the pattern's keys run
/// out) and takes the entry of the last node entered through a match, if it has one.
pub(super) fn remove<T>(top: &mut Node<T>, pattern: &Pattern) -> Option<Entry<T>> {
    let steps = path_to_last_match(top, pattern)?;
    let mut node = top;
    for step in steps {
        node = match step {
            Step::Star => node.star.as_deref_mut()?,
            Step::Value(i) => node.test.as_mut()?.values.get_index_mut(i)?.1,
            Step::Glob(i) => &mut node.test.as_mut()?.globs.get_mut(i)?.node,
        };
    }
    node.entry.take()
}

/// The steps from `top` to the last node the walk enters through a match; `None` if it never
/// matches (the root itself is never removed).
fn path_to_last_match<T>(top: &Node<T>, pattern: &Pattern) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut matched = 0;
    let mut node = top;
    while let Some(test) = &node.test {
        let value = pattern.get(&test.key);
        // A missing key is looked up as `String(undefined)`, as patrun does.
        let exact = test.values.get_full(value.unwrap_or("undefined"));
        // A glob child is selected by its source text, not by matching.
        let glob = || {
            let value = value?;
            let at = test.globs.iter().position(|g| g.glob.source() == value)?;
            Some((at, &test.globs[at].node))
        };
        if let Some((at, _, next)) = exact {
            steps.push(Step::Value(at));
            matched = steps.len();
            node = next;
        } else if let Some((at, next)) = glob() {
            steps.push(Step::Glob(at));
            matched = steps.len();
            node = next;
        } else if let Some(star) = &node.star {
            steps.push(Step::Star);
            node = star;
        } else {
            break;
        }
    }
    if matched == 0 {
        return None;
    }
    steps.truncate(matched);
    Some(steps)
}
