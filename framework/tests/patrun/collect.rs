//! patrun collect-mode tests (`find(msg, false, true)`), and `find-exact-collect`.

use serde_json::json;

use crate::support::{router, sorted, Patrun};

/// patrun's `find-exact-collect`. The exact lookups and the non-exact collects are ported; the
/// exact collects (`find(msg, true, true)`) have no equivalent API and are skipped.
#[test]
fn find_exact_collect() {
    let mut rt1 = router();

    rt1.put(json!({"x0": "y0"}), "e0"); // deliberate noise
    rt1.put(json!({"p1": "v1"}), "r1");
    rt1.put(json!({"p1": "v1", "p2": "v2"}), "r2");
    rt1.put(json!({"p1": "v1", "p3": "v3"}), "r3");

    rt1.put(json!({"q1": "w1"}), "s1");
    rt1.put(json!({"q1": "w1", "q2": "w2"}), "s2");
    rt1.put(json!({"q1": "w1", "q3": "w3"}), "s3");
    rt1.put(json!({"q2": "w2"}), "s4");

    assert_eq!(rt1.exact(json!({"p1": "v1"})), Some("r1"));
    assert_eq!(rt1.get(json!({"p1": "v1"})), Some("r1"));
    assert_eq!(rt1.exact(json!({"p1": "v1", "p2": "x"})), None);
    assert_eq!(rt1.get(json!({"p1": "v1", "p2": "x"})), Some("r1"));
    assert_eq!(rt1.get(json!({"p1": "v1", "p2": "v2"})), Some("r2"));
    assert_eq!(rt1.exact(json!({"p1": "v1", "p2": "v2"})), Some("r2"));

    assert!(rt1.gather(json!({"p1": "x"})).is_empty());
    assert_eq!(rt1.gather(json!({"p1": "v1"})), ["r1"]);

    // there only is a matching trail
    assert_eq!(rt1.gather(json!({"p1": "v1", "p2": "v2"})), ["r1", "r2"]);
    assert_eq!(rt1.gather(json!({"p1": "v1", "p3": "v3"})), ["r1", "r3"]);

    assert!(rt1.gather(json!({"q1": "x"})).is_empty());
    assert_eq!(rt1.gather(json!({"q1": "w1"})), ["s1"]);
    assert!(rt1.gather(json!({"q2": "x"})).is_empty());
    assert_eq!(rt1.gather(json!({"q2": "w2"})), ["s4"]);

    // followed a remainder path (q1 removed)
    assert_eq!(
        sorted(rt1.gather(json!({"q1": "w1", "q2": "w2"}))),
        ["s1", "s2", "s4"]
    );
    assert_eq!(rt1.gather(json!({"q1": "w1", "q3": "w3"})), ["s1", "s3"]);

    // add another remainder trail
    rt1.put(json!({"q3": "w3"}), "s5");

    assert_eq!(
        sorted(rt1.gather(json!({"q1": "w1", "q2": "w2"}))),
        ["s1", "s2", "s4"]
    );
    assert_eq!(
        sorted(rt1.gather(json!({"q1": "w1", "q3": "w3"}))),
        ["s1", "s3", "s5"]
    );

    assert!(rt1.gather(json!({"q1": "x"})).is_empty());
    assert_eq!(rt1.gather(json!({"q1": "w1"})), ["s1"]);
    assert!(rt1.gather(json!({"q2": "x"})).is_empty());
    assert_eq!(rt1.gather(json!({"q2": "w2"})), ["s4"]);
    assert!(rt1.gather(json!({"q3": "x"})).is_empty());
    assert_eq!(rt1.gather(json!({"q3": "w3"})), ["s5"]);

    // add a top
    rt1.put(json!({}), "t");
    assert_eq!(rt1.gather(json!({})), ["t"]);

    assert_eq!(rt1.gather(json!({"q1": "x"})), ["t"]);
    assert_eq!(rt1.gather(json!({"q1": "w1"})), ["t", "s1"]);

    // followed a remainder path (q1 removed)
    assert_eq!(
        rt1.gather(json!({"q1": "w1", "q2": "w2"})),
        ["t", "s1", "s2", "s4"]
    );
    assert_eq!(
        rt1.gather(json!({"q1": "w1", "q3": "w3"})),
        ["t", "s1", "s3", "s5"]
    );
}

#[test]
fn collect_once() {
    let mut p1 = router();
    p1.put(json!({"d": 1, "b": 1, "a": 1}), "A");
    p1.put(json!({"d": 1}), "B");
    assert_eq!(p1.gather(json!({"d": 1, "b": 1})), ["B"]);

    let mut p2 = router();
    p2.put(json!({"d": 1, "b": 1, "c": 1}), "A");
    p2.put(json!({"d": 1}), "B");
    assert_eq!(p2.gather(json!({"d": 1, "b": 1})), ["B"]);

    let mut p3 = router();
    p3.put(json!({"d": 1, "b": 1, "e": 1}), "A");
    p3.put(json!({"d": 1}), "B");
    assert_eq!(p3.gather(json!({"d": 1, "b": 1})), ["B"]);
}

#[test]
fn collect_powerset() {
    let mut p1 = router();

    p1.put(json!({"a": 1, "b": 2}), "AB");
    p1.put(json!({"a": 1, "c": 3}), "AC");
    p1.put(json!({"b": 2, "c": 3}), "BC");
    p1.put(json!({"a": 1, "d": 4}), "AD");

    assert_eq!(p1.gather(json!({"a": 1, "b": 2, "x": 1})), ["AB"]);
    assert_eq!(p1.gather(json!({"a": 1, "c": 3, "x": 1})), ["AC"]);
    assert_eq!(p1.gather(json!({"b": 2, "c": 3, "x": 1})), ["BC"]);
    assert_eq!(p1.gather(json!({"a": 1, "d": 4, "x": 1})), ["AD"]);

    assert_eq!(p1.get(json!({"a": 1, "b": 2, "c": 3})), Some("AB"));
    assert_eq!(p1.exact(json!({"a": 1, "b": 2, "c": 3})), None);
    assert_eq!(
        p1.gather(json!({"a": 1, "b": 2, "c": 3, "x": 2})),
        ["AB", "AC", "BC"]
    );

    p1.put(json!({"b": 1, "e": 5}), "BE");
    assert_eq!(
        p1.gather(json!({"a": 1, "b": 2, "c": 3, "x": 2})),
        ["AB", "AC", "BC"]
    );

    p1.put(json!({"a": 1, "b": 2, "c": 3}), "ABC");
    assert_eq!(
        p1.gather(json!({"a": 1, "b": 2, "c": 3, "x": 2})),
        ["AB", "ABC", "AC", "BC"]
    );

    assert_eq!(
        p1.gather(json!({"a": 1, "b": 2, "d": 4, "x": 2})),
        ["AB", "AD"]
    );
    assert_eq!(
        p1.gather(json!({"a": 1, "b": 2, "c": 3, "d": 4, "x": 2})),
        ["AB", "ABC", "AC", "AD", "BC"]
    );
}
