//! `dlq replay` and `dlq purge` on NATS.
//!
//! A replay publishes each selected letter through JetStream to the subject it was emitted on
//! and deletes it from the dead-letter stream only once JetStream acknowledged the copy. An
//! interrupted replay (Ctrl-C, `kill -9`, a dropped connection) loses nothing: each letter is
//! still in the dead-letter stream, or republished, or — when it died between the ack and
//! the delete — both; the copy's de-duplication id makes a second replay of it within the
//! event stream's duplicate window (2 minutes) stored once.

use async_nats::jetstream::message::PublishMessage;

use super::letter::Letter;
use super::nats::NatsDlq;
use super::nats_letter::replayed_headers;
use super::progress::Progress;
use super::replay::Outcome;
use super::select::Selector;
use crate::exit::Exit;

/// Replays the selected letters, `batch` published before waiting for their acks.
pub async fn replay(
    dlq: &mut NatsDlq,
    selector: &Selector,
    batch: usize,
    stream_name: &str,
) -> Result<Outcome, Exit> {
    let mut progress = Progress::new("replayed", dlq.count);
    let mut outcome = Outcome::default();
    let mut seen = 0u64;
    let result = async {
        loop {
            let mut sent = Vec::with_capacity(batch);
            let mut exhausted = false;
            while sent.len() < batch {
                let Some(msg) = dlq.next().await? else {
                    exhausted = true;
                    break;
                };
                seen += 1;
                let letter = Letter::read_nats(&msg);
                if !selector.takes_letter(letter.id.as_deref(), &msg.payload) {
                    continue;
                }
                let Some(subject) = letter.nats.as_ref().and_then(|p| p.subject.clone()) else {
                    outcome.left.push((
                        letter.id,
                        "it does not say which subject it was emitted on (no porticus-subject)"
                            .to_owned(),
                    ));
                    continue;
                };
                let copy = PublishMessage::build()
                    .payload(msg.payload.clone())
                    .headers(replayed_headers(&msg, stream_name));
                match dlq.jetstream.send_publish(subject.clone(), copy).await {
                    Ok(ack) => sent.push((msg.sequence, letter.id, subject, ack)),
                    Err(e) => outcome
                        .left
                        .push((letter.id, format!("publishing to `{subject}` failed: {e}"))),
                }
            }
            for (sequence, id, subject, ack) in sent {
                match ack.await {
                    Ok(_) => {
                        dlq.delete(sequence).await.map_err(|exit| match exit {
                            Exit::Usage(why) => Exit::usage(format!(
                                "{why}; letter {} is republished and still in the dead letters",
                                id.as_deref().unwrap_or("(no message id)")
                            )),
                            other => other,
                        })?;
                        outcome.replayed += 1;
                    }
                    Err(e) => outcome.left.push((
                        id,
                        format!("JetStream did not store it on `{subject}` (no stream takes it, or it is full): {e}"),
                    )),
                }
            }
            progress.set(seen);
            if exhausted {
                return Ok::<_, Exit>(());
            }
        }
    }
    .await;
    progress.finish();
    result.map(|()| outcome)
}

/// Deletes the selected letters; returns how many. `--all` purges the subject up to the last
/// letter stored when the command started.
pub async fn purge(dlq: &mut NatsDlq, selector: &Selector, all: bool) -> Result<u64, Exit> {
    if all {
        let last = dlq.last();
        if last == 0 {
            return Ok(0);
        }
        let purged = dlq
            .stream
            .purge()
            .filter(dlq.subject.clone())
            .sequence(last + 1)
            .await
            .map_err(|e| Exit::usage(format!("purging {} failed: {e}", dlq.name)))?;
        return Ok(purged.purged);
    }
    let mut deleted = 0u64;
    while let Some(msg) = dlq.next().await? {
        let id = Letter::read_nats(&msg).id;
        if selector.takes_letter(id.as_deref(), &msg.payload) {
            dlq.delete(msg.sequence).await?;
            deleted += 1;
        }
    }
    Ok(deleted)
}
