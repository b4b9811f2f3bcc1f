//! [`Via`]: the transport a received message came over, in one byte — a [`Meta`](crate::Meta)
//! travels through every act's future, and a wider field there costs every act (its futures
//! are moved with `memcpy` past a size).
//!
//! The built-in transports have fixed numbers; any other name a listener gives (its
//! [`transport`](crate::transport::Listener::transport)) is interned once, up to 250 names.

use std::sync::{Mutex, PoisonError};

/// A transport name, interned; `Via::NONE` for a message made in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Via(u8);

/// The built-in transports, numbered from 1.
const BUILT_IN: [&str; 4] = ["http", "amqp", "nats", "local"];

/// Other transports' names, numbered after the built-in ones.
static OTHERS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

impl Via {
    /// Made in this process.
    pub(crate) const NONE: Via = Via(0);

    /// The number of `name`, interning it the first time (past 250 names, the last one's).
    pub(crate) fn of(name: &'static str) -> Via {
        if let Some(i) = BUILT_IN.iter().position(|b| *b == name) {
            return Via(i as u8 + 1);
        }
        let mut others = OTHERS.lock().unwrap_or_else(PoisonError::into_inner);
        let i = match others.iter().position(|o| *o == name) {
            Some(i) => i,
            None if others.len() < 250 => {
                others.push(name);
                others.len() - 1
            }
            None => others.len() - 1,
        };
        Via((BUILT_IN.len() + 1 + i) as u8)
    }

    /// The transport's name, `None` for a message made in this process.
    pub(crate) fn name(self) -> Option<&'static str> {
        let i = usize::from(self.0);
        match i {
            0 => None,
            _ if i <= BUILT_IN.len() => Some(BUILT_IN[i - 1]),
            _ => OTHERS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(i - BUILT_IN.len() - 1)
                .copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_one_byte() {
        assert_eq!(Via::NONE.name(), None);
        assert_eq!(Via::of("amqp").name(), Some("amqp"));
        assert_eq!(Via::of("carrier-pigeon").name(), Some("carrier-pigeon"));
        assert_eq!(Via::of("carrier-pigeon"), Via::of("carrier-pigeon"));
        assert_ne!(Via::of("carrier-pigeon"), Via::of("amqp"));
        assert_eq!(std::mem::size_of::<Via>(), 1);
    }
}
