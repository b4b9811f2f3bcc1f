//! `porticus dlq` against the real RabbitMQ (`$PORTICUS_TEST_AMQP_URL`, else
//! 127.0.0.1:5672): a service whose handler rejects every event fills its dead-letter queue;
//! the built binary lists, shows, replays and purges it. A replay killed mid-way loses nothing.

mod binary;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use porticus::{ActError, Node};
use porticus_tests::broker::Broker;
use porticus_tests::harness::{amqp_configs, amqp_url, broker_down, listening, unique_prefix};
use serde_json::{json, Value};

use binary::{
    dlq_of, json_lines, list_shows_three_permanent_letters, porticus,
    show_prints_one_letter_and_refuses_an_unknown_id, stderr, stdout,
};

async fn channel() -> (Connection, Channel) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let channel = connection.create_channel().await.expect("a channel");
    (connection, channel)
}

/// Takes every message of `queue` (acked), returning their message ids.
async fn drain(channel: &Channel, queue: &str) -> Vec<String> {
    let mut ids = Vec::new();
    while let Some(got) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .expect("basic.get")
    {
        let id = got.delivery.properties.message_id().clone();
        ids.push(id.map(|i| i.as_str().to_owned()).unwrap_or_default());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_show_replay_and_purge_a_services_dead_letters() {
    let started = Instant::now();
    let prefix = unique_prefix("clidlq");
    let (listen, client) = amqp_configs(&prefix);
    // A service whose handler rejects every order: dead-lettered at once (`act_invalid_msg`).
    let billing = Node::builder()
        .name("billing")
        .without_registered()
        .subscribe("event:order", |_: Value| async {
            Err::<(), _>(ActError::invalid_msg("orders are refused today"))
        })
        .build()
        .expect("builds");
    drop(
        billing
            .start(&listening("billing", listen.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}", broker_down(&e))),
    );
    let (emitter, _amqp) = porticus_tests::harness::amqp_caller(&client, "emitter", "").await;
    for n in 0..3 {
        emitter
            .emit(json!({"event": "order", "n": n}))
            .await
            .expect("confirmed");
    }
    let dlq = format!("{prefix}.ev.billing.dlq");
    let url = amqp_url();
    let broker = Broker::connect().await;
    assert_eq!(
        broker.wait_depth(&dlq, 3, Duration::from_secs(20)).await,
        Some(3)
    );
    let by_service = [
        "--service",
        "billing",
        "--event-queue-prefix",
        &format!("{prefix}.ev"),
        "--via",
        &url,
    ]
    .map(str::to_owned);
    let with = dlq_of(by_service.to_vec());

    // list: three letters, with why and where they were going; nothing taken away.
    let letters = list_shows_three_permanent_letters(&with);
    for letter in &letters {
        assert_eq!(letter["exchange"], format!("{prefix}.events"));
        assert_eq!(letter["queue"], format!("{prefix}.ev.billing"));
        assert!(letter["routing_key"]
            .as_str()
            .unwrap()
            .contains("event.order"));
    }
    assert_eq!(broker.depth(&dlq).await, Some(3), "listing takes nothing");
    let table = with(&["list"]);
    let text = stdout(&table);
    assert!(text.starts_with("ID"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    let ids: Vec<String> = letters
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();

    // show: the body and headers of one.
    show_prints_one_letter_and_refuses_an_unknown_id(&with, &ids[1], "x-porticus-error-code");

    // replay one: back in billing's queue, refused again, dead-lettered again, remembering
    // where it first came from and that it was replayed once.
    let replayed = with(&["replay", "--id", &ids[0], "--json"]);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    let outcome: Value = serde_json::from_slice(&replayed.stdout).expect("JSON");
    assert_eq!(outcome["replayed"], 1, "{outcome}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let again = loop {
        let letters = json_lines(&with(&["list", "--json"]));
        let shown = with(&["show", &ids[0]]);
        if letters.len() == 3 && shown.status.success() {
            break serde_json::from_slice::<Value>(&shown.stdout).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the replayed letter did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(again["headers"]["x-porticus-replays"], 1);
    assert_eq!(again["exchange"], format!("{prefix}.events"));

    // purge: refused without --yes off a terminal; by id; then all.
    let refused = with(&["purge", "--all"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--yes"));
    assert_eq!(broker.depth(&dlq).await, Some(3));
    let purged = with(&["purge", "--id", &ids[2], "--yes"]);
    assert!(purged.status.success(), "{}", stderr(&purged));
    assert_eq!(broker.depth(&dlq).await, Some(2));
    let remaining: HashSet<String> = json_lines(&with(&["list", "--json"]))
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(remaining, HashSet::from([ids[0].clone(), ids[1].clone()]));
    let purged = with(&["purge", "--all", "--yes"]);
    assert!(stdout(&purged).contains("deleted 2"), "{}", stdout(&purged));
    assert_eq!(broker.depth(&dlq).await, Some(0));

    // Bad input names what was wrong.
    let unknown = porticus(&["dlq", "list", "--service", "nobody", "--via", &url]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("porticus.events.nobody.dlq"));
    let down = porticus(&[
        "dlq",
        "list",
        "--service",
        "billing",
        "--via",
        "amqp://guest:guest@127.0.0.1:1",
    ]);
    assert_eq!(down.status.code(), Some(2));
    assert!(stderr(&down).contains("cannot reach"), "{}", stderr(&down));

    billing.close();
    emitter.close();
    let (_connection, channel) = channel().await;
    for queue in [dlq.clone(), format!("{prefix}.ev.billing")] {
        let _ = channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    println!(
        "RESULT test=dlq_commands seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_killed_midway_loses_nothing() {
    const N: usize = 2_000;
    let started = Instant::now();
    let prefix = unique_prefix("clidlqkill");
    let dlq = format!("{prefix}.dlq");
    let target = format!("{prefix}.target");
    let (_connection, channel) = channel().await;
    for queue in [&dlq, &target] {
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("declared");
    }
    // N dead letters as the subscriber writes them, failed in `target`.
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let mut confirms = Vec::with_capacity(N);
    for i in 0..N {
        let mut headers = FieldTable::default();
        let text = |s: &str| AMQPValue::LongString(LongString::from(s.to_owned()));
        headers.insert("x-porticus-queue".into(), text(&target));
        headers.insert("x-porticus-error-code".into(), text("job_failed"));
        headers.insert("x-porticus-attempts".into(), AMQPValue::LongLongInt(5));
        let props = BasicProperties::default()
            .with_message_id(format!("m{i}").into())
            .with_delivery_mode(2)
            .with_headers(headers);
        let body = json!({"event": "job", "n": i}).to_string();
        confirms.push(
            channel
                .basic_publish(
                    "".into(),
                    dlq.as_str().into(),
                    BasicPublishOptions::default(),
                    body.as_bytes(),
                    props,
                )
                .await
                .unwrap(),
        );
    }
    for confirm in confirms {
        confirm.await.expect("confirmed");
    }
    let broker = Broker::connect().await;
    assert_eq!(broker.depth(&dlq).await, Some(N as u32));

    let url = amqp_url();
    let mut child = Command::new(env!("CARGO_BIN_EXE_porticus"))
        .args([
            "dlq", "replay", "--all", "--queue", &dlq, "--via", &url, "--batch", "10",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawned");
    // Kill it once some, not all, are replayed.
    let deadline = Instant::now() + Duration::from_secs(30);
    let at_kill = loop {
        let done = broker.depth(&target).await.unwrap_or(0);
        if done >= 200 {
            break done;
        }
        assert!(Instant::now() < deadline, "the replay did not start");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let still_running = child.try_wait().expect("try_wait").is_none();
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    // The broker returns what the dead process held once it sees the connection gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (left, replayed) = loop {
        let left = broker.depth(&dlq).await.unwrap_or(0) as usize;
        let replayed = broker.depth(&target).await.unwrap_or(0) as usize;
        if left + replayed >= N || Instant::now() > deadline {
            break (left, replayed);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let in_dlq = drain(&channel, &dlq).await;
    let in_target = drain(&channel, &target).await;
    let all: HashSet<&String> = in_dlq.iter().chain(&in_target).collect();
    let both = in_dlq
        .iter()
        .collect::<HashSet<_>>()
        .intersection(&in_target.iter().collect())
        .count();
    println!(
        "RESULT test=replay_killed n={N} target_at_kill={at_kill} running_at_kill={still_running} left_in_dlq={left} replayed={replayed} in_both={both} distinct={} seconds={:.1}",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        still_running,
        "the replay finished before it could be killed"
    );
    assert!(replayed < N, "killed before the end");
    for i in 0..N {
        assert!(all.contains(&format!("m{i}")), "m{i} was lost");
    }
    for queue in [&dlq, &target] {
        let _ = channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
}
