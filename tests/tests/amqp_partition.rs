//! A network partition in a three-node RabbitMQ cluster with `cluster_partition_handling =
//! pause_minority` (issue 16, part 5): the node leading the event queue is cut off from the
//! other two for 20 s while confirmed events and RPC calls go on, then the partition heals.
//!
//! The nodes run in network namespaces of their own (`porticus_tests::netns_cluster`); the
//! partition drops the traffic between the cut-off node and its two peers, both ways, while the
//! clients in the root namespace still reach all three nodes. The load is the cluster test's
//! (`porticus_tests::cluster_load`): every service and client lists the three nodes (`urls`),
//! requests and events go through quorum queues with three replicas. Subscriber instance A and
//! the emitter start on node a, so that node leads the event and request queues (leaders are
//! placed `client-local`) and is the one cut off; instance B is on node b, the caller on node c.
//!
//! What RabbitMQ should do, and what the test checks: the majority elects a new leader, the
//! minority node pauses itself (its `rabbit` application stops, closing its listener and its
//! client connections, which reconnect to the majority), and after the heal it resumes and
//! rejoins by itself. It prints `RESULT` lines (events confirmed, lost — must be 0 —,
//! duplicated; calls answered and failed, the longest time without an answer; when the leader
//! moved, when the minority paused, when it resumed and rejoined after the heal; the test's
//! duration). Durations are printed, never asserted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use porticus_tests::cluster_load::{
    blocking, configs, place, tally, Calls, Placed, Placement, Stream,
};
use porticus_tests::netns_cluster::NetnsCluster;

/// How long the node stays cut off.
const HOLD: Duration = Duration::from_secs(20);
/// More events than the run can emit: the stream is stopped once the cluster has healed.
const PLENTY: u64 = 10_000_000;

/// Polls `done` until it holds, or `deadline`; when it held, the time since `since`.
fn poll_until(since: Instant, deadline: Instant, done: impl Fn() -> bool) -> Option<Duration> {
    while Instant::now() < deadline {
        if done() {
            return Some(since.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// The longest stretch during which a counter did not grow, sampled every 50 ms.
#[derive(Debug, Clone, Copy)]
struct Silence {
    began: Instant,
    ended: Instant,
}

impl Silence {
    fn length(&self) -> Duration {
        self.ended - self.began
    }

    /// When it began and ended, in ms relative to `cut` and `heal` (negative: before).
    fn relative(&self, cut: Instant, heal: Instant) -> (i128, i128) {
        let ms = |at: Instant, from: Instant| {
            if at >= from {
                (at - from).as_millis() as i128
            } else {
                -((from - at).as_millis() as i128)
            }
        };
        (ms(self.began, cut), ms(self.ended, heal))
    }
}

/// Samples `counter` every 50 ms until `stop`; the longest stretch it did not grow.
fn watch(
    counter: impl Fn() -> u64 + Send + 'static,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Silence> {
    tokio::spawn(async move {
        let mut last = (counter(), Instant::now());
        let mut longest = Silence {
            began: last.1,
            ended: last.1,
        };
        while !stop.load(Ordering::Acquire) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let (value, now) = (counter(), Instant::now());
            if value != last.0 {
                if now - last.1 > longest.length() {
                    longest = Silence {
                        began: last.1,
                        ended: now,
                    };
                }
                last = (value, now);
            }
        }
        longest
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_minority_node_pauses_and_rejoins_and_no_event_is_lost() {
    let started = Instant::now();
    let cluster = blocking(NetnsCluster::start);
    let cluster_up = started.elapsed();
    let urls = cluster.urls();
    let (listen, client) = configs("partition", &urls);

    // Subscriber instance A and the emitter on node a, instance B on b, the caller on c.
    let at = Placement {
        subscribers: [0, 1],
        emitter: 0,
        caller: 2,
    };
    let Placed {
        counts,
        instances,
        emitter: (emitter, emitter_client),
        caller: (caller, caller_client),
    } = place("pt", &urls, (&listen, &client), at).await;

    let queue = format!("{}.ticks", listen.event_queue_prefix);
    let stream = Arc::new(Stream::new(PLENTY));
    let emitting = stream.start(emitter.clone());
    let calls = Arc::new(Calls::default());
    let calling = calls.start(caller.clone());
    let sampling_stop = Arc::new(AtomicBool::new(false));
    let answers = calls.clone();
    let call_silence = watch(
        move || answers.answered.load(Ordering::Acquire),
        sampling_stop.clone(),
    );
    let confirms = stream.clone();
    let publish_silence = watch(move || confirms.confirmed(), sampling_stop.clone());

    stream.until(1_000).await;
    let leader = blocking(|| cluster.leader_of(&queue, 1))
        .unwrap_or_else(|| panic!("queue `{queue}` has a leader"));
    let majority: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let mut on_cut_node = cluster.accepted_clients(leader);
    on_cut_node.retain(|name| !name.ends_with("(probe)"));
    on_cut_node.sort();
    on_cut_node.dedup();
    let accepted_by_majority = |cluster: &NetnsCluster| -> Vec<String> {
        majority
            .iter()
            .flat_map(|i| cluster.accepted_clients(*i))
            .collect()
    };
    let majority_before = accepted_by_majority(&cluster);
    eprintln!("cutting off node {leader} (leads `{queue}`), holding connections {on_cut_node:?}");
    let before_cut = stream.take_longest_pause();
    let started_to_cut = started.elapsed();

    let confirmed_at_cut = stream.confirmed();
    let cut_at = Instant::now();
    blocking(|| cluster.partition(leader));
    // Both watched at once, each with its own CLI calls, until the heal is due.
    let (leader_moved, paused) = blocking(|| {
        std::thread::scope(|s| {
            let moved = s.spawn(|| {
                poll_until(
                    cut_at,
                    cut_at + HOLD,
                    || matches!(cluster.leader_of(&queue, majority[0]), Some(l) if l != leader),
                )
            });
            let paused =
                s.spawn(|| poll_until(cut_at, cut_at + HOLD, || !cluster.is_running(leader)));
            (
                moved.join().expect("the leader poll does not panic"),
                paused.join().expect("the pause poll does not panic"),
            )
        })
    });
    let new_leader = blocking(|| cluster.leader_of(&queue, majority[0]));
    let majority_view = blocking(|| cluster.cluster_status(majority[0]));
    // Clients of the cut-off node that connected to a node of the majority since the cut.
    let majority_after = accepted_by_majority(&cluster);
    let moved_clients: Vec<&String> = on_cut_node
        .iter()
        .filter(|name| {
            let count = |list: &[String]| list.iter().filter(|n| n == name).count();
            count(&majority_after) > count(&majority_before)
        })
        .collect();
    eprintln!(
        "{:?} after the cut: leader moved {leader_moved:?}, node {leader} paused {paused:?}, clients moved {moved_clients:?}",
        cut_at.elapsed()
    );
    tokio::time::sleep(HOLD.saturating_sub(cut_at.elapsed())).await;
    let confirmed_during = stream.confirmed();
    let held = cut_at.elapsed();

    let healed_at = Instant::now();
    blocking(|| cluster.heal(leader));
    let resumed = blocking(|| {
        poll_until(healed_at, healed_at + Duration::from_secs(120), || {
            cluster.is_running(leader)
        })
    });
    let rejoined = blocking(|| {
        poll_until(healed_at, healed_at + Duration::from_secs(120), || {
            (0..3).all(|i| cluster.running_nodes(i).is_ok_and(|r| r == [0, 1, 2]))
        })
    });
    let rejoined = rejoined.unwrap_or_else(|| {
        panic!(
            "node {leader} did not rejoin within 120 s of the heal (resumed: {resumed:?}); its log:\n{}",
            cluster.log_tail(leader, 40)
        )
    });
    let answered_at_rejoin = calls.answered.load(Ordering::Acquire);
    let at = stream.confirmed();
    stream.until(at + 2_000).await;

    emitting.abort();
    let _ = emitting.await;
    calls.stop.store(true, Ordering::Release);
    calling.await.expect("the call loop does not panic");
    sampling_stop.store(true, Ordering::Release);
    let call_silence = call_silence.await.expect("the sampler does not panic");
    let publish_silence = publish_silence.await.expect("the sampler does not panic");
    let (call_silence_from_cut, call_silence_to_heal) = call_silence.relative(cut_at, healed_at);
    let (publish_silence_from_cut, publish_silence_to_heal) =
        publish_silence.relative(cut_at, healed_at);
    let confirmed = stream.confirmed();
    let (lost, duplicated) = tally(&counts, confirmed, Duration::from_secs(60)).await;
    let ready = instances.iter().filter(|s| s.is_ready()).count();
    let answered = calls.answered.load(Ordering::Acquire);
    let gaps: Vec<u128> = calls
        .gaps
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(Duration::as_millis)
        .collect();
    let ms = |d: Option<Duration>| d.map_or("none".to_owned(), |d| d.as_millis().to_string());
    let paused_log = blocking(|| cluster.log_lines(leader, "minority"));
    for line in &paused_log {
        eprintln!("node {leader} log: {line}");
    }

    println!(
        "RESULT test=partition handling=pause_minority cut_node={leader} cut_ms={} events={confirmed} events_during_partition={} lost={lost} duplicated={duplicated} emit_errors={} publish_pause_ms_before={} longest_without_confirm_ms={} it_began_ms_after_cut={publish_silence_from_cut} ended_ms_after_heal={publish_silence_to_heal}",
        held.as_millis(),
        confirmed_during - confirmed_at_cut,
        stream.errors.load(Ordering::Acquire),
        before_cut.as_millis(),
        publish_silence.length().as_millis(),
    );
    println!(
        "RESULT test=partition_rpc calls_answered={answered} calls_failed={} outages={} recovered_after_ms={gaps:?} longest_without_answer_ms={} it_began_ms_after_cut={call_silence_from_cut} ended_ms_after_heal={call_silence_to_heal} instances_ready={ready}/2",
        calls.failed.load(Ordering::Acquire),
        gaps.len(),
        call_silence.length().as_millis(),
    );
    println!(
        "RESULT test=partition_broker new_leader={new_leader:?} leader_moved_ms={} minority_paused_ms={} majority_view={majority_view:?} clients_moved={moved_clients:?} of_clients_on_cut_node={on_cut_node:?} minority_log_lines={} resumed_after_heal_ms={} rejoined_after_heal_ms={} cluster_start_ms={} cut_at_s={:.1} total_s={:.1}",
        ms(leader_moved),
        ms(paused),
        paused_log.len(),
        ms(resumed),
        rejoined.as_millis(),
        cluster_up.as_millis(),
        started_to_cut.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );

    assert_eq!(lost, 0, "every confirmed event is handled");
    assert!(
        paused.is_some(),
        "the cut-off node {leader} paused itself (pause_minority) within {HOLD:?}"
    );
    assert!(
        leader_moved.is_some() && new_leader.is_some_and(|l| l != leader),
        "the majority elected a new leader for `{queue}` ({new_leader:?})"
    );
    assert_eq!(
        ready, 2,
        "both subscriber instances serve on, never restarted"
    );
    assert!(
        calls.answered.load(Ordering::Acquire) > answered_at_rejoin,
        "calls are answered after the cluster healed"
    );

    emitter.close();
    caller.close();
    emitter_client.close().await;
    caller_client.close().await;
    for instance in instances {
        let _ = tokio::time::timeout(Duration::from_secs(10), instance.shutdown()).await;
    }
    blocking(|| drop(cluster));
    println!(
        "RESULT test=partition_duration total_s={:.1}",
        started.elapsed().as_secs_f64()
    );
}
