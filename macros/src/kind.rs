//! Which attribute is being expanded: `#[action]` or `#[event]`.

use std::fmt;

use proc_macro2::{Ident, Span};

/// The two handler attributes; they differ only in the registration they emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[action]`: answers an `act` with one reply.
    Action,
    /// `#[event]`: subscribes to an `emit`; no reply, never overrides.
    Event,
}

impl Kind {
    /// The attribute's name, as users write it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Event => "event",
        }
    }

    /// The `__private` adapter that boxes the handler (`action` or `event`).
    pub(crate) fn adapter(self, span: Span) -> Ident {
        Ident::new(self.name(), span)
    }

    /// The `__private::Kind` variant of the registration record.
    pub(crate) fn variant(self) -> Ident {
        let variant = match self {
            Self::Action => "Action",
            Self::Event => "Event",
        };
        Ident::new(variant, Span::call_site())
    }
}

/// Displays as the attribute users write, e.g. `#[action]`.
impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#[{}]", self.name())
    }
}
