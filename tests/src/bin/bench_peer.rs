//! The far side of the HTTP, AMQP and NATS benchmarks, in its own process.
//!
//! ```text
//! bench_peer            HTTP: a Porticus node serving `role:bench,cmd:echo` on the HTTP
//!                       transport, and beside it a raw axum echo doing the least an HTTP JSON
//!                       service can do (parse the body, serialize it back).
//!                       Prints `READY <porticus url> <raw url>`.
//! bench_peer amqp <prefix>
//!                       AMQP: a Porticus node serving `role:bench,cmd:echo` and subscribing to
//!                       `event:bench_tick` through an AMQP listener (names under <prefix>), and
//!                       beside it raw lapin: a responder on `<prefix>.raw.rpc` (bound to
//!                       `<prefix>.topic` with `raw.echo`; consume, publish the reply to
//!                       `reply_to` with the `correlation_id`, ack after publishing it, as
//!                       Porticus does) and an acking consumer of `<prefix>.raw.ev`, a quorum queue
//!                       bound to `<prefix>.events` with `#.event.raw_tick.#`.
//!                       Prints `READY`.
//! bench_peer nats <prefix>
//!                       NATS: a Porticus node serving `role:bench,cmd:echo` (pin
//!                       `role:bench,cmd:*`, subjects under <prefix>) and subscribing to
//!                       `event:bench_tick` through a NATS listener, which creates the event
//!                       stream and the service's durable consumer; and beside it raw
//!                       async-nats on its own connection: a responder on `<prefix>.raw.rpc.echo`
//!                       in queue group `bench-peer-raw` (parse the JSON body, serialize it
//!                       back, publish the reply with headers, as Porticus does), and a JetStream
//!                       stream taking `<prefix>.raw.ev.>`, configured as Porticus configures its
//!                       event stream, read by a durable pull consumer `raw-bench` (Porticus's
//!                       consumer settings) that parses and acks each message. Stream names are
//!                       the ones `porticus_tests::jetstream::Names` gives our parent (the
//!                       bench) for <prefix>: `PT_<parent pid>_<PREFIX>_EV`/`_DLQ` for
//!                       Porticus, `_RAW` for the raw stream (deleted on exit; the bench
//!                       deletes the others). Prints `READY <event stream> <raw stream>`.
//! ```
//!
//! Then serves until its standard input closes.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use axum::body::Bytes;
use axum::routing::post;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use porticus::config::{HttpListenConfig, NatsListenConfig};
use porticus::transport::http::HttpListener;
use porticus::transport::Listener;
use porticus::{ActError, Node};
use porticus_tests::harness::{amqp_configs, amqp_url, listening};
use porticus_tests::jetstream::{nats_configs, nats_listening, nats_url, Names};
use serde_json::Value;
use tokio::io::AsyncReadExt;

type Error = Box<dyn std::error::Error>;

async fn echo(msg: Value) -> Result<Value, ActError> {
    Ok(msg)
}

async fn raw_echo(body: Bytes) -> Vec<u8> {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Resolves when our parent (the benchmark) closes our standard input or exits.
async fn stdin_closed() {
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match &args[..] {
        [] => http().await,
        [mode, prefix] if mode == "amqp" => amqp(prefix).await,
        [mode, prefix] if mode == "nats" => nats(prefix).await,
        _ => Err("usage: bench_peer [amqp <prefix> | nats <prefix>]".into()),
    }
}

async fn http() -> Result<(), Error> {
    let node = Node::builder()
        .without_registered()
        .name("bench-peer")
        .add("role:bench,cmd:echo", echo)
        .build()?;
    let mut config = HttpListenConfig::default();
    config.bind = "127.0.0.1:0".into();
    config.max_concurrent_requests = 4096;
    let listener = HttpListener::bind(&config).await?;
    let porticus_url = listener.url();
    let serving = tokio::spawn(Box::new(listener).serve(node.clone()));

    let raw = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let raw_url = format!("http://{}/echo", raw.local_addr()?);
    let app = axum::Router::new().route("/echo", post(raw_echo));
    tokio::spawn(async move { axum::serve(raw, app).await });

    println!("READY {porticus_url} {raw_url}");
    stdin_closed().await;
    node.close();
    serving.await??;
    Ok(())
}

async fn amqp(prefix: &str) -> Result<(), Error> {
    let (mut listen, _) = amqp_configs(prefix);
    listen.pin = "role:bench".into();
    let node = Node::builder()
        .without_registered()
        .name("bench-peer")
        .add("role:bench,cmd:echo", echo)
        .subscribe("event:bench_tick", |_: Value| async {
            Ok::<_, ActError>(())
        })
        .build()?;
    // Declares the exchanges the raw side binds to as well.
    let server = node.start(&listening("bench-peer", listen)).await?;

    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default()).await?;
    let rpc_queue = format!("{prefix}.raw.rpc");
    let rpc = consumer_channel(&connection, 64).await?;
    declare(&rpc, &rpc_queue, false).await?;
    rpc.queue_bind(
        rpc_queue.as_str().into(),
        format!("{prefix}.topic").as_str().into(),
        "raw.echo".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    let mut requests = rpc
        .basic_consume(
            rpc_queue.as_str().into(),
            "raw-rpc".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = requests.next().await {
            let value: Value = serde_json::from_slice(&delivery.data).unwrap_or(Value::Null);
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let mut properties =
                BasicProperties::default().with_content_type("application/json".into());
            if let Some(correlation) = delivery.properties.correlation_id() {
                properties = properties.with_correlation_id(correlation.clone());
            }
            if let Some(reply_to) = delivery.properties.reply_to() {
                let _ = rpc
                    .basic_publish(
                        "".into(),
                        reply_to.clone(),
                        BasicPublishOptions::default(),
                        &body,
                        properties,
                    )
                    .await;
            }
            let _ = delivery.acker.ack(BasicAckOptions::default()).await;
        }
    });

    let event_queue = format!("{prefix}.raw.ev");
    let events = consumer_channel(&connection, 32).await?;
    declare(&events, &event_queue, true).await?;
    events
        .queue_bind(
            event_queue.as_str().into(),
            format!("{prefix}.events").as_str().into(),
            "#.event.raw_tick.#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut ticks = events
        .basic_consume(
            event_queue.as_str().into(),
            "raw-events".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = ticks.next().await {
            let _: Value = serde_json::from_slice(&delivery.data).unwrap_or(Value::Null);
            let _ = delivery.acker.ack(BasicAckOptions::default()).await;
        }
    });

    println!("READY");
    server.serve_until(stdin_closed()).await?;
    let cleanup = connection.create_channel().await?;
    for queue in [&rpc_queue, &event_queue] {
        let _ = cleanup
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    let _ = connection.close(200, "bench done".into()).await;
    Ok(())
}

/// The names `Names` gives our parent (the bench, which made `prefix` with it) for `prefix`.
fn nats_names(prefix: &str) -> Names {
    let rest: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let token = format!("PT_{}_{rest}", std::os::unix::process::parent_id());
    Names {
        prefix: prefix.to_owned(),
        stream: format!("{token}_EV"),
        dead_letters: format!("{token}_DLQ"),
    }
}

async fn nats(prefix: &str) -> Result<(), Error> {
    let names = nats_names(prefix);
    let (mut listen, _) = nats_configs(&names, &nats_url());
    listen.pin = "role:bench,cmd:*".into();
    // Production settings rather than the fault tests' short ones.
    let production = NatsListenConfig::default();
    listen.ack_wait_ms = production.ack_wait_ms;
    listen.drain_timeout_ms = production.drain_timeout_ms;
    let node = Node::builder()
        .without_registered()
        .name("bench-peer")
        .add("role:bench,cmd:echo", echo)
        .subscribe("event:bench_tick", |_: Value| async {
            Ok::<_, ActError>(())
        })
        .build()?;
    let server = node
        .start(&nats_listening("bench-peer", listen.clone()))
        .await?;

    let client = async_nats::connect(nats_url()).await?;
    let mut requests = client
        .queue_subscribe(format!("{prefix}.raw.rpc.echo"), "bench-peer-raw".into())
        .await?;
    let replies = client.clone();
    tokio::spawn(async move {
        while let Some(msg) = requests.next().await {
            let Some(reply) = msg.reply else { continue };
            let value: Value = serde_json::from_slice(&msg.payload).unwrap_or(Value::Null);
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let mut headers = async_nats::HeaderMap::new();
            if let Some(traceparent) = msg.headers.as_ref().and_then(|h| h.get("traceparent")) {
                headers.insert("traceparent", traceparent.clone());
            }
            headers.insert("porticus-accept", "bench-peer-raw");
            let _ = replies
                .publish_with_headers(reply, headers, body.into())
                .await;
        }
    });

    // The raw event stream and consumer, configured as the listener configures its own.
    let raw_stream = format!("{}_RAW", names.stream.trim_end_matches("_EV"));
    let jetstream = async_nats::jetstream::new(client.clone());
    let stream = jetstream
        .get_or_create_stream(stream::Config {
            name: raw_stream.clone(),
            subjects: vec![format!("{prefix}.raw.ev.>")],
            retention: RetentionPolicy::Limits,
            max_age: Duration::from_millis(listen.stream_max_age_ms),
            max_bytes: listen.stream_max_bytes,
            max_messages: listen.stream_max_messages,
            discard: DiscardPolicy::New,
            storage: StorageType::File,
            num_replicas: 1,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await?;
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some("raw-bench".into()),
            name: Some("raw-bench".into()),
            filter_subject: format!("{prefix}.raw.ev.>"),
            ack_policy: AckPolicy::Explicit,
            ack_wait: Duration::from_millis(listen.ack_wait_ms),
            max_deliver: i64::from(listen.max_deliver) * 2,
            max_ack_pending: listen.event_prefetch,
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        })
        .await?;
    let mut ticks = consumer
        .stream()
        .max_messages_per_batch(usize::try_from(listen.event_prefetch)?)
        .expires(Duration::from_secs(10))
        .heartbeat(Duration::from_secs(3))
        .messages()
        .await?;
    tokio::spawn(async move {
        while let Some(next) = ticks.next().await {
            let Ok(msg) = next else { continue };
            let _: Value = serde_json::from_slice(&msg.payload).unwrap_or(Value::Null);
            let _ = msg.ack().await;
        }
    });

    println!("READY {} {raw_stream}", names.stream);
    server.serve_until(stdin_closed()).await?;
    let _ = jetstream.delete_stream(&raw_stream).await;
    let _ = client.drain().await;
    Ok(())
}

async fn consumer_channel(connection: &Connection, prefetch: u16) -> Result<Channel, Error> {
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    Ok(channel)
}

/// A durable queue as Porticus declares its own: a classic one for requests, a quorum one
/// capped with `reject-publish` for events; either expires a minute after its last use.
async fn declare(channel: &Channel, queue: &str, quorum: bool) -> Result<(), Error> {
    let mut args = FieldTable::default();
    args.insert("x-expires".into(), AMQPValue::LongLongInt(60_000));
    if quorum {
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        args.insert("x-max-length".into(), AMQPValue::LongLongInt(100_000));
        args.insert(
            "x-overflow".into(),
            AMQPValue::LongString("reject-publish".into()),
        );
    }
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            args,
        )
        .await?;
    Ok(())
}
