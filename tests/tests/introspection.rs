//! The built-in introspection actions, `role:porticus,service:<name>,cmd:ping|info|stats`:
//! in-process, over HTTP (also from a stock Seneca.js client), over AMQP and over NATS, where
//! each listener binds them by itself and each service answers only for its own name.

use porticus::config::{Config, HttpClientConfig, NatsCredentials};
use porticus::transport::amqp::AmqpClient;
use porticus::transport::http::HttpClient;
use porticus::transport::nats::NatsClient;
use porticus::{ActError, Code, Node, Server};
use porticus_tests::harness::{amqp_configs, broker_down, listening, serve_http, unique_prefix};
use porticus_tests::interop;
use porticus_tests::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Names};
use serde_json::{json, Value};

fn ask(service: &str, cmd: &str) -> Value {
    json!({"role": "porticus", "service": service, "cmd": cmd})
}

/// The stats entry of `pattern` among `stats.acts`.
fn act_stats<'a>(stats: &'a Value, pattern: &str) -> &'a Value {
    stats["acts"]
        .as_array()
        .expect("acts is a list")
        .iter()
        .find(|a| a["pattern"] == pattern)
        .unwrap_or_else(|| panic!("no stats for `{pattern}` in {stats}"))
}

/// A service with one action `role:<name>,cmd:*` that echoes, or fails with
/// `card_declined` when asked `cmd:fail`.
fn service(name: &str, config: &Config) -> Node {
    Node::builder()
        .without_registered()
        .config(config)
        .version("9.9.9")
        .add(&format!("role:{name},cmd:*"), |m: Value| async move {
            if m["cmd"] == "fail" {
                return Err(ActError::new(
                    Code::new("card_declined"),
                    "card was declined",
                ));
            }
            Ok(json!({ "echo": m["cmd"] }))
        })
        .build()
        .expect("the service builds")
}

/// Acts three times on `role:<name>` through `caller` (two successes, one `card_declined`),
/// then checks `stats` through the same caller shows them.
async fn acts_show_in_stats(caller: &Node, name: &str) {
    let pattern = format!("cmd:*,role:{name}");
    let before = caller.act(ask(name, "stats")).await.expect("stats answers");
    let count = |stats: &Value| act_stats(stats, &pattern)["count"].as_u64().unwrap_or(0);
    let declined = |stats: &Value| {
        act_stats(stats, &pattern)["errors"]["card_declined"]
            .as_u64()
            .unwrap_or(0)
    };
    for cmd in ["a", "b"] {
        caller
            .act(json!({"role": name, "cmd": cmd}))
            .await
            .expect("the action answers");
    }
    let err = caller
        .act(json!({"role": name, "cmd": "fail"}))
        .await
        .expect_err("fails on purpose");
    assert_eq!(err.code().as_str(), "card_declined", "{err}");
    let after = caller.act(ask(name, "stats")).await.expect("stats answers");
    assert_eq!(after["service"], name, "{after}");
    assert_eq!(count(&after), count(&before) + 3, "{after}");
    assert_eq!(declined(&after), declined(&before) + 1, "{after}");
    let entry = act_stats(&after, &pattern);
    assert!(entry["p50_ms"].as_f64().is_some(), "{entry}");
    assert!(
        entry["p99_ms"].as_f64() >= entry["p50_ms"].as_f64(),
        "{entry}"
    );
    assert_eq!(entry["in_flight"], 0, "{entry}");
    // The first stats act was counted under the built-in pattern; this one is in flight.
    let own = act_stats(&after, &format!("role:porticus,service:{name}"));
    assert!(own["count"].as_u64() >= Some(1), "{own}");
    assert_eq!(own["in_flight"], 1, "{own}");
}

/// `ping` through `caller` names `node`.
async fn pings(caller: &Node, node: &Node) {
    let pong = caller
        .act(ask(node.name(), "ping"))
        .await
        .expect("ping answers");
    assert_eq!(pong["service"], node.name(), "{pong}");
    assert_eq!(pong["instance"], node.instance(), "{pong}");
    assert_eq!(pong["version"]["app"], "9.9.9", "{pong}");
    assert!(pong["version"]["porticus"].is_string(), "{pong}");
    assert!(pong["uptime_ms"].is_u64(), "{pong}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_ping_info_stats_and_errors() {
    let mut config = Config::from_toml_str(
        "[service]\nname = \"calc\"\n[nats]\npassword = \"hunter2\"\n[app]\napi_key = \"hunter2\"\n",
    )
    .expect("a valid config");
    config.service.name = "calc".into();
    let node = service("calc", &config);
    pings(&node, &node).await;

    let info = node.act(ask("calc", "info")).await.expect("info answers");
    assert_eq!(info["service"], "calc");
    let actions = info["actions"].as_array().expect("a list");
    let echo = actions
        .iter()
        .find(|a| a["pattern"] == "cmd:*,role:calc")
        .unwrap_or_else(|| panic!("the action is listed: {info}"));
    assert_eq!(echo["kind"], "action");
    assert_eq!(echo["input"], "serde_json::value::Value", "{echo}");
    assert!(
        echo["location"]
            .as_str()
            .unwrap_or("")
            .contains("introspection.rs"),
        "{echo}"
    );
    assert!(echo.get("builtin").is_none(), "{echo}");
    let builtin: Vec<&Value> = actions.iter().filter(|a| a["builtin"] == true).collect();
    assert_eq!(builtin.len(), 1, "{info}");
    assert_eq!(
        builtin[0]["pattern"], "role:porticus,service:calc",
        "{info}"
    );
    assert_eq!(info["introspection"], "role:porticus,service:calc");
    // The configuration, without its secrets.
    assert_eq!(info["config"]["service"]["name"], "calc", "{info}");
    assert_eq!(info["config"]["app"], json!(["api_key"]), "{info}");
    assert!(!info.to_string().contains("hunter2"), "{info}");
    assert_eq!(info["listeners"], json!([]));

    acts_show_in_stats(&node, "calc").await;
    // An act no route matches is counted, under no pattern of its own.
    let before = node.act(ask("calc", "stats")).await.expect("stats");
    let err = node
        .act(json!({"role": "nobody", "secret": "s1"}))
        .await
        .expect_err("nothing matches");
    assert_eq!(*err.code(), Code::ACT_NOT_FOUND);
    let after = node.act(ask("calc", "stats")).await.expect("stats");
    assert_eq!(
        after["not_found"].as_u64(),
        before["not_found"].as_u64().map(|n| n + 1),
        "{after}"
    );
    assert!(!after.to_string().contains("nobody"), "{after}");

    // A bad command names itself; another service's name is not this node's business.
    let bogus = node
        .act(ask("calc", "bogus"))
        .await
        .expect_err("unknown command");
    assert_eq!(*bogus.code(), Code::ACT_INVALID_MSG);
    assert_eq!(
        bogus.message(),
        "unknown introspection command `bogus` for service `calc`: expected one of ping, info, stats, schema"
    );
    let missing = node
        .act(json!({"role": "porticus", "service": "calc"}))
        .await
        .expect_err("no command");
    assert!(missing.message().contains("needs a `cmd`"), "{missing}");
    let other = node
        .act(ask("someone-else", "ping"))
        .await
        .expect_err("not ours");
    assert_eq!(*other.code(), Code::ACT_NOT_FOUND);
    // The built-in actions are not the application's patterns.
    assert_eq!(node.patterns(), ["cmd:*,role:calc"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_counted_per_subscription_with_their_outcome() {
    let (seen, mut events) = tokio::sync::mpsc::unbounded_channel();
    let node = Node::builder()
        .without_registered()
        .name("ledger")
        .subscribe("event:paid", move |ev: Value| {
            let seen = seen.clone();
            async move {
                seen.send(()).ok();
                if ev["amount"] == 0 {
                    return Err(ActError::new(Code::new("zero_amount"), "nothing paid"));
                }
                Ok(())
            }
        })
        .build()
        .expect("builds");
    node.emit(json!({"event": "paid", "amount": 3}))
        .await
        .expect("emitted");
    node.emit(json!({"event": "paid", "amount": 0}))
        .await
        .expect("emitted");
    events.recv().await.expect("handled");
    events.recv().await.expect("handled");
    // The subscriber reports after its handler returned: wait for the counters to show both.
    let stats = loop {
        let stats = node.act(ask("ledger", "stats")).await.expect("stats");
        if stats["events"]["handled"][0]["count"] == 2 {
            break stats;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(stats["events"]["emitted"], 2, "{stats}");
    let paid = &stats["events"]["handled"][0];
    assert_eq!(paid["pattern"], "event:paid", "{stats}");
    assert_eq!(paid["ok"], 1, "{stats}");
    assert_eq!(paid["errors"], json!({"zero_amount": 1}), "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_with_a_client_pinned_to_the_service() {
    let mut config = Config::default();
    config.service.name = "web-calc".into();
    let node = service("web-calc", &config);
    let url = serve_http(&node, Default::default()).await;
    let mut client = HttpClientConfig::default();
    client.url = url;
    let caller = Node::builder()
        .without_registered()
        .name("operator")
        .client(
            "role:porticus,service:web-calc",
            HttpClient::new(&client).expect("a valid url"),
        )
        .client(
            "role:web-calc",
            HttpClient::new(&client).expect("a valid url"),
        )
        .build()
        .expect("builds");
    pings(&caller, &node).await;
    let info = caller
        .act(ask("web-calc", "info"))
        .await
        .expect("info answers");
    assert_eq!(info["service"], "web-calc");
    assert!(
        info["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["pattern"] == "cmd:*,role:web-calc")),
        "{info}"
    );
    acts_show_in_stats(&caller, "web-calc").await;
    // The caller counted the same acts on its client route.
    let own = caller
        .act(ask("operator", "stats"))
        .await
        .expect("the caller answers for itself");
    let client_route = act_stats(&own, "role:web-calc");
    assert_eq!(client_route["transport"], "http", "{own}");
    assert_eq!(client_route["count"], 3, "{own}");
    assert_eq!(client_route["errors"], json!({"card_declined": 1}), "{own}");
    let bogus = caller
        .act(ask("web-calc", "bogus"))
        .await
        .expect_err("unknown command");
    assert_eq!(*bogus.code(), Code::ACT_INVALID_MSG, "{bogus}");
    assert!(bogus.message().contains("`bogus`"), "{bogus}");
    node.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seneca_client_pings_over_http() {
    let mut config = Config::default();
    config.service.name = "seneca-calc".into();
    let node = service("seneca-calc", &config);
    let url = serve_http(&node, Default::default()).await;
    let port = url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/act")
        .to_owned();
    let lines = tokio::task::spawn_blocking(move || {
        interop::run(
            "seneca-http-client.js",
            &[
                &port,
                "role:porticus",
                r#"{"role":"porticus","cmd":"ping","service":"seneca-calc"}"#,
                r#"{"role":"porticus","cmd":"stats","service":"seneca-calc"}"#,
            ],
        )
    })
    .await
    .expect("the node client ran");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["ok"], true, "{lines:?}");
    assert_eq!(lines[0]["res"]["service"], "seneca-calc", "{lines:?}");
    assert_eq!(lines[0]["res"]["instance"], node.instance(), "{lines:?}");
    // The ping counted; the stats act itself still in flight.
    let own = act_stats(&lines[1]["res"], "role:porticus,service:seneca-calc");
    assert_eq!(own["count"], 1, "{lines:?}");
    assert_eq!(own["in_flight"], 1, "{lines:?}");
    node.close();
}

async fn start(node: &Node, config: &Config, down: fn(&dyn std::fmt::Display) -> String) -> Server {
    node.start(config)
        .await
        .unwrap_or_else(|e| panic!("{}", down(&e)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_amqp_two_services_on_one_broker_each_answer_for_themselves() {
    let prefix = unique_prefix("intro");
    let (listen, client) = amqp_configs(&prefix);
    // `billing` serves its pin; `audit` has no pin at all: a queue for introspection alone.
    let mut billing_listen = listen.clone();
    billing_listen.pin = "role:billing,cmd:*".into();
    let billing_config = listening("billing", billing_listen);
    let audit_config = listening("audit", listen);
    let billing = service("billing", &billing_config);
    let audit = service("audit", &audit_config);
    let billing_server = start(&billing, &billing_config, broker_down).await;
    let audit_server = start(&audit, &audit_config, broker_down).await;

    let amqp = |pin: &str| {
        let mut client = client.clone();
        client.pin = pin.to_owned();
        AmqpClient::new(&client, &format!("operator-{prefix}")).expect("valid client config")
    };
    let caller = Node::builder()
        .without_registered()
        .name("operator")
        .client(
            "role:porticus,service:billing",
            amqp("role:porticus,service:billing"),
        )
        .client(
            "role:porticus,service:audit",
            amqp("role:porticus,service:audit"),
        )
        .client(
            "role:porticus,service:nobody",
            amqp("role:porticus,service:nobody"),
        )
        .client("role:billing,cmd:*", amqp("role:billing,cmd:*"))
        .build()
        .expect("builds");

    pings(&caller, &billing).await;
    pings(&caller, &audit).await;
    acts_show_in_stats(&caller, "billing").await;

    let info = caller.act(ask("billing", "info")).await.expect("info");
    let listeners = info["listeners"].as_array().expect("a list");
    assert_eq!(listeners.len(), 1, "{info}");
    assert_eq!(listeners[0]["transport"], "amqp", "{info}");
    assert_eq!(
        listeners[0]["pins"],
        json!(["role:billing,cmd:*", "role:porticus,service:billing"]),
        "{info}"
    );
    assert!(
        info["config"]["listen"][0]["url"]
            .as_str()
            .is_some_and(|u| !u.contains(":guest@")),
        "the password is masked: {info}"
    );
    let audit_info = caller.act(ask("audit", "info")).await.expect("info");
    assert_eq!(audit_info["service"], "audit");
    assert!(
        audit_info["listeners"][0]["address"]
            .as_str()
            .is_some_and(|a| a.contains(".add.role:porticus.service:audit")),
        "{audit_info}"
    );

    // Nobody bound `service:nobody`: the broker says so at once.
    let err = caller
        .act(ask("nobody", "ping"))
        .await
        .expect_err("no such service");
    assert_eq!(*err.code(), Code::NO_ROUTE, "{err}");

    let bogus = caller
        .act(ask("audit", "bogus"))
        .await
        .expect_err("unknown command");
    assert_eq!(*bogus.code(), Code::ACT_INVALID_MSG, "{bogus}");

    billing_server.shutdown().await.expect("billing stops");
    audit_server.shutdown().await.expect("audit stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_nats_two_services_each_answer_for_themselves() {
    let names = Names::new("intro");
    let (listen, client) = nats_configs(&names, &nats_url());
    let mut orders_listen = listen.clone();
    orders_listen.pin = "role:orders,cmd:*".into();
    let orders_config = nats_listening("orders", orders_listen);
    let stock_config = nats_listening("stock", listen);
    let orders = service("orders", &orders_config);
    let stock = service("stock", &stock_config);
    let orders_server = start(&orders, &orders_config, nats_down).await;
    let stock_server = start(&stock, &stock_config, nats_down).await;

    let nats = |pin: &str| {
        let mut client = client.clone();
        client.pin = pin.to_owned();
        NatsClient::new(&client, &NatsCredentials::default(), "operator")
            .expect("valid client config")
    };
    let caller = Node::builder()
        .without_registered()
        .name("operator")
        .client(
            "role:porticus,service:orders",
            nats("role:porticus,service:orders"),
        )
        .client(
            "role:porticus,service:stock",
            nats("role:porticus,service:stock"),
        )
        .client(
            "role:porticus,service:nobody",
            nats("role:porticus,service:nobody"),
        )
        .client("role:orders,cmd:*", nats("role:orders,cmd:*"))
        .build()
        .expect("builds");

    pings(&caller, &orders).await;
    pings(&caller, &stock).await;
    acts_show_in_stats(&caller, "orders").await;
    let info = caller.act(ask("stock", "info")).await.expect("info");
    assert_eq!(info["service"], "stock");
    assert_eq!(info["listeners"][0]["transport"], "nats", "{info}");
    assert_eq!(
        info["listeners"][0]["pins"],
        json!(["role:porticus,service:stock"]),
        "{info}"
    );
    let err = caller
        .act(ask("nobody", "ping"))
        .await
        .expect_err("no such service");
    assert_eq!(*err.code(), Code::NO_ROUTE, "{err}");

    orders_server.shutdown().await.expect("orders stops");
    stock_server.shutdown().await.expect("stock stops");
}
