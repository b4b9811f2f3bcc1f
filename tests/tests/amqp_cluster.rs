//! A three-node RabbitMQ cluster under faults (issue 16): 20,000 confirmed events and a stream
//! of RPC calls keep going while
//!
//! - (a) the node leading the event queue is killed (`kill -9`), then started again,
//! - (b) a second node is stopped gracefully, then started again,
//! - (c) the node the emitter is connected to has its connections force-closed.
//!
//! Every service and client is configured with the three nodes (`urls`, each in its own order,
//! so that their connections spread over the cluster) and quorum queues for requests, events
//! and dead letters. The subscriber service runs two instances on different nodes. Nothing is
//! ever restarted by the test but broker nodes. It prints `RESULT` lines: events lost (must be
//! 0) and duplicated, calls failed and, for each run of failed calls, the time from the answer
//! before it to the answer after it, and — for the capacity figures of `docs/deploy.md` —
//! events per second through one node and through the cluster. A last test checks `urls`
//! without a cluster: the first node that answers is used, and no node answering is an error
//! naming each. The load itself is `porticus_tests::cluster_load`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use porticus::config::LeaderLocator;
use porticus::transport::amqp::AmqpClient;
use porticus_tests::broker_cluster::BrokerCluster;
use porticus_tests::cluster_load::{
    blocking, capacity, configs, place, subscriber, tally, Calls, Counts, Placed, Placement,
    Stream, LOAD, LOAD_CONCURRENCY,
};
use porticus_tests::harness::{amqp_caller, amqp_configs, amqp_url, unique_prefix};
use porticus_tests::private_broker::PrivateBroker;
use porticus_tests::process::free_port;

/// One cluster or broker at a time: this machine has two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Events of the fault run.
const EVENTS: u64 = 20_000;
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_loses_no_event_and_calls_fail_over_through_three_node_faults() {
    let _one = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let cluster = blocking(|| BrokerCluster::start("cl"));
    let cluster_up = started.elapsed();
    let urls = cluster.urls();
    let (listen, client) = configs("cluster", &urls);

    // Two subscriber instances (on nodes 0 and 1), an emitter and a caller (on node 2).
    let at = Placement {
        subscribers: [0, 1],
        emitter: 2,
        caller: 2,
    };
    let Placed {
        counts,
        instances,
        emitter: (emitter, emitter_client),
        caller: (caller, caller_client),
    } = place("cl", &urls, (&listen, &client), at).await;

    let (emit_rate, handled_rate) = capacity(&emitter, &counts).await;
    println!(
        "RESULT test=capacity broker=cluster nodes=3 events={LOAD} concurrency={LOAD_CONCURRENCY} confirmed_per_s={emit_rate:.0} handled_per_s={handled_rate:.0}"
    );

    let queue = format!("{}.ticks", listen.event_queue_prefix);
    let stream = Arc::new(Stream::new(EVENTS));
    let emitting = stream.start(emitter.clone());
    let calls = Arc::new(Calls::default());
    let calling = calls.start(caller.clone());

    // (a) kill -9 the node leading the event queue, start it again.
    stream.until(2_000).await;
    let before_faults = stream.take_longest_pause();
    let leader = blocking(|| cluster.leader_of(&queue, 2))
        .unwrap_or_else(|| panic!("queue `{queue}` has a leader"));
    let killed_at = Instant::now();
    blocking(|| cluster.node(leader).kill());
    let survivor = (leader + 1) % 3;
    let new_leader = {
        let waited = Instant::now();
        loop {
            match blocking(|| cluster.leader_of(&queue, survivor)) {
                Some(l) if l != leader => break l,
                _ => {
                    assert!(
                        waited.elapsed() < Duration::from_secs(60),
                        "no new leader in 60 s"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    };
    let leader_moved = killed_at.elapsed();
    let at = stream.confirmed();
    stream.until(at + 1_000).await;
    eprintln!("(a) node {leader} killed, leader now on node {new_leader}; restarting it");
    blocking(|| cluster.node(leader).restart());

    // (b) stop a second node gracefully, start it again.
    let at = stream.confirmed();
    stream.until(at + 2_000).await;
    let second_node = (leader + 1) % 3;
    let pause_a = stream.take_longest_pause();
    blocking(|| cluster.node(second_node).stop());
    let at = stream.confirmed();
    stream.until(at + 1_000).await;
    eprintln!("(b) node {second_node} stopped; restarting it");
    blocking(|| cluster.node(second_node).restart());

    // (c) force-close the connections of the node the emitter is on.
    let at = stream.confirmed();
    stream.until(at + 2_000).await;
    let emitter_node = blocking(|| cluster.node_of_connection("cl-emitter", (second_node + 1) % 3))
        .expect("the emitter has a connection");
    let pause_b = stream.take_longest_pause();
    blocking(|| cluster.node(emitter_node).close_connections());

    stream.until(EVENTS).await;
    let pause_c = stream.take_longest_pause();
    emitting.await.expect("the emitter loop does not panic");
    calls.stop.store(true, Ordering::Release);
    calling.await.expect("the call loop does not panic");
    let confirmed = stream.confirmed();
    let (lost, duplicated) = tally(&counts, confirmed, Duration::from_secs(60)).await;
    let ready = instances.iter().filter(|s| s.is_ready()).count();
    println!(
        "RESULT test=cluster faults=kill9_leader,stop_node,close_connections events={confirmed} lost={lost} duplicated={duplicated} emit_errors={} publish_pause_ms_before_faults={} publish_pause_ms_kill={} publish_pause_ms_stop={} publish_pause_ms_close={} killed_node={leader} new_leader={new_leader} leader_moved_ms={} stopped_node={second_node} closed_node={emitter_node}",
        stream.errors.load(Ordering::Acquire),
        before_faults.as_millis(),
        pause_a.as_millis(),
        pause_b.as_millis(),
        pause_c.as_millis(),
        leader_moved.as_millis(),
    );
    let gaps: Vec<u128> = calls
        .gaps
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(Duration::as_millis)
        .collect();
    println!(
        "RESULT test=cluster_rpc calls_answered={} calls_failed={} outages={} recovered_after_ms={gaps:?} instances_ready={ready}/2 cluster_start_ms={} total_s={}",
        calls.answered.load(Ordering::Acquire),
        calls.failed.load(Ordering::Acquire),
        gaps.len(),
        cluster_up.as_millis(),
        started.elapsed().as_secs()
    );
    assert_eq!(lost, 0, "every confirmed event is handled");
    assert_eq!(
        ready, 2,
        "both subscriber instances serve on, never restarted"
    );
    assert!(
        calls.answered.load(Ordering::Acquire) > 0,
        "calls were answered"
    );

    emitter.close();
    caller.close();
    emitter_client.close().await;
    caller_client.close().await;
    for instance in instances {
        let _ = tokio::time::timeout(Duration::from_secs(10), instance.shutdown()).await;
    }
    blocking(|| drop(cluster));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_of_one_broker_node() {
    let _one = ONE_AT_A_TIME.lock().await;
    let broker = blocking(|| PrivateBroker::start("cap"));
    let urls = vec![broker.url()];
    let (mut listen, client) = configs("single", &urls);
    listen.quorum_initial_group_size = 1;
    // The broker validates the locator's value: `balanced` is one RabbitMQ 3.10 accepts.
    listen.queue_leader_locator = LeaderLocator::Balanced;
    let counts = Arc::new(Counts::default());
    let server = subscriber(listen, counts.clone()).await;
    let (emitter, emitter_client) = amqp_caller(&client, "cap-emitter", "").await;
    let (emit_rate, handled_rate) = capacity(&emitter, &counts).await;
    println!(
        "RESULT test=capacity broker=single nodes=1 events={LOAD} concurrency={LOAD_CONCURRENCY} confirmed_per_s={emit_rate:.0} handled_per_s={handled_rate:.0}"
    );
    emitter.close();
    emitter_client.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(10), server.shutdown()).await;
    blocking(|| drop(broker));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_node_that_answers_is_used_and_none_answering_names_every_node() {
    let dead: Vec<u16> = (0..2).map(|_| free_port()).collect();
    let dead_urls: Vec<String> = dead
        .iter()
        .map(|port| format!("amqp://guest:guest@127.0.0.1:{port}/%2f"))
        .collect();
    let (_, mut client) = amqp_configs(&unique_prefix("urls"));
    client.connect_timeout_ms = 2_000;
    client.urls.clone_from(&dead_urls);
    let err = AmqpClient::new(&client, "urls-none")
        .expect("valid urls")
        .connect()
        .await
        .expect_err("no node listens");
    let text = err.to_string();
    assert!(text.contains("any of the 2 AMQP broker nodes"), "{text}");
    for port in &dead {
        assert!(
            text.contains(&format!("amqp://127.0.0.1:{port}:")),
            "{text}"
        );
    }
    assert!(
        !text.contains("guest:guest"),
        "the password is masked: {text}"
    );

    // A dead node first: the live one after it is used.
    client.urls = vec![dead_urls[0].clone(), amqp_url()];
    let (node, amqp) = amqp_caller(&client, "urls-second", "").await;
    assert!(amqp.is_connected());
    node.close();
    amqp.close().await;

    // URLs that differ in more than host and port are a config error, before connecting.
    client.urls = vec![
        amqp_url(),
        dead_urls[0].replace("guest:guest", "guest:other"),
    ];
    let err = AmqpClient::new(&client, "urls-mixed").expect_err("mixed credentials");
    assert!(err.to_string().contains("user or password"), "{err}");
}
