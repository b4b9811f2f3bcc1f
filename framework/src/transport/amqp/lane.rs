//! The queues a listener consumes: what to declare for a config and a node (a [`QueuePlan`]),
//! and a consumed queue (a [`Lane`]) that can be declared and consumed again on a fresh
//! channel after the broker closed its channel.

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};

use super::headers::{short, Table};
use super::naming;
use super::topology::{self, QueueSpec};
use crate::config::{AmqpListenConfig, EventMode, QueueType};
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
use crate::pattern::Pattern;

/// What one queue is consumed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Requests,
    Events,
}

/// How one queue is declared and consumed; redone on a fresh channel after a channel error.
#[derive(Debug, Clone)]
pub(super) struct QueuePlan {
    pub(super) kind: Kind,
    pub(super) queue: String,
    pub(super) exclusive: bool,
    pub(super) arguments: Vec<(String, PlanArg)>,
    pub(super) exchange: String,
    pub(super) bindings: Vec<String>,
    /// Dead-letter exchange, queue and binding key declared with it.
    pub(super) dead_letter: (String, String, String),
    /// The dead-letter queue's arguments.
    pub(super) dead_letter_arguments: Vec<(String, PlanArg)>,
    pub(super) prefetch: u16,
}

#[derive(Debug, Clone)]
pub(super) enum PlanArg {
    Text(String),
    Int(u64),
}

/// A consumed queue: its plan, its channel, its consumer.
pub(super) struct Lane {
    pub(super) plan: QueuePlan,
    pub(super) channel: Channel,
    pub(super) consumer: Option<Consumer>,
    pub(super) tag: String,
}

fn invalid_pin(text: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("invalid AMQP listener pin `{text}`: {e}"),
    )
}

/// The arguments that make a queue of `queue_type`: for a quorum queue its type, and the
/// replication factor and leader placement configured for quorum queues.
fn typed(arguments: &mut Vec<(String, PlanArg)>, queue_type: QueueType, config: &AmqpListenConfig) {
    if queue_type != QueueType::Quorum {
        return;
    }
    arguments.push(("x-queue-type".into(), PlanArg::Text("quorum".into())));
    if config.quorum_initial_group_size > 0 {
        arguments.push((
            "x-quorum-initial-group-size".into(),
            PlanArg::Int(u64::from(config.quorum_initial_group_size)),
        ));
    }
    if let Some(locator) = config.queue_leader_locator.argument() {
        arguments.push((
            "x-queue-leader-locator".into(),
            PlanArg::Text(locator.into()),
        ));
    }
}

/// What to declare for `config` and `node`.
pub(super) fn plans(config: &AmqpListenConfig, node: &Node) -> Result<Vec<QueuePlan>> {
    let mut out = Vec::new();
    let pin_texts: Vec<String> = std::iter::once(&config.pin)
        .chain(&config.pins)
        .filter(|p| !p.trim().is_empty())
        .cloned()
        .collect();
    let mut pins = Vec::new();
    for text in &pin_texts {
        let pin = Pattern::parse(text).map_err(|e| invalid_pin(text, e))?;
        if pin.is_empty() {
            return Err(invalid_pin(
                text,
                "a listener pin must have at least one key (a catch-all queue would take every service's requests)",
            ));
        }
        pins.push(pin);
    }
    let expires = |args: &mut Vec<(String, PlanArg)>| {
        if config.queue_expires_ms > 0 {
            args.push(("x-expires".into(), PlanArg::Int(config.queue_expires_ms)));
        }
    };
    let mut dead_letter_arguments = Vec::new();
    typed(
        &mut dead_letter_arguments,
        config.dead_letter_queue_type,
        config,
    );
    expires(&mut dead_letter_arguments);
    // The node's introspection pin is bound beside the listener's pins, without naming the
    // queue (Seneca peers of the same pins share it); a listener without pins gets a request
    // queue for it alone.
    let introspection = node.introspection_pin();
    let queue_pins = if pin_texts.is_empty() {
        introspection
            .map(|p| vec![p.to_string()])
            .unwrap_or_default()
    } else {
        pin_texts.clone()
    };
    pins.extend(introspection.cloned());
    if !pins.is_empty() {
        let queue = if config.queue.trim().is_empty() {
            naming::seneca_queue_name(&config.queue_prefix, &queue_pins)
                .map_err(|e| invalid_pin(&queue_pins.join(" | "), e))?
        } else {
            config.queue.trim().to_owned()
        };
        check_name(&queue)?;
        let mut arguments = vec![
            (
                "x-dead-letter-exchange".to_owned(),
                PlanArg::Text(config.dead_letter_exchange.clone()),
            ),
            (
                "x-message-ttl".to_owned(),
                PlanArg::Int(config.request_ttl_ms),
            ),
        ];
        typed(&mut arguments, config.request_queue_type, config);
        expires(&mut arguments);
        let mut bindings: Vec<String> = Vec::new();
        for pin in &pins {
            for binding in [
                naming::pin_binding(pin),
                naming::marked_message_binding(pin),
            ] {
                check_name(&binding)?;
                if !bindings.contains(&binding) {
                    bindings.push(binding);
                }
            }
        }
        out.push(QueuePlan {
            kind: Kind::Requests,
            queue,
            exclusive: false,
            arguments,
            exchange: config.exchange.clone(),
            bindings,
            dead_letter: (
                config.dead_letter_exchange.clone(),
                config.dead_letter_queue.clone(),
                "#".to_owned(),
            ),
            dead_letter_arguments: dead_letter_arguments.clone(),
            prefetch: config.prefetch.max(1),
        });
    }
    let subscriptions = node.subscriptions();
    if config.events && !subscriptions.is_empty() {
        let group = format!("{}.{}", config.event_queue_prefix, node.name());
        let dead_letter_queue = format!("{group}{}", config.event_dead_letter_suffix);
        let (queue, exclusive) = match config.event_mode {
            EventMode::Group => (group, false),
            EventMode::Broadcast => (format!("{group}.{}", node.instance()), true),
        };
        check_name(&queue)?;
        check_name(&dead_letter_queue)?;
        let mut arguments = vec![
            (
                "x-dead-letter-exchange".to_owned(),
                PlanArg::Text(config.event_dead_letter_exchange.clone()),
            ),
            (
                "x-dead-letter-routing-key".to_owned(),
                PlanArg::Text(dead_letter_queue.clone()),
            ),
        ];
        if !exclusive && config.event_queue_type == QueueType::Quorum {
            typed(&mut arguments, QueueType::Quorum, config);
            // A safety net for handlers that kill the process: the transport dead-letters a
            // failing event itself at `event_max_attempts`.
            arguments.push((
                "x-delivery-limit".into(),
                PlanArg::Int(u64::from(config.event_max_attempts.max(1)) + 1),
            ));
        }
        if config.event_max_queue_length > 0 {
            arguments.push((
                "x-max-length".into(),
                PlanArg::Int(config.event_max_queue_length),
            ));
            arguments.push(("x-overflow".into(), PlanArg::Text("reject-publish".into())));
        }
        expires(&mut arguments);
        let mut bindings: Vec<String> = Vec::new();
        for pattern in subscriptions {
            let binding = naming::message_binding(pattern);
            check_name(&binding)?;
            if !bindings.contains(&binding) {
                bindings.push(binding);
            }
        }
        out.push(QueuePlan {
            kind: Kind::Events,
            queue,
            exclusive,
            arguments,
            exchange: config.events_exchange.clone(),
            bindings,
            dead_letter: (
                config.event_dead_letter_exchange.clone(),
                dead_letter_queue.clone(),
                dead_letter_queue,
            ),
            dead_letter_arguments,
            prefetch: config.event_prefetch.max(1),
        });
    }
    Ok(out)
}

fn check_name(name: &str) -> Result<()> {
    if name.len() > naming::MAX_NAME {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "AMQP name `{name}` is {} bytes, over AMQP's {}",
                name.len(),
                naming::MAX_NAME
            ),
        ));
    }
    Ok(())
}

fn table(arguments: &[(String, PlanArg)]) -> Table {
    let mut table = Table::default();
    for (key, value) in arguments {
        table = match value {
            PlanArg::Text(text) => table.text(key, text.as_str()),
            PlanArg::Int(n) => table.int(key, *n),
        };
    }
    table
}

/// Opens a channel and declares `plan` on it (so that lapin replays them together after a
/// reconnection, the exclusive broadcast queue before its consumer).
async fn open_lane(
    connection: &Connection,
    plan: &QueuePlan,
    config: &AmqpListenConfig,
) -> Result<Channel> {
    let channel = connection.create_channel().await.map_err(|e| {
        Error::new(
            ErrorKind::Transport,
            format!("cannot open an AMQP channel: {e}"),
        )
        .with_source(e)
    })?;
    let auto_delete = config.exchange_auto_delete;
    let (dlx, dlq, dl_key) = &plan.dead_letter;
    let dead_letter_arguments = table(&plan.dead_letter_arguments);
    topology::dead_letter(
        &channel,
        dlx,
        dlq,
        dl_key,
        auto_delete,
        dead_letter_arguments,
    )
    .await?;
    topology::exchange(&channel, &plan.exchange, auto_delete).await?;
    let arguments = table(&plan.arguments);
    let spec = if plan.exclusive {
        QueueSpec::exclusive(&plan.queue)
    } else {
        QueueSpec::durable(&plan.queue)
    };
    topology::queue(&channel, spec.arguments(arguments)).await?;
    for binding in &plan.bindings {
        topology::bind(&channel, &plan.queue, &plan.exchange, binding).await?;
    }
    channel
        .basic_qos(plan.prefetch, BasicQosOptions::default())
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!("setting the prefetch of `{}` failed: {e}", plan.queue),
            )
            .with_source(e)
        })?;
    Ok(channel)
}

impl Lane {
    /// Declares `plan` on a new channel; its consumer tag is `<instance>-requests|events`.
    pub(super) async fn open(
        connection: &Connection,
        plan: QueuePlan,
        config: &AmqpListenConfig,
        instance: &str,
    ) -> Result<Lane> {
        let channel = open_lane(connection, &plan, config).await?;
        let role = match plan.kind {
            Kind::Requests => "requests",
            Kind::Events => "events",
        };
        Ok(Lane {
            tag: format!("{instance}-{role}"),
            plan,
            channel,
            consumer: None,
        })
    }

    pub(super) async fn consume(&mut self) -> Result<()> {
        let consumer = self
            .channel
            .basic_consume(
                short(&self.plan.queue),
                short(&self.tag),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Transport,
                    format!("consuming queue `{}` failed: {e}", self.plan.queue),
                )
                .with_source(e)
            })?;
        self.consumer = Some(consumer);
        Ok(())
    }

    /// Replaces a channel the broker closed: declares and consumes again on a new one.
    pub(super) async fn reopen(
        &mut self,
        connection: &Connection,
        config: &AmqpListenConfig,
    ) -> Result<()> {
        tracing::warn!(queue = %self.plan.queue, "the consuming channel was closed; opening a new one");
        self.consumer = None;
        self.channel = open_lane(connection, &self.plan, config).await?;
        self.consume().await
    }
}

/// The next delivery of an optional lane (never, without one).
pub(super) async fn next(
    lane: &mut Option<Lane>,
) -> Option<lapin::Result<lapin::message::Delivery>> {
    match lane.as_mut().and_then(|l| l.consumer.as_mut()) {
        Some(consumer) => consumer.next().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(introspection: bool) -> Node {
        let builder = Node::builder().without_registered().name("math");
        let builder = if introspection {
            builder
        } else {
            builder.without_introspection()
        };
        builder.build().expect("an empty node")
    }

    #[test]
    fn the_request_queue_is_bound_for_the_introspection_pin_without_renaming_it() {
        let config = AmqpListenConfig {
            pin: "role:math,cmd:*".into(),
            ..AmqpListenConfig::default()
        };
        let planned = plans(&config, &node(true)).expect("plans");
        assert_eq!(planned[0].queue, "seneca.add.role:math.cmd:any");
        assert_eq!(
            planned[0].bindings,
            [
                "cmd.*.role.math",
                "msg$.#.cmd.*.#.role.math.#",
                "role.porticus.service.math",
                "msg$.#.role.porticus.#.service.math.#",
            ]
        );
        let off = plans(&config, &node(false)).expect("plans");
        assert_eq!(
            off[0].bindings,
            ["cmd.*.role.math", "msg$.#.cmd.*.#.role.math.#"]
        );
    }

    fn argument<'a>(plan: &'a QueuePlan, key: &str) -> Option<&'a PlanArg> {
        plan.arguments
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn quorum_queues_get_the_replication_factor_and_leader_locator() {
        let classic = plans(
            &AmqpListenConfig {
                pin: "role:math".into(),
                ..AmqpListenConfig::default()
            },
            &node(false),
        )
        .expect("plans");
        assert!(
            argument(&classic[0], "x-queue-type").is_none(),
            "Seneca's request queue"
        );
        assert!(classic[0].dead_letter_arguments.is_empty());
        let config = AmqpListenConfig {
            pin: "role:math".into(),
            request_queue_type: QueueType::Quorum,
            dead_letter_queue_type: QueueType::Quorum,
            quorum_initial_group_size: 3,
            queue_leader_locator: crate::config::LeaderLocator::Balanced,
            ..AmqpListenConfig::default()
        };
        let planned = plans(&config, &node(false)).expect("plans");
        let requests = &planned[0];
        assert!(
            matches!(argument(requests, "x-queue-type"), Some(PlanArg::Text(t)) if t == "quorum")
        );
        assert!(matches!(
            argument(requests, "x-quorum-initial-group-size"),
            Some(PlanArg::Int(3))
        ));
        assert!(
            matches!(argument(requests, "x-queue-leader-locator"), Some(PlanArg::Text(t)) if t == "balanced")
        );
        assert!(matches!(
            argument(requests, "x-message-ttl"),
            Some(PlanArg::Int(60_000))
        ));
        assert_eq!(
            requests.dead_letter_arguments.len(),
            3,
            "{:?}",
            requests.dead_letter_arguments
        );
    }

    #[test]
    fn a_listener_without_pins_gets_a_queue_for_introspection_alone() {
        let config = AmqpListenConfig::default();
        let planned = plans(&config, &node(true)).expect("plans");
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].kind, Kind::Requests);
        assert_eq!(planned[0].queue, "seneca.add.role:porticus.service:math");
        assert!(plans(&config, &node(false)).expect("plans").is_empty());
    }
}
