//! Gateways started from configuration (`[[listen]] type = "socketio"` beside an AMQP listener
//! in `broadcast` event mode) push events other services emit over RabbitMQ to the real
//! Node.js `socket.io-client`: one gateway, then two instances — each client gets the event
//! once. Metrics show the sockets on the admin endpoint.

use porticus::config::{
    AdminConfig, Config, EventMode, ListenConfig, SocketIoConfig, SocketIoListenConfig,
};
use porticus::transport::amqp::AmqpClient;
use porticus::{Node, Server};
use porticus_tests::harness::{amqp_configs, broker_down, listening, unique_prefix};
use porticus_tests::scrape;
use porticus_tests::socketio::Clients;
use serde_json::json;

/// A gateway instance of service `gateway`: AMQP listener (broadcast events) + Socket.IO
/// listener, `[socketio] events = ["role:order"]`, any socket may follow orders.
async fn gateway(prefix: &str, admin: bool) -> (Server, String) {
    let (mut listen, _) = amqp_configs(prefix);
    listen.pin = "role:gateway-ping".into();
    listen.event_mode = EventMode::Broadcast;
    let mut config: Config = listening("gateway", listen);
    let mut socketio = SocketIoListenConfig::default();
    socketio.bind = "127.0.0.1:0".into();
    config.listen.push(ListenConfig::SocketIo(socketio));
    let mut settings = SocketIoConfig::default();
    settings.events = vec!["role:order".into()];
    settings.subscribe = vec!["role:order".into()];
    config.socketio = settings;
    if admin {
        let mut ops = AdminConfig::default();
        ops.bind = Some("127.0.0.1:0".into());
        config.admin = ops;
    }
    let node = Node::builder()
        .without_registered()
        .config(&config)
        .build()
        .expect("builds");
    let server = node
        .start(&config)
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let url = server
        .addresses()
        .into_iter()
        .find_map(|a| a.strip_suffix("/socket.io").map(str::to_owned))
        .expect("a socket.io listener");
    (server, url)
}

/// A service with no handlers that emits through a catch-all AMQP client.
async fn shop(prefix: &str) -> Node {
    let (_, client) = amqp_configs(prefix);
    let amqp = AmqpClient::new(&client, "shop").expect("valid config");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    Node::builder()
        .name("shop")
        .without_registered()
        .client("", amqp)
        .build()
        .expect("builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_receives_an_event_another_service_emitted_over_amqp() {
    let prefix = unique_prefix("sio-amqp");
    let (server, url) = gateway(&prefix, true).await;
    let shop = shop(&prefix).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateway_instances_each_push_every_event_once() {
    let prefix = unique_prefix("sio-two");
    let (first, first_url) = gateway(&prefix, false).await;
    let (second, second_url) = gateway(&prefix, false).await;
    let shop = shop(&prefix).await;
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
