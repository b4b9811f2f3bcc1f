//! patrun `remove` tests.

use serde_json::json;

use crate::support::{router, Patrun};

#[test]
fn remove() {
    let mut rt1 = router();
    rt1.drop_pattern(json!({"p1": "v1"}));
    assert!(rt1.is_empty());

    rt1.put(json!({"p1": "v1"}), "r0");
    assert_eq!(rt1.get(json!({"p1": "v1"})), Some("r0"));

    rt1.drop_pattern(json!({"p1": "v1"}));
    assert_eq!(rt1.get(json!({"p1": "v1"})), None);

    rt1.put(json!({"p2": "v2", "p3": "v3"}), "r1");
    rt1.put(json!({"p2": "v2", "p4": "v4"}), "r2");
    assert_eq!(rt1.get(json!({"p2": "v2", "p3": "v3"})), Some("r1"));
    assert_eq!(rt1.get(json!({"p2": "v2", "p4": "v4"})), Some("r2"));

    rt1.drop_pattern(json!({"p2": "v2", "p3": "v3"}));
    assert_eq!(rt1.get(json!({"p2": "v2", "p3": "v3"})), None);
    assert_eq!(rt1.get(json!({"p2": "v2", "p4": "v4"})), Some("r2"));
    assert_eq!(rt1.len(), 1);
}

#[test]
fn remove_intermediate() {
    let mut p = router();

    p.put(json!({"a": 1, "b": 2, "d": 4}), "XX");
    p.put(json!({"c": 3, "d": 4}), "YY");
    p.put(json!({"a": 1, "b": 2}), "X");
    p.put(json!({"c": 3}), "Y");

    p.drop_pattern(json!({"c": 3}));

    assert_eq!(p.get(json!({"c": 3})), None);
    assert_eq!(p.get(json!({"a": 1, "c": 3, "d": 4})), Some("YY"));
    assert_eq!(p.get(json!({"a": 1, "b": 2, "d": 4})), Some("XX"));
    assert_eq!(p.get(json!({"a": 1, "b": 2})), Some("X"));

    p.drop_pattern(json!({"a": 1, "b": 2}));

    assert_eq!(p.get(json!({"c": 3})), None);
    assert_eq!(p.get(json!({"a": 1, "c": 3, "d": 4})), Some("YY"));
    assert_eq!(p.get(json!({"a": 1, "b": 2, "d": 4})), Some("XX"));
    assert_eq!(p.get(json!({"a": 1, "b": 2})), None);
}

#[test]
fn partial_match_remove() {
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

    p1.drop_pattern(json!({"a": 0}));
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), Some("Q"));
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), None);
    assert_eq!(p1.get(json!({"a": 0})), None);
    assert_eq!(p1.get(json!({"a": 0, "d": 3})), Some("S"));
    assert_eq!(
        p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4, "f": 5})),
        Some("T")
    );
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4})), Some("Q"));

    p1.drop_pattern(json!({"a": 0, "b": 1, "c": 2}));
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2})), None);
    assert_eq!(p1.get(json!({"a": 0, "b": 1})), None);
    assert_eq!(p1.get(json!({"a": 0})), None);
    assert_eq!(p1.get(json!({"a": 0, "d": 3})), Some("S"));
    assert_eq!(
        p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4, "f": 5})),
        Some("T")
    );
    assert_eq!(p1.get(json!({"a": 0, "b": 1, "c": 2, "e": 4})), None);
}

#[test]
fn remove_gex() {
    let mut p1 = router();

    p1.put(json!({"a": "A"}), "XA");
    assert_eq!(p1.get(json!({"a": "A"})), Some("XA"));
    assert_eq!(p1.get(json!({})), None);

    p1.put(json!({"b": "*"}), "XB");
    assert_eq!(p1.get(json!({"b": "A"})), Some("XB"));
    assert_eq!(p1.get(json!({"b": "B"})), Some("XB"));
    assert_eq!(p1.get(json!({})), None);
    assert_eq!(p1.get(json!({"a": "A"})), Some("XA"));

    p1.drop_pattern(json!({"b": "*"}));
    assert_eq!(p1.get(json!({"b": "A"})), None);
    assert_eq!(p1.get(json!({"b": "B"})), None);
    assert_eq!(p1.get(json!({})), None);
    assert_eq!(p1.get(json!({"a": "A"})), Some("XA"));
}
