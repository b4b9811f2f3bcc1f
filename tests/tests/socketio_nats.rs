//! A gateway whose events come from NATS JetStream (`[[listen]] type = "nats"`, `broadcast`
//! event mode, beside `[[listen]] type = "socketio"`) pushes an event another service emitted
//! to the real Node.js `socket.io-client` subscribed to it.

use porticus::config::{EventMode, NatsCredentials};
use porticus::transport::nats::NatsClient;
use porticus::Node;
use porticus_tests::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Jet, Names};
use porticus_tests::socketio::{order_gateway, Clients};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_receives_an_event_another_service_emitted_over_nats() {
    let names = Names::new("sio");
    Jet::connect(&nats_url()).await.sweep().await;
    let (mut listen, mut client) = nats_configs(&names, &nats_url());
    listen.pin = "role:gateway-ping".into();
    listen.event_mode = EventMode::Broadcast;
    let (server, url) = order_gateway(nats_listening("gateway", listen), nats_down).await;

    client.pin = String::new();
    let nats = NatsClient::new(&client, &NatsCredentials::default(), "shop").expect("valid config");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    let shop = Node::builder()
        .name("shop")
        .without_registered()
        .client("", nats)
        .build()
        .expect("builds");

    let mut clients = Clients::start().await;
    clients
        .connect("a", &url, json!({}))
        .await
        .expect("connects");
    let reply = clients
        .subscribe("a", json!("role:order,event:shipped"))
        .await;
    assert!(reply["subscriptions"].is_array(), "{reply}");
    shop.emit(json!({"role": "order", "event": "shipped", "order": 9}))
        .await
        .expect("emits");
    assert_eq!(
        clients.event("a").await,
        json!({"role": "order", "event": "shipped", "order": 9})
    );
    server.shutdown().await.expect("shuts down");
}
