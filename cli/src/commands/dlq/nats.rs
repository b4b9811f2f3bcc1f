//! The dead letters of a service on NATS: the messages on `<prefix>.dlq.<service>` in the
//! JetStream stream `PORTICUS_DLQ` (the services' `dead_letter_stream`).
//!
//! Reading is by stream sequence (`STREAM.MSG.GET`, next on the subject from a sequence):
//! nothing is consumed and nothing held, so other readers see every letter too. A letter is
//! removed only by deleting its sequence. Each command reads at most the letters stored when
//! it started, so that a replayed event failing again is not read twice.

use std::fmt::Write as _;
use std::time::Duration;

use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::{RawMessageErrorKind, Stream};
use async_nats::jetstream::Context;
use futures_util::StreamExt;

use super::queue::{masked, Target};
use crate::exit::Exit;

/// An open dead-letter stream, narrowed to one service's subject.
pub struct NatsDlq {
    /// The connection (flushed and dropped at the end).
    pub client: async_nats::Client,
    /// Its JetStream context: replays publish through it.
    pub jetstream: Context,
    /// The dead-letter stream.
    pub stream: Stream,
    /// The service's dead-letter subject.
    pub subject: String,
    /// `stream `PORTICUS_DLQ` (porticus.dlq.billing)`, for messages.
    pub name: String,
    /// Letters on the subject when it was opened.
    pub count: u64,
    /// The stream's last sequence when it was opened: nothing later is read.
    last: u64,
    /// The next sequence to look from.
    cursor: u64,
}

/// `text` as one subject token, escaped as the services escape it (`.` `*` `>` `%`,
/// whitespace, control and non-ASCII bytes as `%XX`; empty as `%`).
pub fn token(text: &str) -> String {
    if text.is_empty() {
        return "%".to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_graphic() && !matches!(byte, b'.' | b'*' | b'>' | b'%') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

impl Target {
    /// Connects to the NATS server and finds the dead-letter stream.
    pub async fn open_nats(&self) -> Result<NatsDlq, Exit> {
        if self.queue.is_some() {
            return Err(Exit::usage(
                "--queue names a RabbitMQ queue; on NATS name the --service (and --stream, --subject-prefix when not the defaults)",
            ));
        }
        let Some(service) = &self.service else {
            return Err(Exit::usage("say whose dead letters: --service NAME"));
        };
        let url = masked(&self.via);
        let timeout = Duration::from_millis(self.timeout.max(1));
        let options = async_nats::ConnectOptions::new()
            .name("porticus-cli dlq")
            .connection_timeout(timeout)
            .request_timeout(Some(timeout));
        let client = super::reach(&url, self.timeout, options.connect(self.via.as_str())).await?;
        let jetstream = async_nats::jetstream::new(client.clone());
        let mut stream = jetstream.get_stream(&self.stream).await.map_err(|e| {
            Exit::usage(format!(
                "no dead-letter stream `{}` on {url} (the services' dead_letter_stream; --stream NAME): {e}",
                self.stream
            ))
        })?;
        let subject = format!("{}.dlq.{}", self.subject_prefix, token(service));
        let info = stream
            .info()
            .await
            .map_err(|e| Exit::usage(format!("reading stream `{}` failed: {e}", self.stream)))?;
        let (first, last) = (info.state.first_sequence, info.state.last_sequence);
        let mut count = 0u64;
        let mut subjects = stream
            .info_with_subjects(subject.as_str())
            .await
            .map_err(|e| Exit::usage(format!("reading stream `{}` failed: {e}", self.stream)))?;
        while let Some(entry) = subjects.next().await {
            let (_, n) = entry.map_err(|e| {
                Exit::usage(format!("reading stream `{}` failed: {e}", self.stream))
            })?;
            count += n as u64;
        }
        Ok(NatsDlq {
            client,
            jetstream,
            name: format!("stream `{}` ({subject})", self.stream),
            stream,
            subject,
            count,
            last,
            cursor: first.max(1),
        })
    }
}

impl NatsDlq {
    /// The next letter on the subject, read without removing it; `None` past the last one
    /// stored when the stream was opened.
    pub async fn next(&mut self) -> Result<Option<StreamMessage>, Exit> {
        if self.last == 0 || self.cursor > self.last {
            return Ok(None);
        }
        let got = self
            .stream
            .raw_message_builder()
            .sequence(self.cursor)
            .next_by_subject(self.subject.clone())
            .send()
            .await;
        match got {
            Ok(msg) if msg.sequence <= self.last => {
                self.cursor = msg.sequence + 1;
                Ok(Some(msg))
            }
            Ok(_) => {
                self.cursor = self.last + 1;
                Ok(None)
            }
            Err(e) if matches!(e.kind(), RawMessageErrorKind::NoMessageFound) => {
                self.cursor = self.last + 1;
                Ok(None)
            }
            Err(e) => Err(Exit::usage(format!("reading {} failed: {e}", self.name))),
        }
    }

    /// The stream's last sequence when it was opened.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Deletes the letter at `sequence`.
    pub async fn delete(&self, sequence: u64) -> Result<(), Exit> {
        self.stream
            .delete_message(sequence)
            .await
            .map(drop)
            .map_err(|e| {
                Exit::usage(format!(
                    "deleting sequence {sequence} from {} failed: {e}",
                    self.name
                ))
            })
    }

    /// Flushes and disconnects.
    pub async fn close(self) {
        let _ = self.client.flush().await;
        drop(self.client);
    }
}
