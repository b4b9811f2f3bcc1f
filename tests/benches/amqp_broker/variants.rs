//! The variants: which publish and queue features one RPC carries, and the sets of them a run
//! measures.

/// One RPC configuration. The base: a transient request to a non-durable, argument-free server
/// queue through the default exchange, not `mandatory`, no confirms, only `reply_to` and
/// `correlation_id` set; replies on an exclusive reply queue. Each flag adds one feature.
#[derive(Clone, Copy, Debug, Default)]
pub struct Variant {
    /// Its row label.
    pub name: &'static str,
    /// Requests go through a durable topic exchange bound to the server queue (which is then
    /// durable).
    pub topic: bool,
    /// Requests are published `mandatory`.
    pub mandatory: bool,
    /// The client's channel is in confirm mode; every publish's ack is awaited beside the reply.
    pub confirm: bool,
    /// Requests carry a 30 s `expiration`.
    pub expiration: bool,
    /// Requests carry a traceparent, timeout and deadline header, a content type, a message id
    /// and a timestamp.
    pub headers: bool,
    /// The server queue is durable with an `x-dead-letter-exchange`.
    pub queue_args: bool,
    /// Control: the server queue is durable, with no arguments.
    pub durable_only: bool,
    /// Replies come over direct reply-to (`amq.rabbitmq.reply-to`), not a reply queue.
    pub direct: bool,
}

impl Variant {
    /// Whether the server queue is declared durable.
    pub fn durable_queue(&self) -> bool {
        self.topic || self.queue_args || self.durable_only
    }
}

/// Every feature Porticus turns on by default (all but `durable_only` and `direct`).
const ALL: Variant = Variant {
    name: "all",
    topic: true,
    mandatory: true,
    confirm: true,
    expiration: true,
    headers: true,
    queue_args: true,
    durable_only: false,
    direct: false,
};

const BASE: Variant = Variant {
    name: "base",
    topic: false,
    mandatory: false,
    confirm: false,
    expiration: false,
    headers: false,
    queue_args: false,
    durable_only: false,
    direct: false,
};

/// The names `set` knows.
pub const SETS: &str = "main, loo, focus";

/// The variants of the set `name`: `main` (base, each feature alone, all), `loo` (base, all, and
/// all with each feature left out) or `focus` (base, topic, confirm, headers, direct, all).
pub fn set(name: &str) -> Option<Vec<Variant>> {
    let main = vec![
        BASE,
        Variant {
            name: "topic",
            topic: true,
            ..BASE
        },
        Variant {
            name: "mandatory",
            mandatory: true,
            ..BASE
        },
        Variant {
            name: "confirm",
            confirm: true,
            ..BASE
        },
        Variant {
            name: "expiration",
            expiration: true,
            ..BASE
        },
        Variant {
            name: "headers",
            headers: true,
            ..BASE
        },
        Variant {
            name: "queue-args",
            queue_args: true,
            ..BASE
        },
        Variant {
            name: "durable(ctl)",
            durable_only: true,
            ..BASE
        },
        Variant {
            name: "direct",
            direct: true,
            ..BASE
        },
        ALL,
    ];
    match name {
        "main" => Some(main),
        "focus" => Some(
            main.into_iter()
                .filter(|v| {
                    ["base", "topic", "confirm", "headers", "direct", "all"].contains(&v.name)
                })
                .collect(),
        ),
        "loo" => Some(vec![
            BASE,
            ALL,
            Variant {
                name: "all-topic",
                topic: false,
                ..ALL
            },
            Variant {
                name: "all-mandatory",
                mandatory: false,
                ..ALL
            },
            Variant {
                name: "all-confirm",
                confirm: false,
                ..ALL
            },
            Variant {
                name: "all-expiration",
                expiration: false,
                ..ALL
            },
            Variant {
                name: "all-headers",
                headers: false,
                ..ALL
            },
            Variant {
                name: "all-qargs",
                queue_args: false,
                ..ALL
            },
        ]),
        _ => None,
    }
}
