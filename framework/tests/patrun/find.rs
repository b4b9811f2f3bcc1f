//! patrun `find` / `findexact` tests (test/patrun.test.js), in the original order.

use serde_json::json;

use crate::support::{router, Patrun};

#[test]
fn empty() {
    let mut r = router();
    // patrun: find(NaN), find(undefined), find(null) — here: messages that are not objects.
    for msg in [
        json!(null),
        json!(0),
        json!("a:1"),
        json!([1]),
        json!({}),
        json!({"a": 1}),
    ] {
        assert_eq!(r.get(msg), None);
    }

    r.put(json!({"a": 1}), "A");

    for msg in [json!(null), json!(0), json!("a:1"), json!([1]), json!({})] {
        assert_eq!(r.get(msg), None);
    }
    assert_eq!(r.get(json!({"a": 1})), Some("A"));
}

#[test]
fn root_data() {
    let mut r = router();
    r.put(json!({}), "R");
    assert_eq!(r.listed(json!({})), [("".to_owned(), "R")]);

    assert_eq!(r.get(json!({})), Some("R"));
    assert_eq!(r.get(json!({"x": 1})), Some("R"));

    r.put(json!({"a": "1"}), "r1");
    assert_eq!(r.get(json!({"x": 1})), Some("R"));
    assert_eq!(r.get(json!({"a": 1})), Some("r1"));
    assert_eq!(r.get(json!({"a": 2})), Some("R"));

    r.put(json!({"a": "1", "b": "1"}), "r2");
    assert_eq!(r.get(json!({"x": 1})), Some("R"));
    assert_eq!(r.get(json!({"a": 1})), Some("r1"));
    assert_eq!(r.get(json!({"a": 1, "b": 1})), Some("r2"));
    assert_eq!(r.get(json!({"a": 2})), Some("R"));
    assert_eq!(r.get(json!({"a": 1, "b": 2})), Some("r1")); // a:1 is defined
    assert_eq!(r.exact(json!({"a": 1, "b": 2})), None); // exact must be ... exact
    assert_eq!(r.get(json!({"a": 2, "b": 2})), Some("R"));
    assert_eq!(r.get(json!({"b": 2})), Some("R"));

    r.put(json!({"x": "1", "y": "1"}), "r3");
    assert_eq!(r.get(json!({"x": 1})), Some("R"));
    assert_eq!(r.exact(json!({"x": 1})), None);

    assert_eq!(
        r.listed(json!({})),
        crate::support::pairs(&[
            ("", "R"),
            ("a:1", "r1"),
            ("a:1,b:1", "r2"),
            ("x:1,y:1", "r3")
        ])
    );
}

#[test]
fn basic() {
    let mut rt1 = router();

    rt1.put(json!({"p1": "v1"}), "r1");
    assert_eq!(rt1.get(json!({"p1": "v1"})), Some("r1"));
    assert_eq!(rt1.get(json!({"p2": "v1"})), None);

    // Adding the same pattern again replaces its data.
    rt1.put(json!({"p1": "v1"}), "r1x");
    assert_eq!(rt1.get(json!({"p1": "v1"})), Some("r1x"));
    assert_eq!(rt1.get(json!({"p2": "v1"})), None);

    rt1.put(json!({"p1": "v2"}), "r2");
    assert_eq!(rt1.get(json!({"p1": "v2"})), Some("r2"));
    assert_eq!(rt1.get(json!({"p2": "v2"})), None);

    rt1.put(json!({"p2": "v3"}), "r3");
    assert_eq!(rt1.get(json!({"p2": "v3"})), Some("r3"));
    assert_eq!(rt1.get(json!({"p2": "v2"})), None);
    assert_eq!(rt1.get(json!({"p2": "v1"})), None);

    rt1.put(json!({"p1": "v1", "p3": "v4"}), "r4");
    assert_eq!(rt1.get(json!({"p1": "v1", "p3": "v4"})), Some("r4"));
    assert_eq!(rt1.get(json!({"p1": "v1", "p3": "v5"})), Some("r1x"));
    assert_eq!(rt1.get(json!({"p2": "v1"})), None);

    rt1.put(json!({"p1": "v1", "p2": "v5"}), "r5");
    assert_eq!(rt1.get(json!({"p1": "v1", "p2": "v5"})), Some("r5"));
    assert_eq!(rt1.len(), 5);
}

#[test]
fn culdesac() {
    let mut rt1 = router();

    rt1.put(json!({"p1": "v1"}), "r1");
    rt1.put(json!({"p1": "v1", "p2": "v2"}), "r2");
    rt1.put(json!({"p1": "v1", "p3": "v3"}), "r3");

    assert_eq!(rt1.get(json!({"p1": "v1", "p2": "x"})), Some("r1"));
    assert_eq!(
        rt1.get(json!({"p1": "v1", "p2": "x", "p3": "v3"})),
        Some("r3")
    );
}

#[test]
fn falsy_values() {
    let mut rt1 = router();

    rt1.put(json!({"p1": 0}), "r1");
    rt1.put(json!({"p1": 0, "p2": ""}), "r2");
    rt1.put(json!({"p1": 0, "p2": "", "p3": false}), "r3");

    assert_eq!(rt1.get(json!({"p1": null})), None);
    assert_eq!(rt1.get(json!({"p1": 0})), Some("r1"));
    assert_eq!(rt1.get(json!({"p1": 0, "p2": ""})), Some("r2"));
    assert_eq!(rt1.get(json!({"p1": 0, "p2": "", "p3": false})), Some("r3"));

    let all = rt1
        .list(None)
        .into_iter()
        .map(|(_, d)| *d)
        .collect::<Vec<_>>();
    assert_eq!(all, ["r1", "r2", "r3"]);
    assert_eq!(rt1.listed_data(json!({})), ["r1", "r2", "r3"]);
    assert!(rt1.listed_exact_data(json!({})).is_empty());

    assert_eq!(rt1.listed_data(json!({"p1": 0})), ["r1", "r2", "r3"]);
    assert_eq!(rt1.listed_data(json!({"p2": ""})), ["r2", "r3"]);
    assert_eq!(rt1.listed_data(json!({"p3": false})), ["r3"]);

    assert_eq!(rt1.listed_exact_data(json!({"p1": 0})), ["r1"]);
    assert_eq!(rt1.listed_exact_data(json!({"p1": 0, "p2": ""})), ["r2"]);
    assert_eq!(
        rt1.listed_exact_data(json!({"p1": 0, "p2": "", "p3": false})),
        ["r3"]
    );

    assert!(rt1.listed_exact_data(json!({"p2": ""})).is_empty());
    assert!(rt1
        .listed_exact_data(json!({"p2": "", "p3": false}))
        .is_empty());
    assert!(rt1.listed_exact_data(json!({"p3": false})).is_empty());
}

/// patrun checks `toJSON()` (the trie shape); the observable behaviour is checked instead.
#[test]
fn null_undef_nan() {
    let mut rt1 = router();

    // A null value is dropped: `{p1: null}` is the root pattern.
    rt1.put(json!({"p1": null}), "r1");
    assert_eq!(rt1.len(), 1);
    assert_eq!(rt1.get(json!({})), Some("r1"));
    assert_eq!(rt1.listed(json!({})), [("".to_owned(), "r1")]);

    // `{p2: undefined}` — in JSON, a missing key — is the root pattern too: it replaces r1.
    rt1.put(json!({}), "r2");
    assert_eq!(rt1.len(), 1);
    assert_eq!(rt1.get(json!({"p1": 1})), Some("r2"));

    rt1.put(json!({"p99": "v99"}), "r99");
    assert_eq!(rt1.get(json!({"p99": "v99"})), Some("r99"));
    assert_eq!(
        rt1.listed(json!({})),
        crate::support::pairs(&[("", "r2"), ("p99:v99", "r99")])
    );
}

#[test]
fn multi_star() {
    let mut p = router();

    p.put(json!({"a": 1}), "A");
    p.put(json!({"a": 1, "b": 2}), "B");
    p.put(json!({"c": 3}), "C");
    p.put(json!({"b": 1, "c": 4}), "D");

    // patrun's toString: 'a=1 -> <A>\na=1, b=2 -> <B>\nb=1, c=4 -> <D>\nc=3 -> <C>'
    assert_eq!(
        p.listed(json!({})),
        crate::support::pairs(&[
            ("a:1", "A"),
            ("a:1,b:2", "B"),
            ("b:1,c:4", "D"),
            ("c:3", "C")
        ])
    );

    assert_eq!(p.get(json!({"c": 3})), Some("C"));
    assert_eq!(p.get(json!({"c": 3, "a": 0})), Some("C"));
    assert_eq!(p.get(json!({"c": 3, "a": 0, "b": 0})), Some("C"));
}

#[test]
fn star_backtrack() {
    let mut p = router();

    p.put(json!({"a": 1, "b": 2}), "X");
    p.put(json!({"c": 3}), "Y");

    assert_eq!(p.get(json!({"a": 1, "b": 2})), Some("X"));
    assert_eq!(p.get(json!({"a": 1, "b": 0, "c": 3})), Some("Y"));

    p.put(json!({"a": 1, "b": 2, "d": 4}), "XX");
    p.put(json!({"c": 3, "d": 4}), "YY");

    assert_eq!(p.get(json!({"a": 1, "b": 2, "d": 4})), Some("XX"));
    assert_eq!(p.get(json!({"a": 1, "c": 3, "d": 4})), Some("YY"));
    assert_eq!(p.get(json!({"a": 1, "b": 2})), Some("X"));
    assert_eq!(p.get(json!({"a": 1, "b": 0, "c": 3})), Some("Y"));

    assert_eq!(p.listed_data(json!({"a": 1, "b": "*"}))[0], "X");
    assert_eq!(p.listed_data(json!({"c": 3}))[0], "Y");
    assert_eq!(p.listed_data(json!({"c": 3, "d": "*"}))[0], "YY");
    assert_eq!(p.listed_data(json!({"a": 1, "b": "*", "d": "*"}))[0], "XX");

    // patrun's toString: 'a=1, b=2 -> <X>\na=1, b=2, d=4 -> <XX>\nc=3 -> <Y>\nc=3, d=4 -> <YY>'
    assert_eq!(
        p.listed(json!({})),
        crate::support::pairs(&[
            ("a:1,b:2", "X"),
            ("a:1,b:2,d:4", "XX"),
            ("c:3", "Y"),
            ("c:3,d:4", "YY")
        ])
    );
}

#[test]
fn exact() {
    let mut p = router();

    p.put(json!({"a": 1}), "X");

    assert_eq!(p.exact(json!({"a": 1})), Some("X"));
    assert_eq!(p.exact(json!({"a": 1, "b": 2})), None);
}

#[test]
fn find_exact() {
    let mut p1 = router();
    p1.put(json!({"a": 1}), "A");
    p1.put(json!({"a": 1, "b": 2}), "B");
    p1.put(json!({"a": 1, "b": 2, "c": 3}), "C");

    assert_eq!(p1.get(json!({"a": 1})), Some("A"));
    assert_eq!(p1.exact(json!({"a": 1})), Some("A"));
    assert_eq!(p1.get(json!({"a": 1, "b": 8})), Some("A"));
    assert_eq!(p1.exact(json!({"a": 1, "b": 8})), None);
    assert_eq!(p1.get(json!({"a": 1, "b": 8, "c": 3})), Some("A"));
    assert_eq!(p1.exact(json!({"a": 1, "b": 8, "c": 3})), None);

    assert_eq!(p1.get(json!({"a": 1, "b": 2})), Some("B"));
    assert_eq!(p1.exact(json!({"a": 1, "b": 2})), Some("B"));
    assert_eq!(p1.get(json!({"a": 1, "b": 2, "c": 9})), Some("B"));
    assert_eq!(p1.exact(json!({"a": 1, "b": 2, "c": 9})), None);

    assert_eq!(p1.get(json!({"a": 1, "b": 2, "c": 3})), Some("C"));
    assert_eq!(p1.exact(json!({"a": 1, "b": 2, "c": 3})), Some("C"));
    assert_eq!(p1.get(json!({"a": 1, "b": 2, "c": 3, "d": 7})), Some("C"));
    assert_eq!(p1.exact(json!({"a": 1, "b": 2, "c": 3, "d": 7})), None);
}

#[test]
fn mixed_values() {
    let mut p1 = router();

    p1.put(json!({"a": 1}), "A");
    p1.put(json!({"a": true}), "AA");
    p1.put(json!({"a": 0}), "AAA");
    p1.put(json!({"a": "A", "b": 2}), "B");
    p1.put(json!({"a": "A", "b": "B", "c": 3}), "C");

    assert_eq!(p1.get(json!({"a": 1})), Some("A"));
    assert_eq!(p1.get(json!({"a": true})), Some("AA"));
    assert_eq!(p1.get(json!({"a": 0})), Some("AAA"));
    assert_eq!(p1.get(json!({"a": "A", "b": 2})), Some("B"));
    assert_eq!(p1.get(json!({"a": "A", "b": "B", "c": 3})), Some("C"));

    assert_eq!(p1.listed(json!({"a": 1})).len(), 1);
    assert_eq!(p1.listed(json!({"a": true})).len(), 1);
    assert_eq!(p1.listed(json!({"a": 0})).len(), 1);

    p1.put(json!({}), "Q");
    assert_eq!(p1.get(json!({})), Some("Q"));
}

#[test]
fn no_props() {
    let mut p1 = router();
    p1.put(json!({}), "Z");
    assert_eq!(p1.get(json!({})), Some("Z"));

    p1.put(json!({"a": 1}), "X");
    assert_eq!(p1.get(json!({})), Some("Z"));

    p1.put(json!({"b": 2}), "Y");
    assert_eq!(p1.get(json!({})), Some("Z"));

    p1.drop_pattern(json!({"b": 2}));
    assert_eq!(p1.get(json!({})), Some("Z"));
    assert_eq!(p1.get(json!({"b": 2})), Some("Z"));
}

#[test]
fn zero() {
    let mut p1 = router();
    p1.put(json!({"a": 0}), "X");
    assert_eq!(p1.get(json!({"a": 0})), Some("X"));
}

#[test]
fn multi_match() {
    let mut p1 = router();
    p1.put(json!({"a": 0}), "P");
    p1.put(json!({"b": 1}), "Q");
    p1.put(json!({"c": 2}), "R");

    assert_eq!(p1.get(json!({"a": 0})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "c": 2})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "c": 2})), Some("P"));
    assert_eq!(p1.get(json!({"b": 1, "c": 2})), Some("Q"));
    assert_eq!(p1.get(json!({"c": 2})), Some("R"));

    p1.put(json!({"a": 0, "b": 1}), "S");
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("S"));
    assert_eq!(p1.get(json!({"a": 0, "c": 2})), Some("P"));

    p1.put(json!({"b": 1, "c": 2}), "T");
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("S"));
    assert_eq!(p1.get(json!({"a": 0, "c": 2})), Some("P"));
    assert_eq!(p1.get(json!({"b": 1, "c": 2})), Some("T"));

    p1.put(json!({"d": 3}), "U");
    assert_eq!(p1.get(json!({"d": 3})), Some("U"));
    assert_eq!(p1.get(json!({"a": 0, "d": 3})), Some("P"));
    assert_eq!(p1.get(json!({"b": 1, "d": 3})), Some("Q"));
    assert_eq!(p1.get(json!({"c": 2, "d": 3})), Some("R"));

    p1.put(json!({"c": 2, "d": 3}), "V");
    assert_eq!(p1.get(json!({"c": 2, "d": 3})), Some("V"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("S"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2, "d": 3})), Some("S"));
}

#[test]
fn partial_match() {
    let mut p1 = router();
    p1.put(json!({"a": 0}), "P");
    p1.put(json!({"a": 0, "b": 1, "c": 2}), "Q");

    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), Some("Q"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0})), Some("P"));

    p1.put(json!({"a": 0, "d": 3}), "S");
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), Some("Q"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "d": 3})), Some("S"));

    p1.put(json!({"a": 0, "b": 1, "c": 2, "e": 4, "f": 5}), "T");
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), Some("Q"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "d": 3})), Some("S"));
    assert_eq!(
        p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4, "f": 5})),
        Some("T")
    );
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4})), Some("Q"));

    p1.put(json!({"a": 0, "b": 1}), "M");
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), Some("Q"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("M"));
    assert_eq!(p1.get(json!({"a": 0})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "d": 3})), Some("S"));
    assert_eq!(
        p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4, "f": 5})),
        Some("T")
    );
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4})), Some("Q"));

    p1.put(json!({"a": 0, "b": 1, "c": 2, "e": 4}), "N");
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), Some("Q"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), Some("M"));
    assert_eq!(p1.get(json!({"a": 0})), Some("P"));
    assert_eq!(p1.get(json!({"a": 0, "d": 3})), Some("S"));
    assert_eq!(
        p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4, "f": 5})),
        Some("T")
    );
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4})), Some("N"));
}
