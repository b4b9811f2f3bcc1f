//! Two gateway instances (`[[listen]] type = "socketio"` beside an AMQP listener in
//! `broadcast` event mode): a client on each receives an event another service emitted over
//! RabbitMQ exactly once.

use porticus_tests::socketio::{amqp_emitter, amqp_gateway, Clients};
use serde_json::json;

use porticus_tests::harness::unique_prefix;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateway_instances_each_push_every_event_once() {
    let prefix = unique_prefix("sio-two");
    let (first, first_url) = amqp_gateway(&prefix, false).await;
    let (second, second_url) = amqp_gateway(&prefix, false).await;
    let shop = amqp_emitter(&prefix).await;
    let mut clients = Clients::start().await;
    for (id, url) in [("one", &first_url), ("two", &second_url)] {
        clients.connect(id, url, json!({})).await.expect("connects");
        let reply = clients.subscribe(id, json!("role:order")).await;
        assert!(reply["subscriptions"].is_array(), "{reply}");
    }
    shop.emit(json!({"role": "order", "event": "shipped", "order": 1}))
        .await
        .expect("emits");
    shop.emit(json!({"role": "order", "event": "marker"}))
        .await
        .expect("emits");
    for id in ["one", "two"] {
        for event in ["shipped", "marker"] {
            let step = porticus_tests::socketio::STEP;
            clients
                .wait(
                    |v| v["id"] == id && v["type"] == "event" && v["data"]["event"] == event,
                    step,
                )
                .await;
        }
        // One more round trip on the socket, for a late copy to show.
        clients.subscribe(id, json!("role:order,event:x")).await;
    }
    let copies = |clients: &mut Clients, id: &'static str| {
        clients.saw(move |v| v["id"] == id && v["type"] == "event")
    };
    assert!(
        !copies(&mut clients, "one") && !copies(&mut clients, "two"),
        "a second copy"
    );
    println!("RESULT two gateway instances: each client got the event exactly once");
    first.shutdown().await.expect("shuts down");
    second.shutdown().await.expect("shuts down");
}
