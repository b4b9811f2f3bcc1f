//! [`Inbound`]: what a listener read off the wire about one message, turned into its [`Meta`].

use std::time::Duration;

use crate::message::{Directives, Meta};

/// What a listener knows about a message it received — its wire id, deadline, origin and
/// trace context — from which [`meta`](Self::meta) builds the [`Meta`] the message is
/// dispatched with. Every listener, built-in or not, builds its `Meta` this way.
///
/// Missing parts are made up: a message id and transaction id are generated, the deadline is
/// the node's default, and a message without a well-formed W3C `traceparent` starts a trace.
///
/// ```
/// use porticus::transport::Inbound;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let meta = Inbound {
///     id: Some("m1/t1"),
///     timeout: Some(Duration::from_millis(1500)),
///     origin: Some("shop-1a2b3c4d5e6f"),
///     traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
///     transport: Some("amqp"),
///     ..Inbound::default()
/// }
/// .meta(Duration::from_secs(22));
/// assert_eq!(meta.id(), "m1/t1");
/// assert_eq!(meta.timeout(), Duration::from_millis(1500));
/// assert_eq!(meta.origin(), Some("shop-1a2b3c4d5e6f"));
/// assert_eq!(meta.traceparent(), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
///
/// // Nothing on the wire: fresh ids, the default deadline, a new trace.
/// let meta = Inbound::default().meta(Duration::from_secs(22));
/// assert_eq!(meta.timeout(), Duration::from_secs(22));
/// assert_eq!(meta.message_id().len(), 12);
/// assert!(meta.traceparent().is_some());
/// # }
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Inbound<'a> {
    /// The wire id: `"mi/tx"` (message and transaction id, as Seneca sends it) or just a
    /// message id. Empty counts as missing.
    pub id: Option<&'a str>,
    /// The transaction id, when the wire carries it apart from `id`; it wins over `id`'s.
    pub tx: Option<&'a str>,
    /// The time the caller has left; `None` gives the default passed to [`meta`](Self::meta).
    pub timeout: Option<Duration>,
    /// The id of the node that sent the message.
    pub origin: Option<&'a str>,
    /// The W3C `traceparent` that came with the message.
    pub traceparent: Option<&'a str>,
    /// The transport it came over (`"http"`, `"amqp"`, …, as the listener's
    /// [`transport`](crate::transport::Listener::transport)): the `transport` label of the
    /// server side's metrics, and of its exported span (`porticus.transport`,
    /// `messaging.system`). `None` counts it as `in-process`.
    pub transport: Option<&'static str>,
    /// The caller's identity, as JSON text of an object (what
    /// [`Meta::caller_header`] sends). Anything else is dropped with a warning: an identity
    /// that cannot be read is no identity.
    pub caller: Option<&'a str>,
}

impl Inbound<'_> {
    /// The [`Meta`] to dispatch the message with ([`Node::act_from`](crate::Node::act_from),
    /// [`Node::deliver`](crate::Node::deliver)); `default_timeout` applies when the wire
    /// carried no deadline (pass [`Node::default_timeout`](crate::Node::default_timeout)).
    pub fn meta(self, default_timeout: Duration) -> Meta {
        let timeout = self.timeout.unwrap_or(default_timeout);
        let present = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        let mut directives = Directives {
            id: present(self.id),
            tx: present(self.tx),
            timeout: Some(timeout),
            ..Directives::default()
        };
        let mut meta = Meta::new(&mut directives, None, timeout);
        if let Some(origin) = self.origin.filter(|o| !o.is_empty()) {
            meta.set_origin(origin);
        }
        match self.traceparent.filter(|t| crate::trace::is_traceparent(t)) {
            Some(received) => meta.set_traceparent(received),
            None => {
                meta.set_traceparent(crate::trace::new_traceparent());
                meta.made_up_trace = true;
            }
        }
        if let Some(caller) = self.caller.filter(|c| !c.is_empty()) {
            match serde_json::from_str(caller) {
                Ok(serde_json::Value::Object(identity)) => meta.set_caller(identity),
                _ => tracing::warn!(
                    transport = self.transport.unwrap_or("in-process"),
                    "dropping a caller identity that is not a JSON object"
                ),
            }
        }
        if let Some(transport) = self.transport {
            meta.via = crate::via::Via::of(transport);
        }
        meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_separate_tx_wins_and_a_bare_id_gets_one() {
        let meta = Inbound {
            id: Some("m1/t1"),
            tx: Some("t2"),
            ..Inbound::default()
        }
        .meta(Duration::from_secs(1));
        assert_eq!(meta.id(), "m1/t2");
        let bare = Inbound {
            id: Some("m1"),
            ..Inbound::default()
        }
        .meta(Duration::from_secs(1));
        assert_eq!(bare.message_id(), "m1");
        assert_eq!(bare.tx().len(), 12);
        let empty = Inbound {
            id: Some(""),
            origin: Some(""),
            traceparent: Some("garbage"),
            ..Inbound::default()
        }
        .meta(Duration::from_secs(1));
        assert_eq!(empty.message_id().len(), 12);
        assert_eq!(empty.origin(), None);
        assert_ne!(empty.traceparent(), Some("garbage"));
    }

    #[tokio::test]
    async fn a_caller_must_be_an_object() {
        let of = |caller| {
            Inbound {
                caller: Some(caller),
                ..Inbound::default()
            }
            .meta(Duration::from_secs(1))
        };
        assert_eq!(of(r#"{"id":"a"}"#).caller().unwrap()["id"], "a");
        assert_eq!(of(r#"["a"]"#).caller(), None);
        assert_eq!(of("{").caller(), None);
        assert_eq!(of("").caller(), None);
        let meta = of(r#"{"id":"Zoë 😀"}"#);
        let header = meta.caller_header().unwrap();
        assert!(header.is_ascii(), "{header}");
        assert_eq!(of(&header).caller(), meta.caller());
    }
}
