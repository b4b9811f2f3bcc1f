//! The trie's nodes and patrun's insertion (`add`).

use std::cmp::Ordering;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::pattern::canonical::Pattern;
use crate::pattern::glob::{self, Glob};

/// Children by exact value string, in insertion order.
pub(super) type Values<T> = IndexMap<Box<str>, Node<T>, FxBuildHasher>;

/// A stored pattern and its value.
#[derive(Debug, Clone)]
pub(super) struct Entry<T> {
    pub(super) pattern: Pattern,
    pub(super) value: T,
}

/// A trie node (patrun's `keymap`): the key it tests, the branch that skips that key, and the
/// entry of the pattern whose path ends here.
#[derive(Debug, Clone)]
pub(super) struct Node<T> {
    /// patrun's `k`, `v` and `g`: unset on a leaf.
    pub(super) test: Option<Test<T>>,
    /// patrun's `s`: where patterns lacking `test.key` continue.
    pub(super) star: Option<Box<Node<T>>>,
    /// patrun's `d`.
    pub(super) entry: Option<Entry<T>>,
}

/// The key a node tests and its children.
#[derive(Debug, Clone)]
pub(super) struct Test<T> {
    pub(super) key: Box<str>,
    /// Children by exact value.
    pub(super) values: Values<T>,
    /// Children by glob, in insertion order; tried after `values`.
    pub(super) globs: Vec<GlobBranch<T>>,
}

/// A child reached through a glob value.
#[derive(Debug, Clone)]
pub(super) struct GlobBranch<T> {
    pub(super) glob: Glob,
    pub(super) node: Node<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Node {
            test: None,
            star: None,
            entry: None,
        }
    }
}

impl<T> Test<T> {
    fn new(key: &str) -> Self {
        Test {
            key: Box::from(key),
            values: Values::default(),
            globs: Vec::new(),
        }
    }
}

impl<T> Node<T> {
    /// patrun `add`: walks (and grows) the path of `pattern` and stores the entry at its end,
    /// returning the entry it replaces.
    pub(super) fn insert(&mut self, pattern: Pattern, value: T) -> Option<Entry<T>> {
        let mut node = self;
        for (key, val) in pattern.iter() {
            // Find or make the node on this path that tests `key`.
            let test = loop {
                let order = node.test.as_ref().map(|test| key.cmp(&*test.key));
                match order {
                    None => break node.test.insert(Test::new(key)),
                    Some(Ordering::Equal) => break node.test.get_or_insert_with(|| Test::new(key)),
                    // The pattern lacks the tested key: continue on the star branch.
                    Some(Ordering::Greater) => node = node.star.get_or_insert_with(Box::default),
                    // `key` sorts first: push this node's test down into a new star node.
                    Some(Ordering::Less) => {
                        let pushed = Node {
                            test: node.test.take(),
                            star: node.star.take(),
                            entry: None,
                        };
                        node.star = Some(Box::new(pushed));
                        break node.test.insert(Test::new(key));
                    }
                }
            };
            node = if glob::is_glob(val) {
                let at = match test.globs.iter().position(|g| g.glob.source() == val) {
                    Some(at) => at,
                    None => {
                        test.globs.push(GlobBranch {
                            glob: Glob::new(val),
                            node: Node::default(),
                        });
                        test.globs.len() - 1
                    }
                };
                &mut test.globs[at].node
            } else {
                test.values.entry(Box::from(val)).or_default()
            };
        }
        node.entry.replace(Entry { pattern, value })
    }

    /// Calls `visit` with every entry: this node's, then its value children, glob children and
    /// star branch (depth first).
    pub(super) fn for_each_entry<'a>(&'a self, visit: &mut impl FnMut(&'a Entry<T>)) {
        if let Some(entry) = &self.entry {
            visit(entry);
        }
        if let Some(test) = &self.test {
            for child in test.values.values() {
                child.for_each_entry(visit);
            }
            for branch in &test.globs {
                branch.node.for_each_entry(visit);
            }
        }
        if let Some(star) = &self.star {
            star.for_each_entry(visit);
        }
    }
}
