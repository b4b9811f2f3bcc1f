//! Behaviour derived from patrun's source and confirmed by running patrun 7.3.0
//! (seneca.md §1: groups `derived-*` and the `[run]` notes), plus this port's documented
//! choices.

use porticus::pattern::{Pattern, PatternIndex};
use serde_json::json;

use crate::support::{pairs, pat, router, Patrun};

/// `{a:1}` beats the more numerous `{b:1,c:1}` for `{a:1,b:1,c:1}`: the first key that matches
/// decides, whatever the insertion order.
#[test]
fn greedy_alphabetical_choice() {
    let mut r = router();
    r.put(json!({"b": 1, "c": 1}), "BC");
    r.put(json!({"a": 1}), "A");
    assert_eq!(r.get(json!({"a": 1, "b": 1, "c": 1})), Some("A"));
    assert_eq!(r.get(json!({"a": 2, "b": 1, "c": 1})), Some("BC"));

    let mut r = router();
    r.put(json!({"a": 1}), "A");
    r.put(json!({"b": 1, "c": 1}), "BC");
    assert_eq!(r.get(json!({"a": 1, "b": 1, "c": 1})), Some("A"));
}

/// Values compare as JavaScript strings.
#[test]
fn number_coercion() {
    let mut r = router();
    r.put(json!({"a": 1.0}), "A");
    assert_eq!(r.get(json!({"a": 1})), Some("A"));
    assert_eq!(r.get(json!({"a": "1"})), Some("A"));
    assert_eq!(r.get(json!({"a": "1.0"})), None);
    assert_eq!(r.listed(json!({})), pairs(&[("a:1", "A")]));

    r.put(json!({"b": 1e21}), "B");
    assert_eq!(r.get(json!({"b": "1e+21"})), Some("B"));
    r.put(json!({"c": [1, 2]}), "C");
    assert_eq!(r.get(json!({"c": "1,2"})), Some("C"));
    assert_eq!(r.get(json!({"c": [1, 2]})), Some("C"));
    r.put(json!({"d": true}), "D");
    assert_eq!(r.get(json!({"d": "true"})), Some("D"));
    // `{p1:0}` does not match `{p1:null}`, which is looked up as "null".
    r.put(json!({"p1": 0}), "P0");
    assert_eq!(r.get(json!({"p1": null})), None);
    r.put(json!({"p1": "null"}), "PN");
    assert_eq!(r.get(json!({"p1": null})), Some("PN"));
    // A missing key is looked up as "undefined".
    r.put(json!({"u": "undefined"}), "U");
    assert_eq!(r.get(json!({"x": 1})), Some("U"));
}

/// Keys matched on abandoned branches count toward exactness.
#[test]
fn find_exact_found_count_quirk() {
    let mut r = router();
    r.put(json!({"a": 1, "x": 1}), "AX");
    r.put(json!({"b": 2, "c": 3}), "BC");
    assert_eq!(r.exact(json!({"a": 1, "b": 2, "c": 3})), Some("BC"));
    assert_eq!(r.exact(json!({"b": 2, "c": 3})), Some("BC"));
    assert_eq!(r.exact(json!({"a": 2, "b": 2, "c": 3})), None);
}

/// Exactness ignores directives (Seneca strips them), but not other extra keys.
#[test]
fn find_exact_ignores_directives() {
    let mut r = router();
    r.put(json!({"role": "math", "cmd": "sum"}), "sum");
    let msg = json!({"role": "math", "cmd": "sum", "fatal$": true, "meta$": {}});
    assert_eq!(r.exact(msg), Some("sum"));
    assert_eq!(
        r.exact(json!({"role": "math", "cmd": "sum", "x": null})),
        None
    );
}

/// A stored catch-all counts as data already found, so the walk never back-tracks.
#[test]
fn root_data_disables_backtracking() {
    let mut r = router();
    r.put(json!({"a": 1, "x": 1}), "AX");
    r.put(json!({"b": 2}), "B");
    assert_eq!(r.get(json!({"a": 1, "b": 2})), Some("B"));

    r.put(json!({}), "R");
    assert_eq!(r.get(json!({"a": 1, "b": 2})), Some("R"));
    assert_eq!(r.get(json!({"b": 2})), Some("B"));
    // Exact mode resets the data on entering a node without one, so it does back-track.
    assert_eq!(r.exact(json!({"b": 2})), Some("B"));
}

#[test]
fn remove_walks_past_the_pattern() {
    // With only `{a:1}` stored, removing `{a:1,b:2}` removes `{a:1}`.
    let mut r = router();
    r.put(json!({"a": 1}), "A");
    assert_eq!(r.remove(&pat(json!({"a": 1, "b": 2}))), Some("A"));
    assert!(r.is_empty());

    // The last node entered has no data: nothing is removed.
    let mut r = router();
    r.put(json!({"a": 1}), "A");
    r.put(json!({"a": 1, "b": 2, "c": 3}), "ABC");
    assert_eq!(r.remove(&pat(json!({"a": 1, "b": 2}))), None);
    assert_eq!(r.len(), 2);
    assert_eq!(r.get(json!({"a": 1, "b": 2, "c": 3})), Some("ABC"));

    // Nothing matched.
    assert_eq!(r.remove(&pat(json!({"a": 2}))), None);
    assert_eq!(r.len(), 2);

    // The catch-all is never removed.
    r.put(json!({}), "R");
    assert_eq!(r.remove(&Pattern::empty()), None);
    assert_eq!(r.get(json!({"z": 1})), Some("R"));

    // A glob is removed by its own text, not by matching.
    r.put(json!({"g": "x*"}), "G");
    assert_eq!(r.remove(&pat(json!({"g": "xy"}))), None);
    assert_eq!(r.remove(&pat(json!({"g": "x*"}))), Some("G"));
    assert_eq!(r.get(json!({"g": "xy"})), Some("R"));
    assert_eq!(r.len(), 3);
}

/// Values are listed in JavaScript key order: integer-like first, ascending, then insertion
/// order; removed entries stay out; the catch-all is listed whatever the filter.
#[test]
fn list_order_and_catch_all() {
    let mut r = router();
    for (value, data) in [
        ("x", "x"),
        ("10", "10"),
        ("2", "2"),
        ("1", "1"),
        ("01", "01"),
    ] {
        r.put(json!({ "a": value }), data);
    }
    assert_eq!(r.listed_data(json!({})), ["1", "2", "10", "x", "01"]);
    r.drop_pattern(json!({"a": "2"}));
    assert_eq!(r.listed_data(json!({})), ["1", "10", "x", "01"]);

    r.put(json!({}), "R");
    assert_eq!(r.listed_data(json!({"a": "x"})), ["R", "x"]);
    assert_eq!(r.listed_exact_data(json!({"zz": 1})), ["R"]);
}

/// `**` in a filter is a literal `*`; a literal filter value also matches by equality.
#[test]
fn list_filter_globs() {
    let mut r = router();
    r.put(json!({"a": "abc"}), "abc");
    r.put(json!({"a": "abd"}), "abd");
    r.put(json!({"a": "xyz"}), "xyz");
    assert_eq!(r.listed_data(json!({"a": "ab?"})), ["abc", "abd"]);
    assert_eq!(r.listed_data(json!({"a": "*z"})), ["xyz"]);
    assert!(r.listed_data(json!({"a": "a**"})).is_empty());
    assert!(r.listed_data(json!({"b": "*"})).is_empty());
}

/// gex never matches a missing or null value, and matches any object or array.
#[test]
fn glob_value_kinds() {
    let mut r = router();
    r.put(json!({"a": "x*"}), "AX");
    assert_eq!(r.get(json!({"a": {"k": 1}})), Some("AX"));
    assert_eq!(r.get(json!({"a": []})), Some("AX"));
    assert_eq!(r.get(json!({"a": ["x1"]})), Some("AX"));
    assert_eq!(r.get(json!({"a": "y"})), None);
    assert_eq!(r.get(json!({"a": null})), None);
    assert_eq!(r.get(json!({})), None);

    r.put(json!({"n": "1?"}), "N");
    assert_eq!(r.get(json!({"n": 12})), Some("N"));
    assert_eq!(r.get(json!({"n": 1.5})), None);
    r.put(json!({"t": "tr*"}), "T");
    assert_eq!(r.get(json!({"t": true})), Some("T"));
    // Escapes: `**` is a literal star.
    r.put(json!({"s": "a**"}), "S");
    assert_eq!(r.get(json!({"s": "a*"})), Some("S"));
    assert_eq!(r.get(json!({"s": "ab"})), None);
}

/// The first matching glob, in insertion order, wins among globs of one key.
#[test]
fn glob_insertion_order() {
    let mut r = router();
    r.put(json!({"a": "x*"}), "X*");
    r.put(json!({"a": "*y"}), "*Y");
    assert_eq!(r.get(json!({"a": "xy"})), Some("X*"));

    let mut r = router();
    r.put(json!({"a": "*y"}), "*Y");
    r.put(json!({"a": "x*"}), "X*");
    assert_eq!(r.get(json!({"a": "xy"})), Some("*Y"));
}

#[test]
fn find_with_pattern_and_replacement() {
    let mut index = PatternIndex::new();
    assert_eq!(index.add(pat(json!({"role": "math", "cmd": "*"})), 1), None);
    assert_eq!(
        index.add(Pattern::parse("cmd:*,role:math").unwrap(), 2),
        Some(1)
    );
    index.add(Pattern::empty(), 0);
    let (found, value) = index
        .find_with_pattern(&json!({"role": "math", "cmd": "sum"}))
        .unwrap();
    assert_eq!(
        (found.to_string(), *value),
        ("cmd:*,role:math".to_owned(), 2)
    );
    let (found, value) = index.find_with_pattern(&json!({"role": "text"})).unwrap();
    assert_eq!((found.clone(), *value), (Pattern::empty(), 0));
    assert_eq!(index.len(), 2);
    assert_eq!(
        format!("{index:?}"),
        "{Pattern(): 0, Pattern(cmd:*,role:math): 2}"
    );
}

#[test]
fn collect_includes_globs() {
    let mut r = router();
    r.put(json!({"a": "*"}), "A*");
    r.put(json!({"a": 1, "b": "*"}), "A1B*");
    r.put(json!({"b": 2}), "B2");
    assert_eq!(r.gather(json!({"a": 1, "b": 2})), ["A1B*", "B2"]);
    assert_eq!(r.gather(json!({"a": 7, "b": 2})), ["A*", "B2"]);
}

#[test]
fn clone_is_independent() {
    let mut r = router();
    r.put(json!({"a": 1}), "A");
    let copy = r.clone();
    r.drop_pattern(json!({"a": 1}));
    assert_eq!(r.get(json!({"a": 1})), None);
    assert_eq!(copy.get(json!({"a": 1})), Some("A"));
}
