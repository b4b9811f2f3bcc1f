//! Property tests for `Pattern` and `PatternIndex`.
//!
//! The index is checked against a brute-force reference (`pattern_props/reference.rs`): a
//! literal transcription of patrun's JavaScript.

#[path = "pattern_props/reference.rs"]
mod reference;

use porticus::pattern::{Pattern, PatternIndex};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};

use reference::{is_glob, Msg, MsgValue, Reference};

// ---------------------------------------------------------------------------------------------
// Generators.

const KEYS: [&str; 4] = ["a", "b", "c", "d"];

fn exact_value() -> impl Strategy<Value = String> {
    select(vec!["0", "1", "2", "x1", "xy"]).prop_map(String::from)
}

fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => exact_value(),
        1 => select(vec!["*", "x*", "?", "*1", "**", "*?", "?y"]).prop_map(String::from),
    ]
}

/// A pattern as sorted (key, value) pairs.
fn pattern_of(
    value: impl Strategy<Value = String>,
) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(select(KEYS.to_vec()).prop_map(String::from), value, 0..=3)
        .prop_map(|map| map.into_iter().collect())
}

/// Distinct patterns.
fn pattern_set(
    value: impl Strategy<Value = String>,
) -> impl Strategy<Value = Vec<Vec<(String, String)>>> {
    prop::collection::vec(pattern_of(value), 0..14).prop_map(|mut patterns| {
        let mut seen = std::collections::BTreeSet::new();
        patterns.retain(|p| seen.insert(p.clone()));
        patterns
    })
}

fn msg_value() -> impl Strategy<Value = MsgValue> {
    prop_oneof![
        6 => select(vec!["0", "1", "2", "x1", "xy", "*", "z", ""])
            .prop_map(|s| MsgValue::Scalar(json!(s))),
        2 => (0u8..3).prop_map(|n| MsgValue::Scalar(json!(n))),
        1 => Just(MsgValue::Null),
        1 => prop::collection::vec(0u8..3, 0..3).prop_map(MsgValue::Array),
    ]
}

fn message() -> impl Strategy<Value = Msg> {
    prop::collection::btree_map(
        select(KEYS.to_vec()).prop_map(String::from),
        msg_value(),
        0..=4,
    )
}

fn to_pattern(pairs: &[(String, String)]) -> Pattern {
    let map: Map<String, Value> = pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    Pattern::from_map(&map).unwrap()
}

fn to_message(msg: &Msg) -> Value {
    Value::Object(msg.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

fn build(patterns: &[Vec<(String, String)>]) -> (PatternIndex<usize>, Reference) {
    let mut index = PatternIndex::new();
    let mut reference = Reference::new();
    for (i, pattern) in patterns.iter().enumerate() {
        index.add(to_pattern(pattern), i);
        reference.add(pattern, i);
    }
    (index, reference)
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #[test]
    fn find_agrees_with_reference(patterns in pattern_set(any_value()), msgs in prop::collection::vec(message(), 1..6)) {
        let (index, reference) = build(&patterns);
        for msg in &msgs {
            let json = to_message(msg);
            let (find, _) = reference.find(msg, false, false);
            let (exact, _) = reference.find(msg, true, false);
            let (_, collected) = reference.find(msg, false, true);
            prop_assert_eq!(index.find(&json).copied(), find, "find {}", json);
            prop_assert_eq!(index.find_exact(&json).copied(), exact, "find_exact {}", json);
            let got: Vec<usize> = index.collect(&json).into_iter().copied().collect();
            prop_assert_eq!(got, collected, "collect {}", json);
        }
    }

    #[test]
    fn find_is_independent_of_insertion_order(
        globs in prop::collection::vec(select(vec!["*", "x*", "?", "*1"]), 4),
        picks in prop::collection::vec(prop::collection::btree_map(0usize..4, prop::option::of(exact_value()), 0..=3), 0..14),
        seed in prop::collection::vec(any::<u32>(), 14),
        msgs in prop::collection::vec(message(), 1..6),
    ) {
        // One glob per key (`None` picks it), so no two globs of a key compete.
        let mut patterns: Vec<Vec<(String, String)>> = picks
            .into_iter()
            .map(|p| p.into_iter().map(|(k, v)| (KEYS[k].to_owned(), v.unwrap_or_else(|| globs[k].to_owned()))).collect())
            .collect();
        patterns.sort();
        patterns.dedup();
        let forward = build(&patterns).0;
        let mut shuffled: Vec<(u32, usize)> = (0..patterns.len()).map(|i| (seed[i], i)).collect();
        shuffled.sort();
        let mut backward = PatternIndex::new();
        for &(_, i) in &shuffled {
            backward.add(to_pattern(&patterns[i]), i);
        }
        for msg in &msgs {
            let json = to_message(msg);
            prop_assert_eq!(forward.find(&json), backward.find(&json), "find {}", json);
            prop_assert_eq!(forward.find_exact(&json), backward.find_exact(&json), "exact {}", json);
            let mut a = forward.collect(&json);
            let mut b = backward.collect(&json);
            a.sort();
            b.sort();
            prop_assert_eq!(a, b, "collect {}", json);
        }
    }

    #[test]
    fn found_pattern_matches_the_message(patterns in pattern_set(any_value()), msg in message()) {
        let (index, _) = build(&patterns);
        let json = to_message(&msg);
        if let Some((pattern, &i)) = index.find_with_pattern(&json) {
            prop_assert!(pattern.matches(&json), "{} does not match {}", pattern, json);
            prop_assert_eq!(pattern, &to_pattern(&patterns[i]));
        }
    }

    #[test]
    fn stored_patterns_find_list_and_remove_themselves(patterns in pattern_set(any_value()), seed in any::<u64>()) {
        let (mut index, _) = build(&patterns);
        prop_assert_eq!(index.len(), patterns.len());
        for (i, pattern) in patterns.iter().enumerate() {
            let msg: Value = Value::Object(pattern.iter().map(|(k, v)| (k.clone(), json!(v))).collect());
            if !pattern.iter().any(|(_, v)| is_glob(v)) {
                prop_assert_eq!(index.find(&msg), Some(&i));
                prop_assert_eq!(index.find_exact(&msg), Some(&i));
            }
        }
        // `list` returns exactly the patterns without globs.
        let mut listed: Vec<(Pattern, usize)> = index.list(None).into_iter().map(|(p, &i)| (p, i)).collect();
        listed.sort();
        let mut expected: Vec<(Pattern, usize)> = patterns
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.iter().any(|(_, v)| is_glob(v)))
            .map(|(i, p)| (to_pattern(p), i))
            .collect();
        expected.sort();
        prop_assert_eq!(listed, expected);
        // Removing each stored pattern, in any order, removes exactly its own value; the
        // catch-all is never removed.
        let mut order: Vec<usize> = (0..patterns.len()).collect();
        order.sort_by_key(|&i| (i as u64).wrapping_mul(seed | 1).rotate_left(17));
        for &i in &order {
            let expected = if patterns[i].is_empty() { None } else { Some(i) };
            prop_assert_eq!(index.remove(&to_pattern(&patterns[i])), expected);
        }
        let root = patterns.iter().position(Vec::is_empty);
        prop_assert_eq!(index.len(), usize::from(root.is_some()));
        prop_assert_eq!(index.find(&json!({"a": "1"})), root.as_ref());
    }

    #[test]
    fn display_parses_back(map in prop::collection::btree_map("[^$]{0,6}[^$]", ".{0,8}", 0..5)) {
        let map: Map<String, Value> = map.into_iter().map(|(k, v)| (k, json!(v))).collect();
        let pattern = Pattern::from_map(&map).unwrap();
        let text = pattern.to_string();
        prop_assert_eq!(Pattern::parse(&text).unwrap(), pattern.clone(), "{}", text);
        prop_assert_eq!(text.parse::<Pattern>().unwrap().to_string(), text);
    }

    #[test]
    fn display_parses_back_for_typed_values(
        map in prop::collection::btree_map(
            "[a-z_.-]{1,4}",
            prop_oneof![
                any::<i64>().prop_map(|n| json!(n)),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
                any::<bool>().prop_map(|b| json!(b)),
                "[0-9eE.+-]{1,6}".prop_map(|s| json!(s)),
            ],
            0..5,
        )
    ) {
        let pattern = Pattern::from_map(&map.into_iter().collect()).unwrap();
        prop_assert_eq!(Pattern::parse(&pattern.to_string()).unwrap(), pattern);
    }
}
