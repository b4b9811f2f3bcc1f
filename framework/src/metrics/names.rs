//! Every metric Porticus exports: its name, unit and help text, in one place.

/// One exported metric.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metric {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) help: &'static str,
}

/// What kind of series a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Acts, by pattern (the registered pattern or the client's pin), side, transport and outcome.
pub(crate) const ACTS: Metric = Metric {
    name: "porticus_acts_total",
    kind: Kind::Counter,
    help: "Acts finished, by registered pattern (or client pin), side (local, client, server), transport and outcome (ok or the error code).",
};

/// How long acts took.
pub(crate) const ACT_DURATION: Metric = Metric {
    name: "porticus_act_duration_seconds",
    kind: Kind::Histogram,
    help: "How long acts took, from routing to reply, in seconds.",
};

/// Acts running now.
pub(crate) const ACTS_IN_FLIGHT: Metric = Metric {
    name: "porticus_acts_in_flight",
    kind: Kind::Gauge,
    help: "Acts started and not finished yet.",
};

/// Event subscribers run, by subscription pattern, side, transport and outcome.
pub(crate) const EVENTS_HANDLED: Metric = Metric {
    name: "porticus_events_handled_total",
    kind: Kind::Counter,
    help: "Event deliveries to a subscriber finished, by subscription pattern, side (local: emitted in this process; server: from a transport), transport and outcome (ok or the error code).",
};

/// How long event subscribers took.
pub(crate) const EVENT_DURATION: Metric = Metric {
    name: "porticus_event_duration_seconds",
    kind: Kind::Histogram,
    help: "How long event subscribers took to handle an event, in seconds.",
};

/// Event subscribers running now.
pub(crate) const EVENTS_IN_FLIGHT: Metric = Metric {
    name: "porticus_events_in_flight",
    kind: Kind::Gauge,
    help: "Event deliveries to a subscriber started and not finished yet.",
};

/// Events emitted, per receiver.
pub(crate) const EVENTS_EMITTED: Metric = Metric {
    name: "porticus_events_emitted_total",
    kind: Kind::Counter,
    help: "Events emitted from this process, once per receiver: the subscription pattern of a local subscriber or the pin of a transport client (pattern=\"(none)\" when nothing subscribes), by transport and outcome of the hand-over (ok or the error code).",
};

/// Deliveries that were redeliveries.
pub(crate) const EVENTS_REDELIVERED: Metric = Metric {
    name: "porticus_events_redelivered_total",
    kind: Kind::Counter,
    help: "Event deliveries taken from a broker that were second or later attempts, by transport and queue (or durable consumer).",
};

/// Events moved to the dead letters.
pub(crate) const EVENTS_DEAD_LETTERED: Metric = Metric {
    name: "porticus_events_dead_lettered_total",
    kind: Kind::Counter,
    help: "Events moved to the dead letters, by transport, queue and reason (exhausted: the last attempt failed; permanent: a malformed or oversized event; unreadable: not a JSON object).",
};

/// Messages waiting in a subscriber's queue.
pub(crate) const EVENT_BACKLOG: Metric = Metric {
    name: "porticus_event_backlog",
    kind: Kind::Gauge,
    help: "Events waiting in this service's queue (AMQP) or pending for its durable consumer (NATS), as the broker last reported, by transport and queue.",
};

/// Broker connections by state.
pub(crate) const CONNECTIONS: Metric = Metric {
    name: "porticus_transport_connections",
    kind: Kind::Gauge,
    help: "Connections of transport clients and listeners to their broker, by transport, role (client, listener) and state (up, down).",
};

/// Reconnections.
pub(crate) const RECONNECTS: Metric = Metric {
    name: "porticus_transport_reconnects_total",
    kind: Kind::Counter,
    help: "Times a broker connection came back after it was down, by transport and role.",
};

/// Publisher confirm latency.
pub(crate) const CONFIRM_DURATION: Metric = Metric {
    name: "porticus_publish_confirm_seconds",
    kind: Kind::Histogram,
    help: "How long the broker took to confirm a published message (AMQP publisher confirm, JetStream publish ack), in seconds, by transport.",
};

/// Open HTTP connections.
pub(crate) const HTTP_CONNECTIONS: Metric = Metric {
    name: "porticus_http_connections_open",
    kind: Kind::Gauge,
    help: "Connections the HTTP listener is serving now.",
};

/// HTTP requests refused by a limit.
pub(crate) const HTTP_REFUSED: Metric = Metric {
    name: "porticus_http_refused_total",
    kind: Kind::Counter,
    help: "HTTP requests the listener refused, by the limit that refused them (max_concurrent_requests, max_body_bytes, body_read_timeout_ms).",
};

/// Connected Socket.IO sockets.
pub(crate) const SOCKETS_CONNECTED: Metric = Metric {
    name: "porticus_socketio_connections",
    kind: Kind::Gauge,
    help: "Socket.IO sockets connected now.",
};

/// Socket.IO acts, by outcome.
pub(crate) const SOCKET_ACTS: Metric = Metric {
    name: "porticus_socketio_acts_total",
    kind: Kind::Counter,
    help: "Acts Socket.IO clients sent, by outcome (ok, error: the act failed, forbidden, overloaded, invalid).",
};

/// Events pushed to Socket.IO sockets.
pub(crate) const SOCKET_EVENTS: Metric = Metric {
    name: "porticus_socketio_events_pushed_total",
    kind: Kind::Counter,
    help: "Events pushed to Socket.IO sockets (one per socket reached).",
};

/// Events not pushed to a socket.
pub(crate) const SOCKET_DROPS: Metric = Metric {
    name: "porticus_socketio_events_dropped_total",
    kind: Kind::Counter,
    help: "Events not pushed to a Socket.IO socket whose outgoing buffer was full (slow_client) or that was closing (closed).",
};

/// Socket.IO disconnections and refusals, by reason.
pub(crate) const SOCKET_DISCONNECTS: Metric = Metric {
    name: "porticus_socketio_disconnects_total",
    kind: Kind::Counter,
    help: "Socket.IO sockets disconnected or refused, by reason (client, transport, ping_timeout, slow_client, server, refused_max_connections, refused_authorizer).",
};

/// Acts sent again by a retry policy.
pub(crate) const ACT_RETRIES: Metric = Metric {
    name: "porticus_act_retries_total",
    kind: Kind::Counter,
    help: "Acts sent again by their [[policy]] after a failure that may be retried, by policy pattern and the code of the failure.",
};

/// Acts refused at once by a bulkhead.
pub(crate) const ACTS_SHED: Metric = Metric {
    name: "porticus_acts_shed_total",
    kind: Kind::Counter,
    help: "Acts refused at once with overloaded because their pattern's concurrency limit and wait queue were full, by pattern.",
};

/// Circuit breaker states.
pub(crate) const BREAKER_STATE: Metric = Metric {
    name: "porticus_circuit_breaker_state",
    kind: Kind::Gauge,
    help: "Whether a policy's circuit breaker is in a state (1) or not (0), by policy pattern and state (closed, half_open, open).",
};

/// Circuit breaker state changes.
pub(crate) const BREAKER_TRANSITIONS: Metric = Metric {
    name: "porticus_circuit_breaker_transitions_total",
    kind: Kind::Counter,
    help: "Times a policy's circuit breaker changed state, by policy pattern and the state it entered.",
};

/// Every metric, for `describe`.
pub(crate) const ALL: [Metric; 24] = [
    ACTS,
    ACT_DURATION,
    ACTS_IN_FLIGHT,
    EVENTS_HANDLED,
    EVENT_DURATION,
    EVENTS_IN_FLIGHT,
    EVENTS_EMITTED,
    EVENTS_REDELIVERED,
    EVENTS_DEAD_LETTERED,
    EVENT_BACKLOG,
    CONNECTIONS,
    RECONNECTS,
    CONFIRM_DURATION,
    HTTP_CONNECTIONS,
    HTTP_REFUSED,
    SOCKETS_CONNECTED,
    SOCKET_ACTS,
    SOCKET_EVENTS,
    SOCKET_DROPS,
    SOCKET_DISCONNECTS,
    ACT_RETRIES,
    ACTS_SHED,
    BREAKER_STATE,
    BREAKER_TRANSITIONS,
];

/// What one route records per run: acts for an action or a client pin, events for a
/// subscriber.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Series {
    pub(crate) total: Metric,
    pub(crate) duration: Metric,
    pub(crate) in_flight: Metric,
}

/// The series of acts.
pub(crate) const ACT_SERIES: Series = Series {
    total: ACTS,
    duration: ACT_DURATION,
    in_flight: ACTS_IN_FLIGHT,
};

/// The series of event subscribers.
pub(crate) const EVENT_SERIES: Series = Series {
    total: EVENTS_HANDLED,
    duration: EVENT_DURATION,
    in_flight: EVENTS_IN_FLIGHT,
};

/// Histogram buckets of durations, in seconds: 50 µs to 30 s, about ×2.5 apart.
pub(crate) const DURATION_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 5.0, 30.0,
];

/// The bounds of [`DURATION_BUCKETS`] in nanoseconds, for counting durations without floats.
pub(crate) const DURATION_BUCKETS_NS: [u64; DURATION_BUCKETS.len()] = {
    let mut out = [0; DURATION_BUCKETS.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = (DURATION_BUCKETS[i] * 1e9 + 0.5) as u64;
        i += 1;
    }
    out
};

/// The `pattern` label of a registered pattern or a client's pin: `(any)` for a catch-all
/// client's empty pin.
pub(crate) fn pattern_label(pattern: &str) -> &str {
    if pattern.is_empty() {
        "(any)"
    } else {
        pattern
    }
}
