//! The event queue's backlog for the metrics: a passive declaration every few seconds, on a
//! channel of its own, over whichever connection the listener has now.

use std::sync::Arc;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::Channel;

use super::headers::short;
use super::publisher::Publisher;
use crate::metrics::queues::{backlog, BACKLOG_EVERY};

/// Reports how many events wait in `queue`, every [`BACKLOG_EVERY`], until aborted. A look that
/// fails (the broker is away) is skipped; the gauge keeps its last value.
pub(super) async fn watch(publisher: Arc<Publisher>, queue: String) {
    let mut channel: Option<Channel> = None;
    let mut tick = tokio::time::interval(BACKLOG_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let connection = publisher.connection();
        if !connection.status().connected() {
            continue;
        }
        if !channel.as_ref().is_some_and(|c| c.status().connected()) {
            channel = connection.create_channel().await.ok();
        }
        let Some(open) = &channel else { continue };
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = open
            .queue_declare(short(&queue), options, FieldTable::default())
            .await;
        match declared {
            Ok(found) => backlog(super::TRANSPORT, &queue, u64::from(found.message_count())),
            Err(error) => {
                tracing::debug!(%queue, %error, "could not read the event queue's backlog");
                channel = None;
            }
        }
    }
}
