//! The const records `#[action]` and `#[event]` submit to `inventory`.

use std::any::TypeId;

use super::BoxHandler;

/// Whether a registration is an action (answers acts) or an event subscriber.
///
/// ```
/// use porticus::{ActError, Kind, Registration};
/// use serde_json::Value;
///
/// #[porticus::action("role:order,cmd:place")]
/// async fn place(msg: Value) -> Result<Value, ActError> { Ok(msg) }
///
/// #[porticus::event("event:placed")]
/// async fn placed(_ev: Value) -> Result<(), ActError> { Ok(()) }
///
/// # fn main() {
/// let kind_of = |name| Registration::all().find(|r| r.name == name).map(|r| r.kind);
/// assert_eq!(kind_of("place"), Some(Kind::Action));
/// assert_eq!(kind_of("placed"), Some(Kind::Event));
/// # }
/// ```
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
///
/// ```
/// use porticus::{ActError, Kind, Registration};
/// use serde_json::Value;
///
/// #[porticus::action("role:math,cmd:sum", override, idempotent, concurrency = 8, queue = 32)]
/// async fn sum(msg: Value) -> Result<Value, ActError> { Ok(msg) }
///
/// # fn main() {
/// let sum = Registration::all().find(|r| r.name == "sum").expect("registered");
/// assert_eq!(sum.pattern, "role:math,cmd:sum");
/// assert_eq!(sum.kind, Kind::Action);
/// assert!(sum.overrides);
/// assert!(sum.idempotent);
/// assert_eq!((sum.concurrency, sum.queue), (Some(8), 32));
/// # }
/// ```
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
    /// Whether running it twice does no harm (`idempotent`): a `[[policy]]` with `retries`
    /// then retries its timeouts and `overloaded` too (`docs/resilience.md`).
    pub idempotent: bool,
    /// The most acts of it running at once in this node (`concurrency = N`), if limited.
    pub concurrency: Option<u32>,
    /// How many acts may wait for a place when `concurrency` run (`queue = M`); past it an act
    /// fails at once with `overloaded`.
    pub queue: u32,
    /// Builds the handler.
    pub make: fn() -> BoxHandler,
    /// The `TypeId` of the function's item type: how a test that names the function
    /// (`porticus::testing`) finds its registration.
    pub item: fn() -> TypeId,
}

inventory::collect!(Registration);

impl Registration {
    /// Every registration linked into this binary, in no particular order.
    ///
    /// ```
    /// use porticus::{ActError, Registration};
    /// use serde_json::Value;
    ///
    /// #[porticus::action("role:a")]
    /// async fn a(msg: Value) -> Result<Value, ActError> { Ok(msg) }
    ///
    /// #[porticus::action("role:b")]
    /// async fn b(msg: Value) -> Result<Value, ActError> { Ok(msg) }
    ///
    /// # fn main() {
    /// let mut patterns: Vec<_> = Registration::all().map(|r| r.pattern).collect();
    /// patterns.sort_unstable();
    /// assert_eq!(patterns, ["role:a", "role:b"]);
    /// # }
    /// ```
    pub fn all() -> impl Iterator<Item = &'static Registration> {
        inventory::iter::<Registration>.into_iter()
    }

    /// Where the handler is defined: `module::name (file:line)`.
    ///
    /// ```
    /// use porticus::Registration;
    ///
    /// mod shop {
    ///     use porticus::ActError;
    ///     use serde_json::Value;
    ///
    ///     #[porticus::action("role:cart")]
    ///     pub async fn cart(msg: Value) -> Result<Value, ActError> { Ok(msg) }
    /// }
    ///
    /// # fn main() {
    /// let cart = Registration::all().find(|r| r.name == "cart").expect("registered");
    /// assert!(cart.location().contains("::shop::cart ("), "{}", cart.location());
    /// # }
    /// ```
    pub fn location(&self) -> String {
        format!(
            "{}::{} ({}:{})",
            self.module, self.name, self.file, self.line
        )
    }
}
