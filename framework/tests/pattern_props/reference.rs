//! A brute-force reference for `PatternIndex`: a literal transcription of patrun 7.3.0's
//! JavaScript `add` and `find` (seneca.md §1.2) over an arena of nodes, with gex globs matched
//! by a separate recursive matcher (tokens rewritten as gex's regular expression does).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

/// gex: `*` any run, `?` one char, after rewriting `**` → literal `*` then `*?` → literal `?`.
pub fn ref_glob(glob: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Star,
        One,
        Lit(char),
    }
    let raw: Vec<Tok> = glob
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect();
    let rewrite = |toks: Vec<Tok>, second: Tok, lit: char| {
        let mut out = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            if toks[i] == Tok::Star && toks.get(i + 1) == Some(&second) {
                out.push(Tok::Lit(lit));
                i += 2;
            } else {
                out.push(toks[i]);
                i += 1;
            }
        }
        out
    };
    let toks = rewrite(rewrite(raw, Tok::Star, '*'), Tok::One, '?');
    fn go(toks: &[Tok], text: &[char]) -> bool {
        match toks.first() {
            None => text.is_empty(),
            Some(Tok::Star) => (0..=text.len()).any(|i| go(&toks[1..], &text[i..])),
            Some(Tok::One) => !text.is_empty() && go(&toks[1..], &text[1..]),
            Some(Tok::Lit(c)) => text.first() == Some(c) && go(&toks[1..], &text[1..]),
        }
    }
    go(&toks, &text.chars().collect::<Vec<_>>())
}

pub fn is_glob(value: &str) -> bool {
    value.contains('*') || value.contains('?')
}

/// A message value as patrun sees it: its `String(v)` form and how gex treats it.
#[derive(Debug, Clone)]
pub enum MsgValue {
    Scalar(Value),
    Null,
    Array(Vec<u8>),
}

impl MsgValue {
    pub fn to_json(&self) -> Value {
        match self {
            MsgValue::Scalar(v) => v.clone(),
            MsgValue::Null => Value::Null,
            MsgValue::Array(items) => json!(items),
        }
    }

    pub fn js_string(&self) -> String {
        match self {
            MsgValue::Scalar(Value::String(s)) => s.clone(),
            MsgValue::Scalar(v) => v.to_string(),
            MsgValue::Null => "null".into(),
            MsgValue::Array(items) => items
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

pub type Msg = BTreeMap<String, MsgValue>;

#[derive(Default)]
struct RefNode {
    k: Option<String>,
    v: Vec<(String, usize)>,
    g: Vec<(String, usize)>,
    s: Option<usize>,
    d: Option<usize>,
}

pub struct Reference {
    nodes: Vec<RefNode>,
}

impl Reference {
    pub fn new() -> Self {
        Reference {
            nodes: vec![RefNode::default()],
        }
    }

    fn make(&mut self) -> usize {
        self.nodes.push(RefNode::default());
        self.nodes.len() - 1
    }

    fn child(&mut self, at: usize, fix: &str) -> usize {
        let list = if is_glob(fix) {
            &self.nodes[at].g
        } else {
            &self.nodes[at].v
        };
        if let Some(&(_, child)) = list.iter().find(|(f, _)| f == fix) {
            return child;
        }
        let child = self.make();
        let node = &mut self.nodes[at];
        let list = if is_glob(fix) {
            &mut node.g
        } else {
            &mut node.v
        };
        list.push((fix.to_owned(), child));
        child
    }

    /// patrun `add`, keys ascending.
    pub fn add(&mut self, pattern: &[(String, String)], data: usize) {
        let mut km = 0;
        let mut i = 0;
        while i < pattern.len() {
            let (key, fix) = &pattern[i];
            match self.nodes[km].k.clone() {
                Some(k) if &k == key => km = self.child(km, fix),
                None => {
                    self.nodes[km].k = Some(key.clone());
                    km = self.child(km, fix);
                }
                Some(k) if key < &k => {
                    let old = std::mem::take(&mut self.nodes[km]);
                    let pushed = self.make();
                    self.nodes[pushed] = RefNode { d: None, ..old };
                    self.nodes[km] = RefNode {
                        k: Some(key.clone()),
                        s: Some(pushed),
                        d: old.d,
                        ..RefNode::default()
                    };
                    km = self.child(km, fix);
                }
                Some(_) => {
                    km = match self.nodes[km].s {
                        Some(s) => s,
                        None => {
                            let s = self.make();
                            self.nodes[km].s = Some(s);
                            s
                        }
                    };
                    continue;
                }
            }
            i += 1;
        }
        self.nodes[km].d = Some(data);
    }

    /// patrun `find(msg, exact, collect)`: (data, collection).
    pub fn find(&self, msg: &Msg, exact: bool, collect: bool) -> (Option<usize>, Vec<usize>) {
        let top = &self.nodes[0];
        let mut data = top.d;
        let mut collection: Vec<usize> = top.d.into_iter().collect();
        let mut stars = Vec::new();
        let mut found = BTreeSet::new();
        let mut km = Some(0);
        while let Some(at) = km {
            let node = &self.nodes[at];
            km = match &node.k {
                None => None,
                Some(key) => {
                    let val = msg.get(key);
                    let text = val.map_or("undefined".to_owned(), MsgValue::js_string);
                    let mut next = node.v.iter().find(|(f, _)| *f == text).map(|&(_, c)| c);
                    if next.is_none() {
                        next = node
                            .g
                            .iter()
                            .find(|(f, _)| match val {
                                None | Some(MsgValue::Null) => false,
                                Some(MsgValue::Array(_)) => true,
                                Some(_) => ref_glob(f, &text),
                            })
                            .map(|&(_, c)| c);
                    }
                    match next {
                        Some(next) => {
                            found.insert(key.clone());
                            if let Some(s) = node.s {
                                stars.push(s);
                            }
                            match self.nodes[next].d {
                                Some(d) => {
                                    data = Some(d);
                                    if collect {
                                        collection.push(d);
                                    }
                                }
                                None if exact => data = None,
                                None => {}
                            }
                            Some(next)
                        }
                        None => node.s,
                    }
                }
            };
            if km.is_none() && (data.is_none() || (collect && !exact)) {
                km = stars.pop();
            }
        }
        if exact && found.len() != msg.len() {
            data = None;
        }
        if !exact && data.is_none() {
            data = top.d;
        }
        (data, collection)
    }
}
