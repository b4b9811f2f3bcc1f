//! [`Link`]: one broker connection's state in the metrics — connections up and down by
//! transport and role, reconnections, and how long publisher confirms take.

use std::sync::atomic::AtomicU8;
#[cfg(feature = "metrics")]
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Which side of the transport a connection serves: the `role` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A transport client (acts and emits leave through it).
    Client,
    /// A listener (acts and events arrive through it).
    Listener,
}

impl Role {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Listener => "listener",
        }
    }
}

/// Not counted in the gauge (yet).
const UNCOUNTED: u8 = 0;
/// Counted as up.
#[cfg(feature = "metrics")]
const UP: u8 = 1;
/// Counted as down.
#[cfg(feature = "metrics")]
const DOWN: u8 = 2;

/// A broker connection as `porticus_transport_connections{transport,role,state}` counts it,
/// kept up to date by whoever watches the connection ([`set`](Self::set) on each look, cheap
/// when nothing changed). A return to up after down counts a reconnection. Dropping it takes
/// it out of the gauge.
#[derive(Debug)]
pub(crate) struct Link {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    transport: &'static str,
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    role: Role,
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    counted: AtomicU8,
}

impl Link {
    /// A connection of `role` over `transport`, not counted until its first [`set`](Self::set).
    pub(crate) fn new(transport: &'static str, role: Role) -> Link {
        Link {
            transport,
            role,
            counted: AtomicU8::new(UNCOUNTED),
        }
    }

    /// Whether the connection is up now.
    pub(crate) fn set(&self, up: bool) {
        #[cfg(feature = "metrics")]
        {
            let now = if up { UP } else { DOWN };
            let before = self.counted.load(Ordering::Relaxed);
            if before == now || !super::enabled() {
                return;
            }
            if self
                .counted
                .compare_exchange(before, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
            {
                return; // another watcher recorded this change
            }
            if before == UNCOUNTED {
                // Both states and the reconnections exist from the first look, at zero.
                self.connections(UP + DOWN - now).increment(0.0);
                self.reconnects().absolute(0);
            } else {
                self.connections(before).decrement(1.0);
            }
            self.connections(now).increment(1.0);
            if before == DOWN && now == UP {
                self.reconnects().increment(1);
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = up;
    }

    /// The gauge of this transport's and role's connections in `state` (`UP` or `DOWN`).
    #[cfg(feature = "metrics")]
    fn connections(&self, state: u8) -> metrics::Gauge {
        let state = if state == UP { "up" } else { "down" };
        metrics::gauge!(
            super::names::CONNECTIONS.name,
            "transport" => self.transport,
            "role" => self.role.as_str(),
            "state" => state
        )
    }

    #[cfg(feature = "metrics")]
    fn reconnects(&self) -> metrics::Counter {
        metrics::counter!(
            super::names::RECONNECTS.name,
            "transport" => self.transport,
            "role" => self.role.as_str()
        )
    }
}

/// The broker confirmed a message published over `transport` after `elapsed`.
pub(crate) fn confirmed(transport: &'static str, elapsed: Duration) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::histogram!(super::names::CONFIRM_DURATION.name, "transport" => transport)
            .record(elapsed.as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, elapsed);
}

impl Drop for Link {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        {
            let before = *self.counted.get_mut();
            if before != UNCOUNTED && super::enabled() {
                self.connections(before).decrement(1.0);
            }
        }
    }
}
