//! The metrics of events and broker connections, over the real RabbitMQ: events emitted and
//! handled by subscription pattern and outcome, a redelivery and a dead letter, the event
//! queue's backlog, server-side acts labelled with the transport they came over, connections
//! up, a reconnection after the broker closed them, and publisher confirm latencies — on a
//! page `promtool` accepts. (A file of its own: the recorder is one per process.)

use std::net::SocketAddr;
use std::time::Duration;

use porticus::{ActError, Node};
use porticus_tests::broker::{close_connections_named, Broker};
use porticus_tests::harness::{amqp_caller, amqp_configs, broker_down, listening, unique_prefix};
use porticus_tests::scrape::{promtool, sample, text};
use serde_json::{json, Value};

const TICKS: u64 = 20;

/// Scrapes until `sample(name, labels)` reaches `at_least`, or 15 s pass; returns the page.
async fn until(admin: SocketAddr, name: &str, labels: &[&str], at_least: f64) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let page = text(admin).await;
        let reached = sample(&page, name, labels).is_some_and(|v| v >= at_least);
        if reached || tokio::time::Instant::now() >= deadline {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_connections_and_confirms_are_counted_over_amqp() {
    let prefix = unique_prefix("metrics");
    let (mut listen, client) = amqp_configs(&prefix);
    listen.pin = "role:ledger".into();
    listen.event_max_attempts = 2;
    // The listener waits a second before it reconnects, so that its outage outlasts the
    // watchdog's 250 ms look: lapin does not report every drop as an event (a broker's
    // connection.close goes straight to recovery), and a shorter outage can go unseen.
    listen.reconnect_min_ms = 1_000;
    listen.reconnect_max_ms = 1_000;
    let mut config = listening("ledger", listen);
    config.admin.bind = Some("127.0.0.1:0".into());
    config.admin.drain_delay_ms = 0;
    let ledger = Node::builder()
        .name("ledger")
        .without_registered()
        .add("role:ledger,cmd:get", |_: Value| async {
            Ok::<_, ActError>(json!({"balance": 3}))
        })
        .subscribe("event:tick", |_: Value| async { Ok::<_, ActError>(()) })
        .subscribe("event:broken", |_: Value| async {
            Err::<(), _>(ActError::execute("the ledger is broken"))
        })
        .build()
        .expect("the ledger builds");
    let server = ledger
        .start(&config)
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let admin = server.admin_address().expect("an admin endpoint");
    let caller_name = format!("caller-{prefix}");
    let (caller, amqp) = amqp_caller(&client, &caller_name, "").await;

    for n in 0..TICKS {
        caller
            .emit(json!({"event": "tick", "n": n}))
            .await
            .expect("a confirmed emit");
    }
    caller
        .emit(json!({"event": "broken"}))
        .await
        .expect("a confirmed emit");
    let reply = caller
        .act(json!({"role": "ledger", "cmd": "get"}))
        .await
        .expect("the ledger answers");
    assert_eq!(reply, json!({"balance": 3}));

    // The broken event: two attempts (one a redelivery), then the dead letters.
    let dead = [r#"transport="amqp""#, r#"reason="exhausted""#];
    let page = until(admin, "porticus_events_dead_lettered_total", &dead, 1.0).await;
    let value = |name: &str, labels: &[&str]| sample(&page, name, labels);
    assert_eq!(
        value("porticus_events_dead_lettered_total", &dead),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        value(
            "porticus_events_dead_lettered_total",
            &[r#"reason="permanent""#]
        ),
        Some(0.0),
        "every reason is shown, at zero when none: {page}"
    );
    assert!(
        value(
            "porticus_events_redelivered_total",
            &[r#"transport="amqp""#]
        )
        .is_some_and(|v| v >= 1.0),
        "{page}"
    );
    let handled = |pattern: &str, outcome: &str| {
        value(
            "porticus_events_handled_total",
            &[
                &format!(r#"pattern="{pattern}""#),
                r#"side="server""#,
                r#"transport="amqp""#,
                &format!(r#"outcome="{outcome}""#),
            ],
        )
    };
    assert_eq!(handled("event:tick", "ok"), Some(TICKS as f64), "{page}");
    assert_eq!(handled("event:broken", "act_execute"), Some(2.0), "{page}");
    assert_eq!(
        value(
            "porticus_events_emitted_total",
            &[
                r#"pattern="(any)""#,
                r#"transport="amqp""#,
                r#"outcome="ok""#
            ]
        ),
        Some(TICKS as f64 + 1.0),
        "{page}"
    );
    // The act the listener served is labelled with the transport it came over.
    assert_eq!(
        value(
            "porticus_acts_total",
            &[
                r#"pattern="cmd:get,role:ledger""#,
                r#"side="server""#,
                r#"transport="amqp""#,
                r#"outcome="ok""#
            ]
        ),
        Some(1.0),
        "{page}"
    );
    assert!(
        value(
            "porticus_publish_confirm_seconds_count",
            &[r#"transport="amqp""#]
        )
        .is_some_and(|n| n >= TICKS as f64),
        "{page}"
    );
    for role in ["listener", "client"] {
        let up = [
            r#"transport="amqp""#,
            &format!(r#"role="{role}""#) as &str,
            r#"state="up""#,
        ];
        assert_eq!(
            value("porticus_transport_connections", &up),
            Some(1.0),
            "{page}"
        );
    }
    let reconnects = [r#"transport="amqp""#, r#"role="listener""#];
    assert_eq!(
        value("porticus_transport_reconnects_total", &reconnects),
        Some(0.0),
        "{page}"
    );
    let backlog = [r#"transport="amqp""#];
    let page = until(admin, "porticus_event_backlog", &backlog, 0.0).await;
    assert_eq!(
        sample(&page, "porticus_event_backlog", &backlog),
        Some(0.0),
        "{page}"
    );
    assert_eq!(promtool(&page), None, "promtool check metrics");

    // The broker closes the listener's connection: down, then up again, one reconnection.
    assert!(
        close_connections_named(ledger.instance()) >= 1,
        "the listener's connection closed"
    );
    let page = until(
        admin,
        "porticus_transport_reconnects_total",
        &reconnects,
        1.0,
    )
    .await;
    assert_eq!(
        sample(&page, "porticus_transport_reconnects_total", &reconnects),
        Some(1.0),
        "{page}"
    );
    let page = until(
        admin,
        "porticus_transport_connections",
        &[r#"role="listener""#, r#"state="up""#],
        1.0,
    )
    .await;
    let state = |s: &str| {
        sample(
            &page,
            "porticus_transport_connections",
            &[r#"role="listener""#, &format!(r#"state="{s}""#)],
        )
    };
    assert_eq!(
        (state("up"), state("down")),
        (Some(1.0), Some(0.0)),
        "{page}"
    );

    amqp.close().await;
    ledger.close();
    Broker::connect().await.cleanup(&prefix).await;
}
