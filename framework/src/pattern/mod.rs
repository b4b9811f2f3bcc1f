//! Patterns and pattern matching, exactly as Seneca 3 routes messages (patrun 7.3.0 with gex
//! globs).
//!
//! A **message** is a JSON object. A **[`Pattern`]** is a set of `key:value` pairs such as
//! `role:math,cmd:sum`. A **[`PatternIndex`]** maps patterns to values (the router stores
//! actions in one) and finds the value for a message.
//!
//! # Patterns
//!
//! Pattern text is parsed by [`parse_object`] (`role:math, cmd:sum, left:1`, optionally in
//! braces, values optionally quoted). A pattern keeps only routing keys, as strings:
//!
//! * keys ending in `$` are directives (`timeout$`, `fatal$`) and are dropped, so are `null`
//!   values;
//! * every value is held as its JavaScript `String(v)` form: `1` and `"1"` are the same value,
//!   `1.0` is `"1"`, `true` is `"true"`;
//! * a value containing `*` or `?` is a **glob**: `*` matches any run of characters, `?` one
//!   character, `**` a literal `*` and `*?` a literal `?`.
//!
//! # How a message finds its pattern
//!
//! The index is patrun's trie: one level per key, keys in alphabetical order, and at each level
//! a "star" branch for the patterns that lack that key. A lookup walks it greedily:
//!
//! 1. At each level it reads the message's value for the level's key, as a string, and follows
//!    the branch of an exact value if there is one, else the first glob (in the order the
//!    globs were added) that matches. A missing or `null` value never matches a glob; an
//!    object or array value matches every glob.
//! 2. If nothing matches, it continues on the star branch (the key is skipped).
//! 3. The deepest stored pattern met on the path wins, so `{a:1,b:2}` beats `{a:1}` for
//!    `{a:1,b:2}`, and `{a:1,b:8}` still finds `{a:1}`. Extra message keys are ignored.
//! 4. Only if the path met no pattern at all does the walk back-track into the star branches it
//!    passed. The first key (alphabetically) that matches therefore decides: for
//!    `{a:1,b:1,c:1}`, `{a:1}` beats the longer `{b:1,c:1}`. A stored catch-all counts as met,
//!    so with one stored the walk never back-tracks (patrun's behaviour).
//! 5. If nothing matched, the catch-all (the empty pattern) is the answer, if stored.
//!
//! Insertion order never matters, except between globs of one key that match the same value.
//! [`PatternIndex::find_exact`] (Seneca's `has`) requires every message key to be matched,
//! [`PatternIndex::collect`] (Seneca's `sub`) returns every stored sub-pattern of the message,
//! and [`PatternIndex::remove`] and [`PatternIndex::list`] reproduce patrun's behaviour, quirks
//! included (documented on each method).
//!
//! ```
//! use porticus::pattern::{Pattern, PatternIndex};
//! use serde_json::json;
//!
//! let mut index = PatternIndex::new();
//! for (text, action) in [
//!     ("", "catch-all"),
//!     ("role:math", "math"),
//!     ("role:math,cmd:sum", "sum"),
//!     ("role:math,cmd:s*", "s-something"),
//!     ("cmd:sum", "any sum"),
//! ] {
//!     index.add(Pattern::parse(text)?, action);
//! }
//!
//! let find = |msg: serde_json::Value| index.find(&msg).copied();
//! assert_eq!(find(json!({"role": "math", "cmd": "sum", "left": 1})), Some("sum"));
//! assert_eq!(find(json!({"role": "math", "cmd": "sqrt"})), Some("s-something"));
//! assert_eq!(find(json!({"role": "math", "cmd": "div"})), Some("math"));
//! // `cmd` sorts before `role`: the `cmd:sum` branch is taken first and has data.
//! assert_eq!(find(json!({"role": "text", "cmd": "sum"})), Some("any sum"));
//! assert_eq!(find(json!({"role": "text"})), Some("catch-all"));
//!
//! // The matched pattern's own test, in isolation:
//! assert!(Pattern::parse("role:math,cmd:s*")?.matches(&json!({"role": "math", "cmd": "sqrt"})));
//! # Ok::<(), porticus::pattern::PatternError>(())
//! ```
//!
//! # Divergences from patrun
//!
//! * A message that is not a JSON object behaves as `{}` (patrun returns nothing for `null`).
//! * Exact lookups do not count message keys ending in `$`.
//! * Keys sort by bytes (JavaScript sorts UTF-16 code units: they differ only for keys mixing
//!   characters above U+FFFF with ones in U+E000–U+FFFF).
//! * A glob's `?` matches one character (JavaScript: one UTF-16 code unit).
//! * Patterns cannot hold `null` or object values, nor store "null data"; lookups cannot hit
//!   JavaScript's inherited properties (`constructor`, `__proto__`).

mod canonical;
mod display;
mod error;
pub(crate) mod glob;
mod index;
mod number;
mod parse;
pub(crate) mod value;

pub use self::canonical::Pattern;
pub use self::error::PatternError;
pub use self::index::PatternIndex;
pub use self::parse::parse_object;
pub use self::value::routing_text;
