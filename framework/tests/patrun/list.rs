//! patrun `list` tests (the `add` test's list checks, `all`, `list.*`, `list-any`).

use serde_json::json;

use crate::support::{pairs, router, Patrun};

/// patrun's `add` test checks the trie shape through `toString` (skipped) and the listing.
#[test]
fn add() {
    let mut r = router();
    r.put(json!({"a": "1"}), "r1");
    assert_eq!(r.listed(json!({})), pairs(&[("a:1", "r1")]));

    r = router();
    r.put(json!({"a": "1", "b": "2"}), "r1");
    r.put(json!({"a": "1", "b": "3"}), "r2");
    assert_eq!(
        r.listed(json!({})),
        pairs(&[("a:1,b:2", "r1"), ("a:1,b:3", "r2")])
    );

    r = router();
    r.put(json!({"a": "1", "b": "2"}), "r1");
    r.put(json!({"a": "1", "c": "3"}), "r2");
    r.put(json!({"a": "1", "d": "4"}), "r3");
    assert_eq!(
        r.listed(json!({})),
        pairs(&[("a:1,b:2", "r1"), ("a:1,c:3", "r2"), ("a:1,d:4", "r3")])
    );

    // Insertion order does not matter: `b` sorts before `c`.
    r = router();
    r.put(json!({"a": "1", "c": "2"}), "r1");
    r.put(json!({"a": "1", "b": "3"}), "r2");
    assert_eq!(
        r.listed(json!({})),
        pairs(&[("a:1,b:3", "r2"), ("a:1,c:2", "r1")])
    );
}

#[test]
fn all() {
    let mut p = router();

    p.put(json!({"a": 1}), "X");
    p.put(json!({"b": 2}), "Y");

    assert_eq!(p.listed(json!({})), pairs(&[("a:1", "X"), ("b:2", "Y")]));
}

/// patrun's `listtest(mode)`. Its last check filters with an array of globs
/// (`{p2: ['v2a', 'v2b', 'not-a-value']}`), which a `Pattern` cannot express (an array value
/// is its comma-joined string); a single-glob filter (`v2?`) is checked in its place.
fn listtest(subvals: bool) {
    let mut rt1 = router();

    if subvals {
        rt1.put(json!({"a": "1"}), "x");
    }

    rt1.put(json!({"p1": "v1"}), "r0");

    rt1.put(json!({"p1": "v1", "p2": "v2a"}), "r1");
    rt1.put(json!({"p1": "v1", "p2": "v2b"}), "r2");

    let found = rt1.listed(json!({"p1": "v1"}));
    assert_eq!(
        found,
        pairs(&[
            ("p1:v1", "r0"),
            ("p1:v1,p2:v2a", "r1"),
            ("p1:v1,p2:v2b", "r2")
        ])
    );

    let found = rt1.listed(json!({"p1": "v1", "p2": "*"}));
    assert_eq!(
        found,
        pairs(&[("p1:v1,p2:v2a", "r1"), ("p1:v1,p2:v2b", "r2")])
    );

    rt1.put(json!({"p1": "v1", "p2": "v2c", "p3": "v3a"}), "r3a");
    rt1.put(json!({"p1": "v1", "p2": "v2d", "p3": "v3b"}), "r3b");
    let found = rt1.listed(json!({"p1": "v1", "p2": "*", "p3": "v3a"}));
    assert_eq!(found, pairs(&[("p1:v1,p2:v2c,p3:v3a", "r3a")]));

    // In place of the array-of-globs filter.
    let found = rt1.listed(json!({"p1": "v1", "p2": "v2?"}));
    assert_eq!(
        found,
        pairs(&[
            ("p1:v1,p2:v2a", "r1"),
            ("p1:v1,p2:v2b", "r2"),
            ("p1:v1,p2:v2c,p3:v3a", "r3a"),
            ("p1:v1,p2:v2d,p3:v3b", "r3b")
        ])
    );
}

#[test]
fn list_topvals() {
    listtest(false);
}

#[test]
fn list_subvals() {
    listtest(true);
}

#[test]
fn list_any() {
    let mut p1 = router();
    p1.put(json!({"a": 1}), "A");
    p1.put(json!({"a": 1, "b": 2}), "B");
    p1.put(json!({"a": 1, "b": 2, "c": 3}), "C");

    let m_a = ("a:1", "A");
    let m_b = ("a:1,b:2", "B");
    let m_c = ("a:1,b:2,c:3", "C");

    assert_eq!(p1.listed(json!({})), pairs(&[m_a, m_b, m_c]));

    assert_eq!(p1.listed(json!({"a": 1})), pairs(&[m_a, m_b, m_c]));
    assert_eq!(p1.listed(json!({"b": 2})), pairs(&[m_b, m_c]));
    assert_eq!(p1.listed(json!({"c": 3})), pairs(&[m_c]));

    assert_eq!(p1.listed(json!({"a": "*"})), pairs(&[m_a, m_b, m_c]));
    assert_eq!(p1.listed(json!({"b": "*"})), pairs(&[m_b, m_c]));
    assert_eq!(p1.listed(json!({"c": "*"})), pairs(&[m_c]));

    assert_eq!(p1.listed(json!({"a": 1, "b": 2})), pairs(&[m_b, m_c]));
    assert_eq!(p1.listed(json!({"a": 1, "b": "*"})), pairs(&[m_b, m_c]));
    assert_eq!(p1.listed(json!({"a": 1, "b": "*", "c": 3})), pairs(&[m_c]));
    assert_eq!(
        p1.listed(json!({"a": 1, "b": "*", "c": "*"})),
        pairs(&[m_c])
    );

    assert_eq!(p1.listed(json!({"a": 1, "c": "*"})), pairs(&[m_c]));

    // test star descent

    p1.put(json!({"a": 1, "d": 4}), "D");
    let m_d = ("a:1,d:4", "D");

    assert_eq!(p1.listed(json!({})), pairs(&[m_a, m_b, m_c, m_d]));
    assert_eq!(p1.listed(json!({"a": 1})), pairs(&[m_a, m_b, m_c, m_d]));
    assert_eq!(p1.listed(json!({"d": 4})), pairs(&[m_d]));
    assert_eq!(p1.listed(json!({"a": 1, "d": 4})), pairs(&[m_d]));
    assert_eq!(p1.listed(json!({"a": 1, "d": "*"})), pairs(&[m_d]));
    assert_eq!(p1.listed(json!({"d": "*"})), pairs(&[m_d]));

    p1.put(json!({"a": 1, "c": 33}), "CC");
    let m_cc = ("a:1,c:33", "CC");

    assert_eq!(p1.listed(json!({})), pairs(&[m_a, m_b, m_c, m_cc, m_d]));
    assert_eq!(
        p1.listed(json!({"a": 1})),
        pairs(&[m_a, m_b, m_c, m_cc, m_d])
    );

    assert_eq!(p1.listed(json!({"d": 4})), pairs(&[m_d]));
    assert_eq!(p1.listed(json!({"a": 1, "d": 4})), pairs(&[m_d]));
    assert_eq!(p1.listed(json!({"a": 1, "d": "*"})), pairs(&[m_d]));
    assert_eq!(p1.listed(json!({"d": "*"})), pairs(&[m_d]));

    assert_eq!(p1.listed(json!({"c": 33})), pairs(&[m_cc]));
    assert_eq!(p1.listed(json!({"a": 1, "c": 33})), pairs(&[m_cc]));
    assert_eq!(p1.listed(json!({"a": 1, "c": "*"})), pairs(&[m_c, m_cc]));
    assert_eq!(p1.listed(json!({"c": "*"})), pairs(&[m_c, m_cc]));

    // exact
    assert_eq!(p1.listed_exact(json!({"a": 1})), pairs(&[m_a]));
    assert_eq!(p1.listed_exact(json!({"a": "*"})), pairs(&[m_a]));
    assert_eq!(p1.listed_exact(json!({"a": 1, "b": 2})), pairs(&[m_b]));
    assert_eq!(p1.listed_exact(json!({"a": 1, "b": "*"})), pairs(&[m_b]));
    assert!(p1.listed_exact(json!({"a": 1, "c": 3})).is_empty());
    assert_eq!(p1.listed_exact(json!({"a": 1, "c": 33})), pairs(&[m_cc]));
    assert_eq!(p1.listed_exact(json!({"a": 1, "c": "*"})), pairs(&[m_cc]));
}
