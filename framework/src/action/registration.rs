//! The const records `#[action]` and `#[event]` submit to `inventory`.

use super::BoxHandler;

/// Whether a registration is an action (answers acts) or an event subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// Answers `act`: the most specific matching action runs.
    Action,
    /// Subscribes to `emit`: every matching subscriber runs.
    Event,
}

/// One handler linked into the binary by `#[porticus::action]` or `#[porticus::event]`.
///
/// Built by the macros as a `const`; [`Node::builder`](crate::Node::builder) collects them all.
/// Not meant to be written by hand, but public so that the records can be listed.
#[derive(Debug)]
pub struct Registration {
    /// The pattern as written in the attribute.
    pub pattern: &'static str,
    /// Action or event subscriber.
    pub kind: Kind,
    /// The function's name.
    pub name: &'static str,
    /// The module that defines it (`module_path!()`).
    pub module: &'static str,
    /// The source file that defines it.
    pub file: &'static str,
    /// The line of the attribute.
    pub line: u32,
    /// Whether it replaces an action with the same pattern (`override`).
    pub overrides: bool,
    /// Builds the handler.
    pub make: fn() -> BoxHandler,
}

inventory::collect!(Registration);

impl Registration {
    /// Every registration linked into this binary, in no particular order.
    pub fn all() -> impl Iterator<Item = &'static Registration> {
        inventory::iter::<Registration>.into_iter()
    }

    /// Where the handler is defined: `module::name (file:line)`.
    pub fn location(&self) -> String {
        format!(
            "{}::{} ({}:{})",
            self.module, self.name, self.file, self.line
        )
    }
}
