//! `porticus dlq` on NATS JetStream (`$PORTICUS_TEST_NATS_URL`, else 127.0.0.1:4222): a
//! service whose subscriber refuses every event fills its dead-letter stream; the built binary
//! lists, shows, replays and purges it. A replay killed mid-way loses nothing.

mod binary;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::stream;
use async_nats::HeaderMap;
use porticus::config::{NatsClientConfig, NatsCredentials};
use porticus::transport::nats::NatsClient;
use porticus::{ActError, Node};
use porticus_tests::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Jet, Names};
use serde_json::{json, Value};

use binary::{
    dlq_of, json_lines, list_shows_three_permanent_letters, porticus,
    show_prints_one_letter_and_refuses_an_unknown_id, stderr, stdout,
};

async fn emitter(client: &NatsClientConfig) -> Node {
    let nats =
        NatsClient::new(client, &NatsCredentials::default(), "emitter").expect("valid config");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    Node::builder()
        .name("emitter")
        .without_registered()
        .client("", nats)
        .build()
        .expect("builds")
}

/// The `porticus-id` of every message in stream `name`.
async fn ids_in(jet: &Jet, name: &str) -> Vec<String> {
    jet.dead_letters(name)
        .await
        .into_iter()
        .map(|d| d.headers.get("porticus-id").cloned().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_show_replay_and_purge_a_services_dead_letters() {
    let started = Instant::now();
    let names = Names::new("clidlqnats");
    let url = nats_url();
    let jet = Jet::connect(&url).await;
    jet.sweep().await;
    let (listen, client) = nats_configs(&names, &url);
    // A service whose subscriber refuses every order: dead-lettered at once (`act_invalid_msg`).
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
            .start(&nats_listening("billing", listen.clone()))
            .await
            .unwrap_or_else(|e| panic!("{}", nats_down(&e))),
    );
    let emitter = emitter(&client).await;
    for n in 0..3 {
        emitter
            .emit(json!({"event": "order", "n": n}))
            .await
            .expect("stored");
    }
    let dead = jet
        .wait_dead_letters(&names.dead_letters, 3, Duration::from_secs(20))
        .await;
    assert_eq!(dead.len(), 3);
    let by_service = [
        "--service",
        "billing",
        "--stream",
        &names.dead_letters,
        "--subject-prefix",
        &names.prefix,
        "--via",
        &url,
    ]
    .map(str::to_owned);
    let with = dlq_of(by_service.to_vec());

    // list: three letters, with why and where they were going; nothing taken away.
    let letters = list_shows_three_permanent_letters(&with);
    for letter in &letters {
        assert_eq!(letter["error_message"], "orders are refused today");
        assert_eq!(letter["service"], "billing");
        let subject = letter["subject"].as_str().unwrap();
        assert!(
            subject.starts_with(&format!("{}.event.", names.prefix))
                && subject.contains("event.order"),
            "{subject}"
        );
        assert!(letter["sequence"].as_u64().unwrap() > 0);
        assert!(letter["id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    assert_eq!(
        jet.dead_letters(&names.dead_letters).await.len(),
        3,
        "listing takes nothing"
    );
    let table = with(&["list"]);
    let text = stdout(&table);
    assert!(text.starts_with("ID"), "{text}");
    assert!(text.lines().next().unwrap().contains("SUBJECT"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    let limited = json_lines(&with(&["list", "--json", "--limit", "2"]));
    assert_eq!(limited.len(), 2);
    let ids: Vec<String> = letters
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();

    // show: the body and headers of one.
    show_prints_one_letter_and_refuses_an_unknown_id(&with, &ids[1], "porticus-error-code");

    // replay one: back on its subject, refused again, dead-lettered again, counting the replay.
    let wrong_to = with(&["replay", "--id", &ids[0], "--to", "queue"]);
    assert_eq!(wrong_to.status.code(), Some(2), "{}", stderr(&wrong_to));
    let first: Value = serde_json::from_slice(&with(&["show", &ids[0]]).stdout).expect("JSON");
    let replayed = with(&["replay", "--id", &ids[0], "--json"]);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    let outcome: Value = serde_json::from_slice(&replayed.stdout).expect("JSON");
    assert_eq!(outcome["replayed"], 1, "{outcome}");
    assert_eq!(outcome["left"], json!([]), "{outcome}");
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
    assert_eq!(again["headers"]["porticus-replays"], "1", "{again}");
    assert_eq!(again["service"], "billing");
    assert_eq!(again["body"], first["body"]);
    assert!(again["sequence"].as_u64() > first["sequence"].as_u64());

    // purge: refused without --yes off a terminal; by id; then all.
    let refused = with(&["purge", "--all"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--yes"));
    assert_eq!(jet.dead_letters(&names.dead_letters).await.len(), 3);
    let purged = with(&["purge", "--id", &ids[2], "--yes"]);
    assert!(purged.status.success(), "{}", stderr(&purged));
    assert!(stdout(&purged).contains("deleted 1"), "{}", stdout(&purged));
    let remaining: HashSet<String> = json_lines(&with(&["list", "--json"]))
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(remaining, HashSet::from([ids[0].clone(), ids[1].clone()]));
    let purged = with(&["purge", "--all", "--yes"]);
    assert!(stdout(&purged).contains("deleted 2"), "{}", stdout(&purged));
    assert!(jet.dead_letters(&names.dead_letters).await.is_empty());

    // Bad input names what was wrong.
    let unknown = porticus(&[
        "dlq",
        "list",
        "--service",
        "billing",
        "--stream",
        "NO_SUCH_DLQ_STREAM",
        "--via",
        &url,
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("NO_SUCH_DLQ_STREAM"),
        "{}",
        stderr(&unknown)
    );
    let down = porticus(&[
        "dlq",
        "list",
        "--service",
        "billing",
        "--via",
        "nats://127.0.0.1:1",
    ]);
    assert_eq!(down.status.code(), Some(2));
    assert!(stderr(&down).contains("cannot reach"), "{}", stderr(&down));

    billing.close();
    emitter.close();
    jet.cleanup(&names).await;
    println!(
        "RESULT test=dlq_nats_commands seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_replay_killed_midway_loses_nothing() {
    const N: usize = 1_000;
    let started = Instant::now();
    let names = Names::new("clidlqnatskill");
    let url = nats_url();
    let jet = Jet::connect(&url).await;
    let stream_of = |name: &str, subject: String| stream::Config {
        name: name.to_owned(),
        subjects: vec![subject],
        storage: stream::StorageType::File,
        ..Default::default()
    };
    let dlq = jet
        .js
        .create_stream(stream_of(
            &names.dead_letters,
            format!("{}.dlq.>", names.prefix),
        ))
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    let target = jet
        .js
        .create_stream(stream_of(
            &names.stream,
            format!("{}.event.>", names.prefix),
        ))
        .await
        .expect("the event stream");
    // N dead letters as the subscriber writes them.
    let subject = format!("{}.dlq.jobs", names.prefix);
    let mut acks = Vec::with_capacity(N);
    for i in 0..N {
        let mut headers = HeaderMap::new();
        headers.insert("porticus-id", format!("m{i}").as_str());
        headers.insert("porticus-error-code", "job_failed");
        headers.insert("porticus-attempts", "5");
        headers.insert("porticus-service", "jobs");
        headers.insert(
            "porticus-subject",
            format!("{}.event.event.job.n.{i}", names.prefix).as_str(),
        );
        let body = json!({"event": "job", "n": i}).to_string();
        acks.push(
            jet.js
                .publish_with_headers(subject.clone(), headers, body.into())
                .await
                .expect("published"),
        );
    }
    for ack in acks {
        ack.await.expect("stored");
    }
    let count = |s: &stream::Stream| {
        let mut s = s.clone();
        async move { s.info().await.map_or(0, |i| i.state.messages) }
    };
    assert_eq!(count(&dlq).await, N as u64);

    let mut child = Command::new(env!("CARGO_BIN_EXE_porticus"))
        .args([
            "dlq",
            "replay",
            "--all",
            "--service",
            "jobs",
            "--stream",
            &names.dead_letters,
            "--subject-prefix",
            &names.prefix,
            "--via",
            &url,
            "--batch",
            "10",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawned");
    // Kill it once some, not all, are replayed.
    let deadline = Instant::now() + Duration::from_secs(30);
    let at_kill = loop {
        let done = count(&target).await;
        if done >= 100 {
            break done;
        }
        assert!(Instant::now() < deadline, "the replay did not start");
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let still_running = child.try_wait().expect("try_wait").is_none();
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let in_dlq = ids_in(&jet, &names.dead_letters).await;
    let in_target = ids_in(&jet, &names.stream).await;
    let all: HashSet<&String> = in_dlq.iter().chain(&in_target).collect();
    let both = in_dlq
        .iter()
        .collect::<HashSet<_>>()
        .intersection(&in_target.iter().collect())
        .count();
    let distinct_replayed = in_target.iter().collect::<HashSet<_>>().len();
    println!(
        "RESULT test=nats_replay_killed n={N} target_at_kill={at_kill} running_at_kill={still_running} left_in_dlq={} replayed={} in_both={both} distinct={} seconds={:.1}",
        in_dlq.len(),
        in_target.len(),
        all.len(),
        started.elapsed().as_secs_f64()
    );
    jet.cleanup(&names).await;
    assert!(
        still_running,
        "the replay finished before it could be killed"
    );
    assert!(in_target.len() < N, "killed before the end");
    assert_eq!(distinct_replayed, in_target.len(), "each replayed once");
    for i in 0..N {
        assert!(all.contains(&format!("m{i}")), "m{i} was lost");
    }
}
