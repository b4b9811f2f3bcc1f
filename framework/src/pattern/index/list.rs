//! patrun `list(partial, exact)`: stored patterns in trie order, filtered by a partial pattern.

use super::node::{Entry, Node, Values};
use crate::pattern::canonical::Pattern;
use crate::pattern::glob;

/// patrun `list`: the root entry (always, whatever the filter), then a depth-first walk of the
/// exact-value branches (glob branches are never walked) in JavaScript key order, each node's
/// star branch after its values.
///
/// An entry is listed when every key of `partial` is on its path with a value equal to, or
/// matching as a glob, the filter value (an empty value only by equality). Keys not in `partial` are free, unless `exact`, in
/// which case the entry may have no other keys.
pub(super) fn list<'a, T>(top: &'a Node<T>, partial: &Pattern, exact: bool) -> Vec<&'a Entry<T>> {
    let mut found = Vec::new();
    if let Some(entry) = &top.entry {
        found.push(entry);
    }
    let lister = Lister { partial, exact };
    lister.descend(top, 0, &mut found);
    found
}

struct Lister<'p> {
    partial: &'p Pattern,
    exact: bool,
}

impl Lister<'_> {
    /// Lists below `node`; `matched` counts the keys of `partial` already on the path.
    fn descend<'a, T>(&self, node: &'a Node<T>, matched: usize, found: &mut Vec<&'a Entry<T>>) {
        let Some(test) = &node.test else {
            return;
        };
        let filter = self.partial.get(&test.key);
        let matched_here = matched + usize::from(filter.is_some());
        for (value, child) in js_key_order(&test.values) {
            let selected = match filter {
                // patrun tests `gex.on(value)` for truthiness: an empty value is never
                // selected by a glob, only by an equal (empty) filter value.
                Some(filter) => {
                    value == filter || (!value.is_empty() && glob::matches(filter, value))
                }
                None => !self.exact,
            };
            if !selected {
                continue;
            }
            if matched_here == self.partial.len() {
                if let Some(entry) = &child.entry {
                    found.push(entry);
                }
            }
            self.descend(child, matched_here, found);
        }
        if let Some(star) = &node.star {
            self.descend(star, matched, found);
        }
    }
}

/// The children in JavaScript property order: integer-like keys ascending, then the other keys
/// in insertion order.
fn js_key_order<T>(values: &Values<T>) -> Vec<(&str, &Node<T>)> {
    let mut ordered: Vec<(&str, &Node<T>)> = values.iter().map(|(k, v)| (&**k, v)).collect();
    ordered.sort_by_key(|(key, _)| array_index(key).map_or((1, 0), |i| (0, i)));
    ordered
}

/// The value of a canonical array index (`"0"`, `"17"`, at most 2^32 − 2), which JavaScript
/// objects enumerate first.
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
    if !canonical || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|&i| i != u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("10"), Some(10));
        assert_eq!(array_index("4294967294"), Some(4_294_967_294));
        assert_eq!(array_index("4294967295"), None);
        assert_eq!(array_index("01"), None);
        assert_eq!(array_index("-1"), None);
        assert_eq!(array_index("1.5"), None);
        assert_eq!(array_index("+1"), None);
        assert_eq!(array_index(""), None);
        assert_eq!(array_index("x"), None);
    }
}
