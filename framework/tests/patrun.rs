//! The port of patrun 7.3.0's test suite (rjrodger/patrun `test/patrun.test.js` and the
//! data-driven `test/tsv.test.js` over `test/data/*.tsv`, copied to `tests/data/`), run against
//! [`porticus::pattern::PatternIndex`], which always behaves as `Patrun({gex: true})`.
//!
//! Every test of `patrun.test.js` is ported under its name, except:
//!
//! * `toString`, `top`, and the trie-shape parts of `root-data`, `add`, `null-undef-nan`,
//!   `multi-star`, `star-backtrack` and `toString-matchers`: they check patrun's debug output
//!   (`toString`, `toJSON`, `top()`); the same facts are asserted through `find` and `list`.
//! * `custom-happy`, `custom-many`, `custom-gex`, `top-custom`: patrun's customizer functions
//!   (per-pattern `find`/`remove` hooks) have no equivalent; Seneca does not use them.
//! * `add-interval`, `add-gex-interval` and all of `interval.tsv`: the interval matcher
//!   (`{interval: true}`) is not implemented; Seneca does not enable it.
//! * In `find-exact-collect`, the exact collects (`find(msg, true, true)`): there is no exact
//!   collect API (Seneca never uses it). Its exact finds and non-exact collects are ported.
//! * In `empty`, `find(NaN)`: JSON has no NaN (non-object messages are tested instead).
//! * In `list.topvals`/`list.subvals`, the array-of-globs filter: a `Pattern` holds an array
//!   as its comma-joined string; a single-glob filter is checked instead.
//! * In `find.tsv`, the section "Root catch-all when matched pattern stores null data": a
//!   value cannot be `null` data (patrun treats stored `null` as "no data" but it still resets
//!   the walk's data); the section is skipped.
//!
//! patrun's tests run without gex except the gex-specific ones; none of the others uses `*` or
//! `?` in a stored pattern, so they behave the same with gex on (with gex off `*` would be a
//! literal value). `derived` adds the behaviour seneca.md §1 documents from running patrun
//! ("derived" groups and quirks).

#[path = "patrun/collect.rs"]
mod collect;
#[path = "patrun/derived.rs"]
mod derived;
#[path = "patrun/find.rs"]
mod find;
#[path = "patrun/gex.rs"]
mod gex;
#[path = "patrun/list.rs"]
mod list;
#[path = "patrun/remove.rs"]
mod remove;
#[path = "patrun/support.rs"]
mod support;
#[path = "patrun/tsv.rs"]
mod tsv;
