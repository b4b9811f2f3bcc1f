//! patrun tests with `{gex: true}`: glob values.

use serde_json::json;

use crate::support::{pairs, router, Patrun};

/// patrun's `toString-matchers` checks the printed trie; the same patterns' lookups are checked
/// instead (exact values before globs, `a` before `b`).
#[test]
fn to_string_matchers() {
    let mut r = router();
    r.put(json!({"a": "a"}), "Aa");
    r.put(json!({"a": "*"}), "A*");
    assert_eq!(r.get(json!({"a": "a"})), Some("Aa"));
    assert_eq!(r.get(json!({"a": "z"})), Some("A*"));

    r.put(json!({"b": "b"}), "Bb");
    r.put(json!({"b": "*"}), "B*");
    assert_eq!(r.get(json!({"b": "b"})), Some("Bb"));
    assert_eq!(r.get(json!({"b": "z"})), Some("B*"));
    assert_eq!(r.get(json!({"a": "z", "b": "b"})), Some("A*"));

    r.put(json!({"a": "a", "b": "b"}), "AB");
    r.put(json!({"a": "*", "b": "*"}), "AB*");
    assert_eq!(r.get(json!({"a": "a", "b": "b"})), Some("AB"));
    assert_eq!(r.get(json!({"a": "a", "b": "z"})), Some("Aa"));
    assert_eq!(r.get(json!({"a": "z", "b": "z"})), Some("AB*"));
    assert_eq!(r.get(json!({"a": "z", "b": "b"})), Some("AB*"));
    // Glob-registered patterns are not listed.
    assert_eq!(
        r.listed(json!({})),
        pairs(&[("a:a", "Aa"), ("a:a,b:b", "AB"), ("b:b", "Bb")])
    );
    assert_eq!(r.len(), 6);
}

#[test]
fn add_gex() {
    let mut p1 = router();

    p1.put(json!({"a": "A"}), "XA");
    assert_eq!(p1.get(json!({"a": "A"})), Some("XA"));
    assert_eq!(p1.get(json!({})), None);

    p1.put(json!({"b": "*"}), "XB");
    assert_eq!(p1.get(json!({"b": "A"})), Some("XB"));
    assert_eq!(p1.get(json!({"b": "B"})), Some("XB"));
    assert_eq!(p1.get(json!({"b": "0"})), Some("XB"));
    assert_eq!(p1.get(json!({"b": 2})), Some("XB"));
    assert_eq!(p1.get(json!({"b": 1})), Some("XB"));
    assert_eq!(p1.get(json!({"b": 0})), Some("XB"));
    assert_eq!(p1.get(json!({"b": ""})), Some("XB")); // this is correct
    assert_eq!(p1.get(json!({})), None);

    p1.put(json!({"c": "*"}), "XC");
    assert_eq!(p1.get(json!({"c": "A"})), Some("XC"));
    assert_eq!(p1.get(json!({"c": "B"})), Some("XC"));
    assert_eq!(p1.get(json!({"c": "0"})), Some("XC"));
    assert_eq!(p1.get(json!({"c": 2})), Some("XC"));
    assert_eq!(p1.get(json!({"c": 1})), Some("XC"));
    assert_eq!(p1.get(json!({"c": 0})), Some("XC"));
    assert_eq!(p1.get(json!({"c": ""})), Some("XC")); // this is correct
    assert_eq!(p1.get(json!({})), None);

    assert_eq!(p1.get(json!({"b": "A", "c": "A"})), Some("XB"));

    p1.put(json!({"e": "*"}), "XE");
    p1.put(json!({"d": "*"}), "XD");

    // alphanumeric ordering
    assert_eq!(p1.get(json!({"d": "A", "e": "A"})), Some("XD"));

    p1.put(json!({"b": 0}), "XB0");

    p1.put(json!({"b": "B"}), "XBB");
    assert_eq!(p1.get(json!({"b": "A"})), Some("XB"));
    assert_eq!(p1.get(json!({"b": 0})), Some("XB0"));
    assert_eq!(p1.get(json!({"b": "B"})), Some("XBB"));
}

#[test]
fn add_mixed_gex() {
    let mut p1 = router();

    p1.put(json!({"a": "*"}), "XAS");
    p1.put(json!({"a": "A"}), "XA");

    p1.put(json!({"b": "A"}), "XB");
    p1.put(json!({"b": "*"}), "XBS");

    assert_eq!(p1.get(json!({"a": "A"})), Some("XA"));
    assert_eq!(p1.get(json!({"a": "Q"})), Some("XAS"));

    assert_eq!(p1.get(json!({"b": "A"})), Some("XB"));
    assert_eq!(p1.get(json!({"b": "Q"})), Some("XBS"));

    p1.put(json!({"c": "B"}), "XCB");
    p1.put(json!({"c": "A"}), "XCA");
    p1.put(json!({"c": "*b"}), "XCBe");
    p1.put(json!({"c": "*a"}), "XCAe");
    p1.put(json!({"c": "b*"}), "XCsB");
    p1.put(json!({"c": "a*"}), "XCsA");

    assert_eq!(p1.get(json!({"c": "A"})), Some("XCA"));
    assert_eq!(p1.get(json!({"c": "B"})), Some("XCB"));
    assert_eq!(p1.get(json!({"c": "qb"})), Some("XCBe"));
    assert_eq!(p1.get(json!({"c": "qa"})), Some("XCAe"));
    assert_eq!(p1.get(json!({"c": "bq"})), Some("XCsB"));
    assert_eq!(p1.get(json!({"c": "aq"})), Some("XCsA"));

    assert_eq!(p1.get(json!({"a": "A"})), Some("XA"));
    assert_eq!(p1.get(json!({"a": "Q"})), Some("XAS"));
    assert_eq!(p1.get(json!({"b": "A"})), Some("XB"));
    assert_eq!(p1.get(json!({"b": "Q"})), Some("XBS"));
}

#[test]
fn add_order_gex() {
    let mut p1 = router();

    p1.put(json!({"c": "A"}), "XC");
    p1.put(json!({"c": "*"}), "XCS");

    p1.put(json!({"a": "A"}), "XA");
    p1.put(json!({"a": "*"}), "XAS");

    p1.put(json!({"b": "A"}), "XB");
    p1.put(json!({"b": "*"}), "XBS");

    assert_eq!(p1.get(json!({"c": "A"})), Some("XC"));
    assert_eq!(p1.get(json!({"b": "A"})), Some("XB"));
    assert_eq!(p1.get(json!({"a": "A"})), Some("XA"));

    assert_eq!(p1.get(json!({"c": "Q"})), Some("XCS"));
    assert_eq!(p1.get(json!({"b": "Q"})), Some("XBS"));
    assert_eq!(p1.get(json!({"a": "Q"})), Some("XAS"));
}

#[test]
fn multi_gex() {
    let mut p1 = router();

    p1.put(json!({"a": 1, "b": 2}), "Xa1b2");
    p1.put(json!({"a": 1, "b": "*"}), "Xa1b*");
    p1.put(json!({"a": 1, "c": 3}), "Xa1c3");
    p1.put(json!({"a": 1, "c": "*"}), "Xa1c*");
    p1.put(json!({"a": 1, "b": 4, "c": 5}), "Xa1b4c5");
    p1.put(json!({"a": 1, "b": "*", "c": 5}), "Xa1b*c5");
    p1.put(json!({"a": 1, "b": 4, "c": "*"}), "Xa1b4c*");
    p1.put(json!({"a": 1, "b": "*", "c": "*"}), "Xa1b*c*");

    assert_eq!(p1.get(json!({"a": 1, "b": 2})), Some("Xa1b2"));
    assert_eq!(p1.get(json!({"a": 1, "b": 0})), Some("Xa1b*"));
    assert_eq!(p1.get(json!({"a": 1, "c": 3})), Some("Xa1c3"));
    assert_eq!(p1.get(json!({"a": 1, "c": 0})), Some("Xa1c*"));
    assert_eq!(p1.get(json!({"a": 1, "b": 4, "c": 5})), Some("Xa1b4c5"));
    assert_eq!(p1.get(json!({"a": 1, "b": 0, "c": 5})), Some("Xa1b*c5"));
    assert_eq!(p1.get(json!({"a": 1, "b": 4, "c": 0})), Some("Xa1b4c*"));
    assert_eq!(p1.get(json!({"a": 1, "b": 0, "c": 0})), Some("Xa1b*c*"));
}
