//! Unit tests of the notifications service with `porticus::testing`: `event:order_shipped` is
//! injected the way a broker delivers it, duplicates included; the notification itself (the
//! service's log line) is sent once per order, and `role:notification,cmd:sent` lists the order
//! once while counting every delivery.
//!
//! The service keeps its state in a process-wide static, so each test uses its own order ids.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use porticus::testing::TestNode;
use serde_json::{json, Value};

fn node() -> TestNode {
    TestNode::builder()
        .handler(notifications::order_shipped)
        .handler(notifications::sent)
        .build()
}

fn shipped(order: &str) -> Value {
    json!({"event": "order_shipped", "order": order, "customer": "ada"})
}

/// What `role:notification,cmd:sent` reports: order → deliveries of its `order_shipped`.
async fn sent(node: &TestNode) -> BTreeMap<String, u32> {
    let reply = node
        .act(json!({"role": "notification", "cmd": "sent"}))
        .await
        .expect("sent");
    serde_json::from_value(reply["orders"].clone()).expect("order → count")
}

/// `sent` counts deliveries, so what stays the same is the set of orders it lists; the
/// notification itself is checked in `a_redelivered_order_shipped_sends_one_notification`.
#[tokio::test]
async fn a_redelivered_order_shipped_is_listed_once_by_sent() {
    let node = node();
    let order = "o-notify-idempotent";
    assert!(!sent(&node).await.contains_key(order));
    // The orders this service has notified: one entry per order, whatever the deliveries.
    let notified = || async {
        sent(&node)
            .await
            .into_keys()
            .filter(|o| o == order)
            .collect::<Vec<_>>()
    };
    node.assert_idempotent(shipped(order), notified).await;
    assert_eq!(notified().await, [order.to_owned()]);
}

#[tokio::test]
async fn the_same_event_twice_is_acked_twice_and_counted_twice_under_one_order() {
    let node = node();
    let order = "o-notify-twice";
    let deliveries = node.inject_times(shipped(order), 2).await;
    assert_eq!(deliveries.len(), 2);
    for delivery in &deliveries {
        assert!(delivery.is_acked(), "{delivery:?}");
        assert_eq!(delivery.succeeded().count(), 1);
    }
    let sent = sent(&node).await;
    // One entry (one notification) for the order; the count is how often the event arrived.
    assert_eq!(sent.get(order), Some(&2), "{sent:?}");
}

#[tokio::test]
async fn an_order_shipped_without_a_customer_is_dead_lettered() {
    let node = node();
    let injected = node
        .inject(json!({"event": "order_shipped", "order": "o-notify-bad"}))
        .await;
    assert!(!injected.is_acked(), "{injected:?}");
    assert_eq!(injected.failed().count(), 1);
    assert!(
        matches!(
            injected.disposition,
            porticus::transport::Disposition::DeadLetter { .. }
        ),
        "{injected:?}"
    );
    assert!(!sent(&node).await.contains_key("o-notify-bad"));
}

/// The service's log output, kept in memory: its notifications are log lines.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;

    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

impl Log {
    /// How many times the customer was told that `order` shipped.
    fn notifications(&self, order: &str) -> usize {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned();
        let told = format!("told ada that order {order} shipped");
        text.lines().filter(|line| line.contains(&told)).count()
    }
}

/// The log output of this test binary, captured by a global subscriber (set once). A
/// thread-local one (`tracing::subscriber::set_default`) missed the line now and then, while
/// other tests of the binary hit the same callsite on their threads.
fn captured() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Log::default();
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(log.clone())
                .finish(),
        )
        .expect("the first global subscriber of this test binary");
        log
    })
}

/// The notification the service sends is a log line: it must appear once however often the
/// event is delivered (the order id is this test's own, so other tests' lines do not count).
#[tokio::test]
async fn a_redelivered_order_shipped_sends_one_notification() {
    let log = captured();
    let node = node();
    let order = "o-notify-logged";
    node.assert_idempotent(shipped(order), || async { log.notifications(order) })
        .await;
    assert_eq!(log.notifications(order), 1);
    // Every delivery was counted: the first and the 1–3 repeats drawn from the seed.
    let deliveries = sent(&node).await.get(order).copied().unwrap_or(0);
    assert!((2..=4).contains(&deliveries), "{deliveries}");
}
