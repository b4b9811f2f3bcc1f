//! Tab completion: the REPL's commands, the services it has seen, and the keys and values of
//! the patterns their `info` lists (`role:` → `math`, `cmd:` → `sum`, `product`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::Helper;
use serde_json::Value;

use super::parse::COMMANDS;

/// What completion knows: service names and pattern keys with their values.
#[derive(Debug, Default)]
pub struct Vocabulary {
    services: BTreeSet<String>,
    keys: BTreeMap<String, BTreeSet<String>>,
}

impl Vocabulary {
    /// Learns from an `info` reply: the service's name, and every key and value of the
    /// patterns of its actions, subscriptions and clients (wildcards left out).
    pub fn learn(&mut self, info: &Value) {
        if let Some(service) = info["service"].as_str() {
            self.services.insert(service.to_owned());
        }
        let patterns = ["actions", "subscriptions"]
            .iter()
            .flat_map(|list| info[*list].as_array().into_iter().flatten())
            .filter_map(|entry| entry["pattern"].as_str())
            .chain(
                info["clients"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|client| client["pin"].as_str()),
            );
        for pattern in patterns {
            self.learn_pattern(pattern);
        }
    }

    /// Learns the keys and values of `pattern` (`cmd:sum,role:math`).
    pub fn learn_pattern(&mut self, pattern: &str) {
        for pair in pattern.split(',') {
            if let Some((key, value)) = pair.split_once(':') {
                let (key, value) = (key.trim(), value.trim());
                if key.is_empty() {
                    continue;
                }
                let values = self.keys.entry(key.to_owned()).or_default();
                if !value.is_empty() && !value.contains(['*', '?']) {
                    values.insert(value.to_owned());
                }
            }
        }
    }

    /// Learns a service's name (one `ping` or `stats` answered for).
    pub fn learn_service(&mut self, service: &str) {
        self.services.insert(service.to_owned());
    }

    /// Where the word being completed starts in `line[..pos]`, and its candidates.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let word_start = before.rfind(char::is_whitespace).map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
        let word = &before[word_start..];
        let earlier: Vec<&str> = before[..word_start].split_whitespace().collect();
        let starting = |candidates: &mut dyn Iterator<Item = &str>, prefix: &str| {
            candidates
                .filter(|c| c.starts_with(prefix))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        match earlier.as_slice() {
            [] => (word_start, starting(&mut COMMANDS.iter().copied(), word)),
            [command] if ["ping", "info", "stats"].contains(command) => (
                word_start,
                starting(&mut self.services.iter().map(String::as_str), word),
            ),
            [command] if ["act", "emit"].contains(command) && !word.starts_with('{') => {
                // Within the pattern: the pair after the last comma.
                let pair_start = word_start + word.rfind(',').map_or(0, |i| i + 1);
                let pair = &before[pair_start..];
                match pair.split_once(':') {
                    Some((key, value)) => {
                        let values = self.keys.get(key).into_iter().flatten();
                        (
                            pair_start + key.len() + 1,
                            starting(&mut values.map(String::as_str), value),
                        )
                    }
                    None => {
                        let keys = self
                            .keys
                            .keys()
                            .filter(|k| k.starts_with(pair))
                            .map(|k| format!("{k}:"))
                            .collect();
                        (pair_start, keys)
                    }
                }
            }
            _ => (pos, Vec::new()),
        }
    }
}

/// The line editor's helper: completion from a [`Vocabulary`] the REPL keeps learning.
#[derive(Debug, Clone, Default)]
pub struct ReplHelper {
    /// Shared with the loop, which learns from `info` replies.
    pub vocabulary: Arc<Mutex<Vocabulary>>,
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let vocabulary = self.vocabulary.lock().unwrap_or_else(|e| e.into_inner());
        Ok(vocabulary.complete(line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn math() -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        vocabulary.learn(&json!({
            "service": "math",
            "actions": [
                { "pattern": "role:porticus,service:math" },
                { "pattern": "cmd:sum,role:math" },
                { "pattern": "cmd:product,role:math" },
                { "pattern": "cmd:*,role:other" }
            ],
            "clients": [ { "pin": "role:stock" } ]
        }));
        vocabulary
    }

    #[test]
    fn completes_commands_services_keys_and_values() {
        let v = math();
        assert_eq!(v.complete("st", 2), (0, vec!["stats".to_owned()]));
        assert_eq!(v.complete("info m", 6), (5, vec!["math".to_owned()]));
        assert_eq!(v.complete("act r", 5), (4, vec!["role:".to_owned()]));
        assert_eq!(
            v.complete("act role:", 9),
            (
                9,
                vec![
                    "math".to_owned(),
                    "other".to_owned(),
                    "porticus".to_owned(),
                    "stock".to_owned()
                ]
            )
        );
        let line = "act role:math,cmd:s";
        assert_eq!(v.complete(line, line.len()), (18, vec!["sum".to_owned()]));
        let line = "act role:math,c";
        assert_eq!(v.complete(line, line.len()), (14, vec!["cmd:".to_owned()]));
        assert_eq!(v.complete("act {\"a", 7).1, Vec::<String>::new());
    }
}
