//! The gateway (`porticus::gateway`, feature `gateway`) over real HTTP on 127.0.0.1: routes
//! from configuration, the merge of query, body, path and pattern, the status of each success
//! and error, and the refusals of bad requests — after each of which it keeps serving.

use std::net::SocketAddr;
use std::time::Duration;

use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::{ActError, Code, Node};
use serde_json::{json, Value};

const CONFIG: &str = r#"
[gateway]
bind = "127.0.0.1:0"
max_body_bytes = 1024
timeout_ms = 300
errors = { card_declined = 402, overloaded = 429 }

[[route]]
method = "GET"
path = "/echo/{id}"
pattern = "role:echo,cmd:get"

[[route]]
method = "POST"
path = "/echo/{id}"
pattern = "role:echo,cmd:post"
status = 201

[[route]]
method = "DELETE"
path = "/things/{id}"
pattern = "role:echo,cmd:delete"
status = 204

[[route]]
method = "POST"
path = "/fail/{code}"
pattern = "role:fail"

[[route]]
method = "POST"
path = "/missing"
pattern = "role:nobody"

[[route]]
method = "GET"
path = "/slow"
pattern = "role:slow"
"#;

/// A node that echoes `role:echo`, fails `role:fail` with the code it is given, and answers
/// `role:slow` after 5 s; the gateway of [`CONFIG`] serving it.
async fn serve() -> (SocketAddr, Node) {
    let node = Node::builder()
        .without_registered()
        .add(
            "role:echo",
            |msg: Value| async move { Ok::<_, ActError>(msg) },
        )
        .add("role:fail", |msg: Value| async move {
            let code = msg["code"].as_str().unwrap_or_default().to_owned();
            Err::<Value, _>(ActError::new(Code::new(code), "failed on purpose"))
        })
        .add("role:slow", |_: Value| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, ActError>(json!("late"))
        })
        .build()
        .expect("the node builds");
    let config = Config::from_toml_str(CONFIG).expect("the config parses");
    let gateway = Gateway::from_config(&config).expect("the routes are valid");
    let (addr, _task) = gateway.start(node.clone()).await.expect("bind 127.0.0.1");
    (addr, node)
}

/// The status, the headers and the body (JSON, `null` when empty) of a request.
async fn call(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let reply = request.send().await.expect("the gateway answers");
    let status = reply.status().as_u16();
    let headers = reply.headers().clone();
    let body = reply.text().await.expect("a body");
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
    };
    (status, headers, json)
}

fn post_json(addr: SocketAddr, path: &str, body: impl Into<String>) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(body.into())
}

/// The gateway still answers a good request.
async fn still_serving(addr: SocketAddr) {
    let (status, _, reply) =
        call(reqwest::Client::new().get(format!("http://{addr}/echo/ok"))).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply, json!({"role": "echo", "cmd": "get", "id": "ok"}));
}

#[tokio::test]
async fn query_then_body_then_path_then_pattern() {
    let (addr, _node) = serve().await;
    let body = json!({"b": "body", "id": "body", "role": "body", "cmd": "body", "n": 1});
    let (status, _, reply) = call(post_json(
        addr,
        "/echo/path?a=query&b=query&id=query&role=query&x=1&x=2",
        body.to_string(),
    ))
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(
        reply,
        json!({"a": "query", "b": "body", "id": "path", "role": "echo", "cmd": "post", "n": 1,
            "x": ["1", "2"]})
    );
}

#[tokio::test]
async fn client_directives_are_dropped() {
    let (addr, _node) = serve().await;
    let body = json!({"default$": {"answer": 42}, "tx$": "mine", "keep": true});
    let (status, _, reply) = call(post_json(addr, "/echo/d", body.to_string())).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(
        reply,
        json!({"role": "echo", "cmd": "post", "id": "d", "keep": true})
    );
    // Without `default$`, an act no action matches is still an error.
    let (status, _, reply) = call(post_json(addr, "/missing", body.to_string())).await;
    assert_eq!(status, 404, "{reply}");
    assert_eq!(reply["code"], "act_not_found", "{reply}");
}

#[tokio::test]
async fn each_route_answers_its_success_status() {
    let (addr, _node) = serve().await;
    still_serving(addr).await;
    let (status, _, reply) = call(post_json(addr, "/echo/1", "")).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply, json!({"role": "echo", "cmd": "post", "id": "1"}));
    let (status, _, reply) =
        call(reqwest::Client::new().delete(format!("http://{addr}/things/7"))).await;
    assert_eq!(status, 204);
    assert_eq!(reply, Value::Null, "no body with 204");
}

#[tokio::test]
async fn error_codes_get_the_configured_or_the_transport_status() {
    let (addr, _node) = serve().await;
    for (code, expected) in [
        ("card_declined", 402),
        ("overloaded", 429),
        ("act_invalid_msg", 400),
        ("action_timeout", 504),
        ("transport_unavailable", 502),
        ("closed", 503),
        ("some_handler_code", 500),
    ] {
        let (status, _, reply) = call(post_json(addr, &format!("/fail/{code}"), "")).await;
        assert_eq!(status, expected, "{code}: {reply}");
        assert_eq!(
            reply,
            json!({"code": code, "message": "failed on purpose"}),
            "{code}"
        );
    }
}

#[tokio::test]
async fn timeouts_are_capped_by_the_gateway() {
    let (addr, _node) = serve().await;
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let (status, _, reply) = call(client.get(format!("http://{addr}/slow?timeout$=60000"))).await;
    assert_eq!(status, 504, "{reply}");
    assert_eq!(reply["code"], "action_timeout", "{reply}");
    assert!(started.elapsed() < Duration::from_secs(3), "cut to 300 ms");
    let (status, _, reply) = call(client.get(format!("http://{addr}/slow?timeout$=soon"))).await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("`timeout$`"),
        "{reply}"
    );
}

#[tokio::test]
async fn bad_requests_are_refused_by_name_and_the_gateway_keeps_serving() {
    let (addr, _node) = serve().await;
    let client = reqwest::Client::new();

    let (status, _, reply) = call(client.get(format!("http://{addr}/nowhere"))).await;
    assert_eq!(status, 404, "{reply}");
    assert_eq!(reply["code"], "no_route", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("GET /nowhere"),
        "{reply}"
    );
    still_serving(addr).await;

    let (status, headers, reply) = call(client.delete(format!("http://{addr}/echo/1"))).await;
    assert_eq!(status, 405, "{reply}");
    assert_eq!(reply["code"], "method_not_allowed", "{reply}");
    assert_eq!(headers["allow"], "GET, POST");
    still_serving(addr).await;

    let big = json!({"pad": "x".repeat(4096)}).to_string();
    let (status, _, reply) = call(post_json(addr, "/echo/1", big)).await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["code"], "payload_too_large", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("1024 bytes"),
        "{reply}"
    );
    still_serving(addr).await;

    let (status, _, reply) = call(
        client
            .post(format!("http://{addr}/echo/1"))
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_eq!(status, 415, "{reply}");
    assert_eq!(reply["code"], "unsupported_media_type", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("text/plain"),
        "{reply}"
    );
    still_serving(addr).await;

    let (status, _, reply) = call(post_json(addr, "/echo/1", "[1, 2]")).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["code"], "act_invalid_msg", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("got an array"),
        "{reply}"
    );
    still_serving(addr).await;

    let (status, _, reply) = call(post_json(addr, "/echo/1", "{\"a\":")).await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{reply}"
    );
    still_serving(addr).await;
}

#[tokio::test]
async fn the_gateway_stops_when_the_node_closes() {
    let node = Node::builder().without_registered().build().unwrap();
    let config = Config::from_toml_str(CONFIG).unwrap();
    let gateway = Gateway::from_config(&config).unwrap();
    let (_addr, task) = gateway.start(node.clone()).await.unwrap();
    node.close();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("it stops")
        .expect("cleanly");
}

#[test]
fn bad_configuration_names_the_route_and_the_key() {
    let config = Config::from_toml_str(
        "[gateway]\nerrors = { card_declined = 200 }\n[[route]]\nmethod = \"GET\"\npath = \"/a\"\npattern = \"a:1\"\n[[route]]\nmethod = \"GET\"\npath = \"/a\"\npattern = \"a:2\"",
    )
    .unwrap();
    let err = Gateway::from_config(&config).unwrap_err().to_string();
    assert!(
        err.contains("[[route]] 2 (GET /a): the same method and path as [[route]] 1"),
        "{err}"
    );
    assert!(
        err.contains("[gateway] errors.card_declined: the status must be 400–599, got 200"),
        "{err}"
    );
}

#[test]
fn the_environment_reaches_gateway_and_its_error_statuses() {
    // Only this test loads from files and the environment; the others parse their TOML alone.
    let dir = std::env::temp_dir().join(format!("porticus-gateway-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("default.toml"),
        "[gateway]\nerrors = { order_not_found = 404 }\n",
    )
    .unwrap();
    std::env::set_var("PORTICUS__GATEWAY__BIND", "127.0.0.1:0");
    std::env::set_var("PORTICUS__GATEWAY__ERRORS__CARD_DECLINED", "402");
    let config = Config::load_from(&dir, None).expect("the config loads");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(config.gateway.bind, "127.0.0.1:0");
    assert_eq!(config.gateway.errors["card_declined"], 402);
    assert_eq!(config.gateway.errors["order_not_found"], 404);
    Gateway::from_config(&config).expect("a valid gateway");
}
