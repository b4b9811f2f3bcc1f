//! A gateway started from configuration (`[[listen]] type = "socketio"` beside an AMQP listener
//! in `broadcast` event mode) pushes events another service emits over RabbitMQ to the real
//! Node.js `socket.io-client`; metrics show the sockets on the admin endpoint (alone in this
//! test binary, so that no other test's sockets count in them).

use porticus_tests::harness::unique_prefix;
use porticus_tests::scrape;
use porticus_tests::socketio::{amqp_emitter, amqp_gateway, Clients};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_receives_an_event_another_service_emitted_over_amqp() {
    let prefix = unique_prefix("sio-amqp");
    let (server, url) = amqp_gateway(&prefix, true).await;
    let shop = amqp_emitter(&prefix).await;
    let mut clients = Clients::start().await;
    clients
        .connect("a", &url, json!({}))
        .await
        .expect("connects");
    let reply = clients
        .subscribe("a", json!("role:order,event:shipped"))
        .await;
    assert!(reply["subscriptions"].is_array(), "{reply}");

    shop.emit(json!({"role": "order", "event": "paid", "order": 7}))
        .await
        .expect("emits");
    shop.emit(json!({"role": "order", "event": "shipped", "order": 7}))
        .await
        .expect("emits");
    let event = clients.event("a").await;
    assert_eq!(
        event,
        json!({"role": "order", "event": "shipped", "order": 7})
    );
    assert!(!clients.saw(|v| v["type"] == "event" && v["data"]["event"] == "paid"));

    let admin = server.admin_address().expect("an admin endpoint");
    let page = scrape::text(admin).await;
    let service = "service=\"gateway\"";
    let connections = scrape::sample(&page, "porticus_socketio_connections", &[service]);
    assert_eq!(connections, Some(1.0), "{page}");
    let pushed = scrape::sample(&page, "porticus_socketio_events_pushed_total", &[service]);
    assert!(pushed >= Some(1.0), "{page}");
    let acts = scrape::sample(
        &page,
        "porticus_socketio_acts_total",
        &["outcome=\"forbidden\""],
    );
    assert_eq!(acts, Some(0.0), "{page}");
    assert_eq!(
        scrape::sample(
            &page,
            "porticus_socketio_disconnects_total",
            &["reason=\"slow_client\""]
        ),
        Some(0.0)
    );
    server.shutdown().await.expect("shuts down");
    let reason = clients
        .disconnected("a", porticus_tests::socketio::STEP)
        .await;
    println!("RESULT gateway shut down: client disconnected ({reason})");
}
