//! Which dead letters a replay or purge takes: by message id, by a pattern on the body, or all.

use lapin::message::Delivery;
use porticus::pattern::Pattern;
use serde_json::Value;

use super::letter::Letter;
use crate::exit::Exit;

/// The selection options.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "selection", required = true, multiple = true)]
pub struct Selection {
    /// The message id of a dead letter to take (repeat for more).
    #[arg(long = "id", value_name = "ID", group = "selection")]
    pub ids: Vec<String>,
    /// Take the dead letters whose body matches this pattern (`event:order_shipped`).
    #[arg(long, value_name = "PATTERN", group = "selection")]
    pub pattern: Option<String>,
    /// Take every dead letter (those in the queue when the command starts).
    #[arg(long, group = "selection", conflicts_with_all = ["ids", "pattern"])]
    pub all: bool,
}

/// A parsed selection.
#[derive(Debug)]
pub struct Selector {
    ids: Vec<String>,
    pattern: Option<Pattern>,
    all: bool,
}

impl Selection {
    /// Parses the pattern.
    pub fn selector(&self) -> Result<Selector, Exit> {
        let pattern = match &self.pattern {
            Some(text) => Some(
                Pattern::parse(text)
                    .map_err(|e| Exit::usage(format!("`{text}` is not a pattern: {e}")))?,
            ),
            None => None,
        };
        Ok(Selector {
            ids: self.ids.clone(),
            pattern,
            all: self.all,
        })
    }
}

impl Selector {
    /// Whether `delivery` is selected: its id is one of the ids, or (when both are given, as
    /// well) its body matches the pattern.
    pub fn takes(&self, delivery: &Delivery) -> bool {
        self.all || self.takes_letter(Letter::read(delivery).id.as_deref(), &delivery.data)
    }

    /// Whether the letter with message id `id` and body `body` is selected (any backend).
    pub fn takes_letter(&self, id: Option<&str>, body: &[u8]) -> bool {
        if self.all {
            return true;
        }
        let by_id = self.ids.is_empty() || id.is_some_and(|id| self.ids.iter().any(|i| i == id));
        let by_pattern = self.pattern.as_ref().is_none_or(|pattern| {
            serde_json::from_slice::<Value>(body).is_ok_and(|body| pattern.matches(&body))
        });
        by_id && by_pattern
    }
}
