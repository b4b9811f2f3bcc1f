//! `porticus dlq replay`: republish dead letters where they were going, then remove them.
//!
//! Each selected letter is republished (persistent, mandatory, on a channel with publisher
//! confirms) and acked in the dead-letter queue only once the broker confirmed the copy.
//! Letters are held unacknowledged until then, so a replay interrupted at any point (Ctrl-C,
//! `kill -9`, a dropped connection) loses none: each is still in the dead-letter queue, or
//! republished, or — when it died between the confirm and the ack — both (at-least-once).

use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Confirmation};
use serde_json::{json, Value};

use super::letter::{Letter, FAILURE_HEADERS, REPLAYS};
use super::progress::Progress;
use super::queue::Target;
use super::select::Selection;
use crate::exit::Exit;

/// Republishes the selected dead letters and removes each from the dead-letter queue once the
/// broker confirmed its copy. An interrupted replay loses nothing; a letter may be both
/// republished and still in the dead letters (at-least-once).
///
/// RabbitMQ: by default a letter goes back to the service queue it failed in (through the
/// default exchange), so that only that service sees it again; `--to exchange` publishes it to
/// the exchange and routing key it was first emitted with, which every subscribing service
/// receives again.
///
/// NATS: a letter is published through JetStream to the subject it was emitted on
/// (`porticus-subject`), and deleted from the dead-letter stream once JetStream acked it. Every
/// service reads the one event stream, so every subscribing service's consumer receives it
/// again (there is no per-service subject); a service whose handlers are idempotent is safe.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n\n  porticus dlq replay --all --service billing --via amqp://guest:guest@127.0.0.1:5672\n\n  porticus dlq replay --pattern event:order_shipped --service billing --via nats://127.0.0.1:4222"
)]
pub struct Args {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub selection: Selection,
    /// Where to republish. RabbitMQ: `queue` (the default), the service queue the letter
    /// failed in, or `exchange`, the exchange and routing key it was first published with.
    /// NATS: `subject` (the default and only choice), the subject it was emitted on.
    #[arg(long, value_enum)]
    pub to: Option<To>,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Letters republished before waiting for their confirms.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub batch: u16,
}

/// Where a replayed letter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum To {
    /// The service queue it failed in (`x-porticus-queue`).
    Queue,
    /// The exchange and routing key it was first published with.
    Exchange,
    /// NATS: the subject it was emitted on.
    Subject,
}

/// What a replay did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Letters republished and removed.
    pub replayed: u64,
    /// Letters left, with why.
    pub left: Vec<(Option<String>, String)>,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    let selector = args.selection.selector()?;
    let batch = usize::from(args.batch.max(1));
    if args.target.is_nats() {
        if matches!(args.to, Some(To::Queue | To::Exchange)) {
            return Err(Exit::usage(
                "on NATS a replay goes to the subject the event was emitted on (--to subject): every service reads the one event stream, there is no per-service queue or exchange",
            ));
        }
        let mut dlq = args.target.open_nats().await?;
        let place = dlq.name.clone();
        let dlq_subject = dlq.subject.clone();
        let outcome =
            super::nats_replay::replay(&mut dlq, &selector, batch, &args.target.stream).await;
        dlq.close().await;
        let fields = json!({"stream": args.target.stream, "subject": dlq_subject});
        return report(args.json, fields, &place, outcome?);
    }
    let to = match args.to {
        None | Some(To::Queue) => To::Queue,
        Some(To::Exchange) => To::Exchange,
        Some(To::Subject) => {
            return Err(Exit::usage(
                "--to subject is for NATS; on RabbitMQ use --to queue or --to exchange",
            ))
        }
    };
    amqp(args, selector, to).await
}

/// Prints the outcome; exit 1 when letters were left.
/// `fields` names where the letters were (`{"queue": …}`, or `{"stream": …, "subject": …}`),
/// `place` the same for people.
fn report(json: bool, mut fields: Value, place: &str, outcome: Outcome) -> Result<(), Exit> {
    let Outcome { replayed, left } = outcome;
    if json {
        let left: Vec<_> = left
            .iter()
            .map(|(id, why)| json!({"id": id, "error": why}))
            .collect();
        fields["replayed"] = json!(replayed);
        fields["left"] = json!(left);
        println!("{fields}");
    } else {
        println!("replayed {replayed} dead letter(s) from {place}");
        for (id, why) in &left {
            eprintln!(
                "left in {place}: {}: {why}",
                id.as_deref().unwrap_or("(no message id)")
            );
        }
    }
    if left.is_empty() {
        Ok(())
    } else {
        Err(Exit::Failed(format!(
            "{} dead letter(s) could not be replayed and stay in {place}",
            left.len()
        )))
    }
}

async fn amqp(args: Args, selector: super::select::Selector, to: To) -> Result<(), Exit> {
    let dlq = args.target.open().await?;
    let queue = dlq.queue.clone();
    let publisher = async {
        let channel = dlq.connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok::<_, lapin::Error>(channel)
    }
    .await
    .map_err(|e| Exit::usage(format!("cannot open a publishing channel: {e}")));
    let publisher = match publisher {
        Ok(channel) => channel,
        Err(exit) => {
            dlq.close().await;
            return Err(exit);
        }
    };
    let mut progress = Progress::new("replayed", u64::from(dlq.count));
    let mut replayed = 0u64;
    let mut left: Vec<(Option<String>, String)> = Vec::new();
    let mut seen = 0u32;
    let batch = usize::from(args.batch.max(1));
    let outcome = async {
        loop {
            let mut sent = Vec::with_capacity(batch);
            let mut exhausted = false;
            while sent.len() < batch {
                if seen >= dlq.count {
                    exhausted = true;
                    break;
                }
                let Some(delivery) = dlq.next().await? else {
                    exhausted = true;
                    break;
                };
                seen += 1;
                if !selector.takes(&delivery) {
                    // Held until the end, then back to the queue untouched.
                    continue;
                }
                let letter = Letter::read(&delivery);
                let (exchange, routing_key) = match destination(&letter, to) {
                    Ok(to) => to,
                    Err(why) => {
                        left.push((letter.id, why));
                        continue;
                    }
                };
                let confirm = publisher
                    .basic_publish(
                        exchange.as_str().into(),
                        routing_key.as_str().into(),
                        BasicPublishOptions {
                            mandatory: true,
                            immediate: false,
                        },
                        &delivery.data,
                        replayed_properties(&delivery.properties),
                    )
                    .await
                    .map_err(|e| Exit::usage(format!("republishing failed: {e}")))?;
                sent.push((delivery, letter, exchange, routing_key, confirm));
            }
            for (delivery, letter, exchange, routing_key, confirm) in sent {
                let to = if exchange.is_empty() {
                    format!("queue `{routing_key}`")
                } else {
                    format!("exchange `{exchange}` with `{routing_key}`")
                };
                match confirm.await {
                    Ok(Confirmation::Ack(None)) => {
                        ack(&delivery).await?;
                        replayed += 1;
                    }
                    Ok(Confirmation::Ack(Some(_))) => {
                        left.push((letter.id, format!("no route: {to} does not exist or is not bound")));
                    }
                    Ok(Confirmation::Nack(_)) => {
                        left.push((letter.id, format!("the broker refused it ({to} may be full)")));
                    }
                    Ok(Confirmation::NotRequested) => {
                        left.push((letter.id, "not confirmed".to_owned()));
                    }
                    Err(e) => {
                        return Err(Exit::usage(format!(
                            "republishing to {to} failed: {e}; the letters not yet confirmed stay in `{}`",
                            dlq.queue
                        )))
                    }
                }
            }
            progress.set(u64::from(seen));
            if exhausted {
                return Ok::<_, Exit>(());
            }
        }
    }
    .await;
    progress.finish();
    let _ = publisher.close(200, "done".into()).await;
    dlq.close().await;
    outcome?;
    report(
        args.json,
        json!({ "queue": queue }),
        &format!("`{queue}`"),
        Outcome { replayed, left },
    )
}

/// The exchange and routing key a letter is republished with.
fn destination(letter: &Letter, to: To) -> Result<(String, String), String> {
    match to {
        To::Queue => letter
            .queue
            .clone()
            .map(|queue| (String::new(), queue))
            .ok_or_else(|| {
                "it does not say which queue it failed in (no x-porticus-queue or x-death); try --to exchange".to_owned()
            }),
        To::Subject => Err("--to subject is for NATS".to_owned()),
        To::Exchange => match (&letter.exchange, &letter.routing_key) {
            (Some(exchange), Some(key)) => Ok((exchange.clone(), key.clone())),
            _ => Err("it does not say where it was first published (no x-porticus-exchange or x-death); try --to queue".to_owned()),
        },
    }
}

/// The letter's properties without the record of its failure, persistent, with a replay count.
fn replayed_properties(props: &BasicProperties) -> BasicProperties {
    let mut headers = FieldTable::default();
    let mut replays = 0;
    if let Some(table) = props.headers() {
        for (key, value) in table.inner() {
            if key.as_str() == REPLAYS {
                if let AMQPValue::LongLongInt(n) = value {
                    replays = *n;
                }
            } else if !FAILURE_HEADERS.contains(&key.as_str()) {
                headers.insert(key.clone(), value.clone());
            }
        }
    }
    headers.insert(REPLAYS.into(), AMQPValue::LongLongInt(replays + 1));
    props.clone().with_headers(headers).with_delivery_mode(2)
}

async fn ack(delivery: &Delivery) -> Result<(), Exit> {
    delivery
        .acker
        .ack(BasicAckOptions::default())
        .await
        .map(|_| ())
        .map_err(|e| {
            Exit::usage(format!(
                "removing a replayed letter failed: {e}; it is republished and still in the queue"
            ))
        })
}
