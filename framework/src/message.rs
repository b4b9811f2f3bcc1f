//! Messages, their directives (`timeout$`, `default$`, `id$`, `tx$`) and the [`Meta`] of an act.
//!
//! A message is a JSON object. Keys ending in `$` are *directives*: they steer the act and
//! never take part in routing nor reach a typed handler.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::error::ActError;
use crate::pattern::value::json_kind;

/// The directives of one message, taken out of it before routing.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Directives {
    /// `timeout$`: the per-call deadline.
    pub timeout: Option<Duration>,
    /// `default$`: the reply when nothing matches (or when `prior` has no prior).
    pub default: Option<Value>,
    /// `id$`: `"mi/tx"` — sets the message id and the transaction id.
    pub id: Option<String>,
    /// `tx$`: the transaction id only.
    pub tx: Option<String>,
}

impl Directives {
    /// Removes every `…$` key from `msg` and returns the ones Porticus understands.
    ///
    /// Unknown directives are dropped (as Seneca's `clean` does). A known directive of the
    /// wrong type is an `act_invalid_msg` error naming it.
    pub(crate) fn take(msg: &mut Map<String, Value>) -> Result<Self, ActError> {
        let mut out = Directives::default();
        if !msg.keys().any(|k| k.ends_with('$')) {
            return Ok(out);
        }
        let keys: Vec<String> = msg.keys().filter(|k| k.ends_with('$')).cloned().collect();
        for key in keys {
            let value = msg.remove(&key).unwrap_or(Value::Null);
            match key.as_str() {
                "timeout$" => out.timeout = Some(timeout_of(&value)?),
                "default$" => out.default = Some(default_of(value)?),
                "id$" => out.id = Some(string_of(&key, value)?),
                "tx$" => out.tx = Some(string_of(&key, value)?),
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Splits a message into its data (an object without directives) and its directives: the one
/// place a message's shape is checked, with one wording for its errors.
pub(crate) fn split(msg: Value) -> Result<(Map<String, Value>, Directives), ActError> {
    match msg {
        Value::Object(mut map) => {
            let directives = Directives::take(&mut map)?;
            Ok((map, directives))
        }
        other => Err(ActError::invalid_msg(format!(
            "a message must be a JSON object, got {}",
            json_kind(&other)
        ))),
    }
}

fn timeout_of(value: &Value) -> Result<Duration, ActError> {
    value
        .as_f64()
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| Duration::from_micros((ms * 1000.0) as u64))
        .ok_or_else(|| {
            ActError::invalid_msg(format!(
                "directive `timeout$` must be a non-negative number of milliseconds, got {value}"
            ))
        })
}

/// `default$` must be an object or an array, as in Seneca (`act_default_bad` there).
fn default_of(value: Value) -> Result<Value, ActError> {
    match value {
        Value::Object(_) | Value::Array(_) => Ok(value),
        other => Err(ActError::invalid_msg(format!(
            "directive `default$` must be an object or an array (the reply to give), got {other}"
        ))),
    }
}

fn string_of(key: &str, value: Value) -> Result<String, ActError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(ActError::invalid_msg(format!(
            "directive `{key}` must be a string, got {other}"
        ))),
    }
}

/// What travels with a message besides its data: ids, deadline, trace context.
///
/// Every handler sees the `Meta` of its act through [`Context::meta`](crate::Context::meta);
/// acts made through the context inherit its transaction id and remaining deadline.
///
/// ```
/// use porticus::{ActError, Context, Node};
/// use serde_json::{json, Value};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::builder()
///     .without_registered()
///     .add("role:ids", |_: Value, ctx: Context| async move {
///         Ok::<_, ActError>(ctx.meta().id())
///     })
///     .build()?;
/// assert_eq!(node.act(json!({"role": "ids", "id$": "m1/t1"})).await?, json!("m1/t1"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Meta {
    pub(crate) mi: Arc<str>,
    pub(crate) tx: Arc<str>,
    pub(crate) deadline: Instant,
    /// The timeout, in µs (a `Duration` would make every act's futures 8 bytes larger).
    pub(crate) timeout_us: u64,
    pub(crate) default: Option<Arc<Value>>,
    pub(crate) traceparent: Option<Arc<str>>,
    pub(crate) origin: Option<Arc<str>>,
    /// The caller's identity, as an authentication hook (the gateway's `[gateway] auth`)
    /// answered it: a JSON object. Inherited by every act made from inside this one.
    pub(crate) caller: Option<Arc<Map<String, Value>>>,
    /// The transport a received message came over (its listener's), `NONE` for one made here.
    pub(crate) via: crate::via::Via,
    /// Whether `traceparent` was made up for a message that came without one: it names no
    /// span, so an exported span of the message starts a trace rather than claim it as parent.
    pub(crate) made_up_trace: bool,
    /// When this meta was made: the start of the act it travels with (its duration in stats).
    pub(crate) started: Instant,
}

/// `d` in whole microseconds (rounded down; beyond 584,000 years, the most).
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Meta {
    /// Builds the meta of a new act from its directives, inheriting from `parent` when the act
    /// is made from inside another one.
    pub(crate) fn new(
        directives: &mut Directives,
        parent: Option<&Meta>,
        timeout: Duration,
    ) -> Self {
        let now = Instant::now();
        let timeout = directives.timeout.unwrap_or(timeout);
        let mut deadline = now + timeout;
        if let Some(parent) = parent {
            deadline = deadline.min(parent.deadline);
        }
        let (mi, given_tx): (Arc<str>, Option<Arc<str>>) = match directives.id.take() {
            Some(id) => match id.split_once('/') {
                Some((mi, tx)) => (Arc::from(mi), (!tx.is_empty()).then(|| Arc::from(tx))),
                None => (Arc::from(id.as_str()), Some(ids::next())),
            },
            None => (ids::next(), None),
        };
        let tx = match (directives.tx.take(), given_tx, parent) {
            (Some(tx), _, _) => Arc::from(tx),
            (None, Some(tx), _) => tx,
            (None, None, Some(parent)) => parent.tx.clone(),
            // A new transaction is named after its first message: one id, not two.
            (None, None, None) => mi.clone(),
        };
        Meta {
            mi,
            tx,
            deadline,
            timeout_us: micros(timeout),
            default: directives.default.take().map(Arc::new),
            traceparent: parent.and_then(|p| p.traceparent.clone()),
            origin: parent.and_then(|p| p.origin.clone()),
            caller: parent.and_then(|p| p.caller.clone()),
            via: crate::via::Via::NONE,
            made_up_trace: parent.is_some_and(|p| p.made_up_trace),
            started: now,
        }
    }

    /// Applies the directives that came inside an inbound message: a `timeout$` can only
    /// shorten the deadline, `id$`/`tx$` replace the ids, `default$` is kept.
    pub(crate) fn apply(mut self, directives: &mut Directives) -> Self {
        if let Some(timeout) = directives.timeout.take() {
            self.deadline = self.deadline.min(Instant::now() + timeout);
            self.timeout_us = self.timeout_us.min(micros(timeout));
        }
        if let Some(id) = directives.id.take() {
            match id.split_once('/') {
                Some((mi, tx)) => {
                    self.mi = Arc::from(mi);
                    self.tx = Arc::from(tx);
                }
                None => self.mi = Arc::from(id),
            }
        }
        if let Some(tx) = directives.tx.take() {
            self.tx = Arc::from(tx);
        }
        if let Some(default) = directives.default.take() {
            self.default = Some(Arc::new(default));
        }
        self
    }

    /// The message id, `"mi/tx"` as in Seneca.
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound { id: Some("m1/t1"), ..Inbound::default() }.meta(Duration::from_secs(2));
    /// assert_eq!(meta.id(), "m1/t1");
    /// ```
    pub fn id(&self) -> String {
        // Not `format!`: this runs for every act sent over a transport.
        let mut id = String::with_capacity(self.mi.len() + 1 + self.tx.len());
        id.push_str(&self.mi);
        id.push('/');
        id.push_str(&self.tx);
        id
    }

    /// The message part of the id (unique per act).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound { id: Some("m1/t1"), ..Inbound::default() }.meta(Duration::from_secs(2));
    /// assert_eq!(meta.message_id(), "m1");
    /// ```
    pub fn message_id(&self) -> &str {
        &self.mi
    }

    /// The transaction id, shared by every act of one call tree (`tx$` sets it; otherwise the
    /// tree's first act names it: its message id).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound { id: Some("m1/t1"), ..Inbound::default() }.meta(Duration::from_secs(2));
    /// assert_eq!(meta.tx(), "t1");
    /// ```
    pub fn tx(&self) -> &str {
        &self.tx
    }

    /// When this act's time is up.
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// let meta = Inbound { id: Some("m1/t1"), ..Inbound::default() }.meta(Duration::from_secs(2));
    /// assert!(meta.deadline() <= Instant::now() + Duration::from_secs(2));
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The time left before the deadline (zero once it has passed).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound::default().meta(Duration::from_secs(2));
    /// assert!(meta.remaining() <= Duration::from_secs(2));
    ///
    /// let expired = Inbound::default().meta(Duration::ZERO);
    /// assert_eq!(expired.remaining(), Duration::ZERO);
    /// ```
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The timeout this act was given (from `timeout$` or the node's default).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound { id: Some("m1/t1"), ..Inbound::default() }.meta(Duration::from_secs(2));
    /// assert_eq!(meta.timeout(), Duration::from_secs(2));
    /// ```
    pub fn timeout(&self) -> Duration {
        Duration::from_micros(self.timeout_us)
    }

    /// The `default$` reply given with the message, if any.
    ///
    /// ```
    /// use porticus::{ActError, Context, Node};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::builder()
    ///     .without_registered()
    ///     .add("role:fallback", |_: Value, ctx: Context| async move {
    ///         Ok::<_, ActError>(ctx.meta().default_reply().cloned())
    ///     })
    ///     .build()?;
    /// let reply = node.act(json!({"role": "fallback", "default$": {"ok": true}})).await?;
    /// assert_eq!(reply, json!({"ok": true}));
    /// # Ok(()) }
    /// ```
    pub fn default_reply(&self) -> Option<&Value> {
        self.default.as_deref()
    }

    /// The W3C `traceparent` carried with the message, if any: a message that came over a
    /// transport always has one; an in-process act gets one when a log subscriber records its
    /// span or traces are exported (then it names the act's own span), else it inherits its
    /// parent act's, or has none.
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    /// let meta = Inbound { traceparent: Some(traceparent), ..Inbound::default() }.meta(Duration::from_secs(2));
    /// assert_eq!(meta.traceparent(), Some(traceparent));
    /// ```
    pub fn traceparent(&self) -> Option<&str> {
        self.traceparent.as_deref()
    }

    /// The `traceparent` a transport sends this message with: its own when well-formed, else
    /// a new one (the message starts a trace).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    /// let mut meta = Inbound::default().meta(Duration::from_secs(2));
    /// meta.set_traceparent(traceparent);
    /// assert_eq!(meta.outbound_traceparent(), traceparent);
    /// meta.set_traceparent("not one");
    /// assert_ne!(meta.outbound_traceparent(), "not one");
    /// ```
    pub fn outbound_traceparent(&self) -> String {
        crate::trace::continued(self.traceparent())
    }

    /// Sets the W3C `traceparent` (transports set it from the wire).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let mut meta = Inbound::default().meta(Duration::from_secs(2));
    /// let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    /// meta.set_traceparent(traceparent);
    /// assert_eq!(meta.traceparent(), Some(traceparent));
    /// ```
    pub fn set_traceparent(&mut self, traceparent: impl Into<Arc<str>>) {
        self.traceparent = Some(traceparent.into());
        self.made_up_trace = false;
    }

    /// The id of the node the message came from, if a transport said so.
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound::default().meta(Duration::from_secs(2));
    /// assert_eq!(meta.origin(), None);
    /// ```
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// Sets the id of the node the message came from (transports set it from the wire).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let mut meta = Inbound::default().meta(Duration::from_secs(2));
    /// meta.set_origin("shop-1a2b3c4d5e6f");
    /// assert_eq!(meta.origin(), Some("shop-1a2b3c4d5e6f"));
    /// ```
    pub fn set_origin(&mut self, origin: impl Into<Arc<str>>) {
        self.origin = Some(origin.into());
    }

    /// The identity of the caller this act is made for, when an authentication hook gave one
    /// (the gateway's `[gateway] auth` action): a JSON object such as
    /// `{"id": "alice", "roles": ["customer"]}`. Acts made from inside a handler inherit it,
    /// and every transport carries it (`docs/transports.md`).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound {
    ///     caller: Some(r#"{"id":"alice","roles":["customer"]}"#),
    ///     ..Inbound::default()
    /// }
    /// .meta(Duration::from_secs(2));
    /// assert_eq!(meta.caller().unwrap()["id"], "alice");
    /// assert_eq!(Inbound::default().meta(Duration::from_secs(2)).caller(), None);
    /// ```
    pub fn caller(&self) -> Option<&Map<String, Value>> {
        self.caller.as_deref()
    }

    /// Sets the caller's identity (an authentication hook, or a transport from the wire).
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use serde_json::json;
    /// use std::time::Duration;
    ///
    /// let mut meta = Inbound::default().meta(Duration::from_secs(2));
    /// let serde_json::Value::Object(bob) = json!({"id": "bob"}) else { unreachable!() };
    /// meta.set_caller(bob);
    /// assert_eq!(meta.caller().unwrap()["id"], "bob");
    /// ```
    pub fn set_caller(&mut self, caller: Map<String, Value>) {
        self.caller = Some(Arc::new(caller));
    }

    /// The caller's identity as transports send it: one line of JSON in ASCII only (other
    /// characters as JSON `\u` escapes of four hex digits), so that it fits an HTTP, AMQP or NATS header.
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound { caller: Some(r#"{"id":"José"}"#), ..Inbound::default() }
    ///     .meta(Duration::from_secs(2));
    /// assert_eq!(meta.caller_header().as_deref(), Some(r#"{"id":"Jos\u00e9"}"#));
    /// ```
    pub fn caller_header(&self) -> Option<String> {
        use std::fmt::Write as _;
        let caller = self.caller.as_deref()?;
        let json = serde_json::to_string(caller).ok()?;
        if json.is_ascii() {
            return Some(json);
        }
        let mut out = String::with_capacity(json.len() + 16);
        for c in json.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
        Some(out)
    }

    /// The directives a transport sends with `msg` so that the far side rebuilds this meta:
    /// `id$` and the remaining time as `timeout$`.
    ///
    /// ```
    /// use porticus::transport::Inbound;
    /// use std::time::Duration;
    ///
    /// let meta = Inbound { id: Some("m1/t1"), ..Inbound::default() }.meta(Duration::from_secs(2));
    /// let directives = meta.to_directives();
    /// assert_eq!(directives["id$"], "m1/t1");
    /// assert!(directives["timeout$"].as_u64().is_some_and(|ms| ms <= 2_000));
    /// ```
    pub fn to_directives(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("id$".into(), Value::String(self.id()));
        let ms = self.remaining().as_millis().min(u64::MAX as u128) as u64;
        out.insert("timeout$".into(), Value::from(ms));
        out
    }
}

/// Short random ids in Seneca's style (12 base-36 characters).
pub(crate) mod ids {
    use std::cell::Cell;
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::sync::Arc;

    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()) | 1);
    }

    /// A random number from this thread's generator (xorshift64*, seeded at random per
    /// thread): fast, and ids only need to be unlikely to collide.
    pub(crate) fn random() -> u64 {
        STATE.with(|s| {
            let mut x = s.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            s.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
    }

    /// A new random id.
    pub(crate) fn next() -> Arc<str> {
        let mut n = random();
        const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut buf = [0u8; 12];
        for b in buf.iter_mut() {
            *b = DIGITS[(n % 36) as usize];
            n /= 36;
        }
        Arc::from(std::str::from_utf8(&buf).unwrap_or("000000000000"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn directives_are_taken_out() {
        let mut m =
            map(json!({"a": 1, "timeout$": 250, "default$": {"x": 1}, "id$": "m1/t1", "zz$": 3}));
        let d = Directives::take(&mut m).unwrap();
        assert_eq!(m, map(json!({"a": 1})));
        assert_eq!(d.timeout, Some(Duration::from_millis(250)));
        assert_eq!(d.default, Some(json!({"x": 1})));
        assert_eq!(d.id.as_deref(), Some("m1/t1"));
    }

    #[test]
    fn bad_timeout_names_the_directive() {
        let mut m = map(json!({"timeout$": "soon"}));
        let err = Directives::take(&mut m).unwrap_err();
        assert!(err.message().contains("`timeout$`"), "{err}");
    }

    #[tokio::test]
    async fn meta_inherits_tx_and_deadline() {
        let mut d = Directives {
            id: Some("abc/txyz".into()),
            ..Directives::default()
        };
        let parent = Meta::new(&mut d, None, Duration::from_millis(100));
        assert_eq!(parent.id(), "abc/txyz");
        let mut child_d = Directives::default();
        let child = Meta::new(&mut child_d, Some(&parent), Duration::from_secs(60));
        assert_eq!(child.tx(), "txyz");
        assert_ne!(child.message_id(), "abc");
        assert!(child.deadline() <= parent.deadline());
    }

    #[test]
    fn ids_differ() {
        assert_ne!(ids::next(), ids::next());
        assert_eq!(ids::next().len(), 12);
    }
}
