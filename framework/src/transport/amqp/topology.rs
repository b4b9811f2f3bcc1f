//! Declaring exchanges, queues and bindings, with errors that name what failed.
//!
//! Declarations are idempotent; a declaration whose arguments differ from the existing
//! queue's fails with the broker's `PRECONDITION_FAILED`, reported with the queue's name.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, ExchangeKind};

use super::headers::{short, Table};
use crate::error::{Error, ErrorKind, Result};

fn failed(what: String, source: lapin::Error) -> Error {
    Error::new(ErrorKind::Transport, format!("{what} failed: {source}")).with_source(source)
}

/// Declares a durable topic exchange.
pub(super) async fn exchange(channel: &Channel, name: &str, auto_delete: bool) -> Result<()> {
    channel
        .exchange_declare(
            short(name),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                auto_delete,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(|e| failed(format!("declaring exchange `{name}`"), e))
}

/// How a queue is declared.
pub(super) struct QueueSpec<'a> {
    pub(super) name: &'a str,
    pub(super) durable: bool,
    pub(super) exclusive: bool,
    pub(super) auto_delete: bool,
    pub(super) arguments: Table,
}

impl<'a> QueueSpec<'a> {
    /// A durable queue with no arguments.
    pub(super) fn durable(name: &'a str) -> Self {
        QueueSpec {
            name,
            durable: true,
            exclusive: false,
            auto_delete: false,
            arguments: Table::default(),
        }
    }

    /// An exclusive, auto-delete, non-durable queue (gone with its connection).
    pub(super) fn exclusive(name: &'a str) -> Self {
        QueueSpec {
            name,
            durable: false,
            exclusive: true,
            auto_delete: true,
            arguments: Table::default(),
        }
    }

    pub(super) fn arguments(mut self, arguments: Table) -> Self {
        self.arguments = arguments;
        self
    }
}

/// Declares a queue; returns how many messages it holds.
pub(super) async fn queue(channel: &Channel, spec: QueueSpec<'_>) -> Result<u32> {
    let name = spec.name;
    channel
        .queue_declare(
            short(name),
            QueueDeclareOptions {
                durable: spec.durable,
                exclusive: spec.exclusive,
                auto_delete: spec.auto_delete,
                ..QueueDeclareOptions::default()
            },
            spec.arguments.build(),
        )
        .await
        .map(|q| q.message_count())
        .map_err(|e| failed(format!("declaring queue `{name}`"), e))
}

/// Binds `queue` to `exchange` with `key`.
pub(super) async fn bind(channel: &Channel, queue: &str, exchange: &str, key: &str) -> Result<()> {
    channel
        .queue_bind(
            short(queue),
            short(exchange),
            short(key),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| {
            failed(
                format!("binding queue `{queue}` to exchange `{exchange}` with `{key}`"),
                e,
            )
        })
}

/// Declares a dead-letter exchange and a durable queue (with `arguments`) bound to it with
/// `key`.
pub(super) async fn dead_letter(
    channel: &Channel,
    exchange_name: &str,
    queue_name: &str,
    key: &str,
    auto_delete: bool,
    arguments: Table,
) -> Result<()> {
    exchange(channel, exchange_name, auto_delete).await?;
    queue(channel, QueueSpec::durable(queue_name).arguments(arguments)).await?;
    bind(channel, queue_name, exchange_name, key).await
}
