//! The HTTP listener's connections and refusals.

/// The limit that refused an HTTP request: the `limit` label, named as its config key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Too many requests at once.
    MaxConcurrentRequests,
    /// The body was too large.
    MaxBodyBytes,
    /// The body did not arrive in time.
    BodyReadTimeout,
}

impl Limit {
    #[cfg(feature = "metrics")]
    const ALL: [Limit; 3] = [
        Limit::MaxConcurrentRequests,
        Limit::MaxBodyBytes,
        Limit::BodyReadTimeout,
    ];

    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Limit::MaxConcurrentRequests => "max_concurrent_requests",
            Limit::MaxBodyBytes => "max_body_bytes",
            Limit::BodyReadTimeout => "body_read_timeout_ms",
        }
    }
}

/// An HTTP listener starts serving: its series exist from now on, at zero.
pub(crate) fn listening() {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::gauge!(super::names::HTTP_CONNECTIONS.name).increment(0.0);
        for limit in Limit::ALL {
            metrics::counter!(super::names::HTTP_REFUSED.name, "limit" => limit.as_str())
                .increment(0);
        }
    }
}

/// A request was refused by `limit`.
pub(crate) fn refused(limit: Limit) {
    #[cfg(feature = "metrics")]
    if super::enabled() {
        metrics::counter!(super::names::HTTP_REFUSED.name, "limit" => limit.as_str()).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = limit;
}

/// One open HTTP connection, in `porticus_http_connections_open` until dropped.
#[derive(Debug)]
pub(crate) struct Open {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    counted: bool,
}

impl Open {
    /// A connection was accepted.
    pub(crate) fn new() -> Open {
        let counted = super::enabled();
        #[cfg(feature = "metrics")]
        if counted {
            metrics::gauge!(super::names::HTTP_CONNECTIONS.name).increment(1.0);
        }
        Open { counted }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        if self.counted {
            metrics::gauge!(super::names::HTTP_CONNECTIONS.name).decrement(1.0);
        }
    }
}
