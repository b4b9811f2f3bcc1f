//! The Socket.IO listener's connections, acts, pushed and dropped events and disconnections.
//! Each function does nothing until a recorder is installed (or without the `metrics` feature).

/// How a socket's act ended: the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActOutcome {
    /// The node answered.
    Ok,
    /// The node answered an error.
    Error,
    /// The socket may not act that message.
    Forbidden,
    /// Over the socket's act rate or in-flight limit.
    Overloaded,
    /// Not an object, or a malformed directive.
    Invalid,
}

impl ActOutcome {
    #[cfg(feature = "metrics")]
    const ALL: [ActOutcome; 5] = [
        ActOutcome::Ok,
        ActOutcome::Error,
        ActOutcome::Forbidden,
        ActOutcome::Overloaded,
        ActOutcome::Invalid,
    ];

    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            ActOutcome::Ok => "ok",
            ActOutcome::Error => "error",
            ActOutcome::Forbidden => "forbidden",
            ActOutcome::Overloaded => "overloaded",
            ActOutcome::Invalid => "invalid",
        }
    }
}

/// Why an event did not reach a socket: the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drop {
    /// Its outgoing buffer was full.
    SlowClient,
    /// It was closing.
    Closed,
}

impl Drop {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Drop::SlowClient => "slow_client",
            Drop::Closed => "closed",
        }
    }
}

/// Why a socket left, or was not let in: the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gone {
    /// The client disconnected.
    Client,
    /// The connection broke, or the client sent a malformed or oversized packet.
    Transport,
    /// The client did not answer a ping in time.
    PingTimeout,
    /// Its outgoing buffer filled up.
    SlowClient,
    /// The server disconnected it (closing).
    Server,
    /// Refused: `max_connections` sockets were connected.
    RefusedMaxConnections,
    /// Refused by the authorizer.
    RefusedAuthorizer,
}

impl Gone {
    #[cfg(feature = "metrics")]
    const ALL: [Gone; 7] = [
        Gone::Client,
        Gone::Transport,
        Gone::PingTimeout,
        Gone::SlowClient,
        Gone::Server,
        Gone::RefusedMaxConnections,
        Gone::RefusedAuthorizer,
    ];

    /// The label, also used in logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Gone::Client => "client",
            Gone::Transport => "transport",
            Gone::PingTimeout => "ping_timeout",
            Gone::SlowClient => "slow_client",
            Gone::Server => "server",
            Gone::RefusedMaxConnections => "refused_max_connections",
            Gone::RefusedAuthorizer => "refused_authorizer",
        }
    }
}

/// Sockets start being served: the series exist from now on, at zero.
pub(crate) fn serving() {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        use super::names::{SOCKETS_CONNECTED, SOCKET_ACTS, SOCKET_DISCONNECTS, SOCKET_EVENTS};
        metrics::gauge!(SOCKETS_CONNECTED.name).increment(0.0);
        metrics::counter!(SOCKET_EVENTS.name).increment(0);
        for outcome in ActOutcome::ALL {
            metrics::counter!(SOCKET_ACTS.name, "outcome" => outcome.as_str()).increment(0);
        }
        for reason in Gone::ALL {
            metrics::counter!(SOCKET_DISCONNECTS.name, "reason" => reason.as_str()).increment(0);
        }
    }
}

/// A socket's act ended with `outcome`.
pub(crate) fn act(outcome: ActOutcome) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::counter!(super::names::SOCKET_ACTS.name, "outcome" => outcome.as_str())
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// `count` sockets were pushed an event.
pub(crate) fn pushed(count: u64) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::counter!(super::names::SOCKET_EVENTS.name).increment(count);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = count;
}

/// An event was not pushed to a socket, for `reason`.
pub(crate) fn dropped(reason: Drop) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::counter!(super::names::SOCKET_DROPS.name, "reason" => reason.as_str())
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// A socket left or was refused, for `reason`.
pub(crate) fn gone(reason: Gone) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::counter!(super::names::SOCKET_DISCONNECTS.name, "reason" => reason.as_str())
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// One connected socket, in `porticus_socketio_connections` until dropped.
#[derive(Debug)]
pub(crate) struct Connected {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    counted: bool,
}

impl Connected {
    /// A socket connected.
    pub(crate) fn new() -> Connected {
        let counted = super::enabled();
        #[cfg(feature = "metrics")]
        if counted {
            metrics::gauge!(super::names::SOCKETS_CONNECTED.name).increment(1.0);
        }
        Connected { counted }
    }
}

impl std::ops::Drop for Connected {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        if self.counted {
            metrics::gauge!(super::names::SOCKETS_CONNECTED.name).decrement(1.0);
        }
    }
}
