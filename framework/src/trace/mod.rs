//! W3C trace context: every message that crosses a transport carries a `traceparent`, taken
//! from the act that caused it or started here; and the exported span of each act or event
//! ([`ActSpan`], the `otlp` feature).

mod span;

pub(crate) use span::{ActSpan, SpanKind, Subject};

/// A new random `traceparent` (`00-<trace id>-<span id>-01`). Every act that starts a trace
/// and leaves the process makes one: written by hand from the thread's fast generator, not
/// with `format!` and a hasher per number.
pub(crate) fn new_traceparent() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = *b"00-00000000000000000000000000000000-0000000000000000-01";
    // Trace id: two numbers (positions 3..35); span id: one (36..52); none of them all zero.
    for at in [3, 19, 36] {
        let value = crate::message::ids::random() | 1;
        for (i, byte) in out[at..at + 16].iter_mut().enumerate() {
            *byte = HEX[((value >> (60 - 4 * i)) & 0xf) as usize];
        }
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

/// Whether `text` is a well-formed W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
pub(crate) fn is_traceparent(text: &str) -> bool {
    const DASHES: [usize; 3] = [2, 35, 52];
    let bytes = text.as_bytes();
    bytes.len() == 55
        && bytes.iter().enumerate().all(|(i, b)| {
            if DASHES.contains(&i) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// `traceparent` when it is well-formed, else a new one (the message starts a trace): what a
/// message is sent with, and what a received one is dispatched with.
pub(crate) fn continued(traceparent: Option<&str>) -> String {
    traceparent
        .filter(|t| is_traceparent(t))
        .map_or_else(new_traceparent, str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparents_are_well_formed_and_differ() {
        let (a, b) = (new_traceparent(), new_traceparent());
        assert!(is_traceparent(&a), "{a}");
        assert_ne!(a, b);
        assert!(!is_traceparent("00-xyz"));
    }

    #[test]
    fn a_received_traceparent_is_kept_and_a_bad_one_replaced() {
        let good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert_eq!(continued(Some(good)), good);
        let replaced = continued(Some("garbage"));
        assert!(is_traceparent(&replaced));
        assert!(is_traceparent(&continued(None)));
    }
}
