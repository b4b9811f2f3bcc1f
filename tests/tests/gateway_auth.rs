//! The gateway's authentication hook (`[gateway] auth`) and per-route allow-lists over real
//! HTTP on 127.0.0.1: the identity the auth action answers reaches the handler's meta, and the
//! acts it makes; it crosses AMQP, HTTP and NATS to a handler on another node and comes back
//! in its reply; a client cannot forge it; refusals are 401 / 403 with an `ActError` body.

use std::net::SocketAddr;

use porticus::config::{Config, HttpClientConfig, HttpListenConfig, NatsCredentials};
use porticus::gateway::Gateway;
use porticus::transport::http::HttpClient;
use porticus::transport::nats::NatsClient;
use porticus::{ActError, Code, Context, Node};
use porticus_tests::harness::{amqp_configs, broker_down, listening, serve_http, unique_prefix};
use porticus_tests::jetstream::{nats_configs, nats_down, nats_listening, nats_url, Names};
use serde_json::{json, Value};

const ROUTES: &str = r#"
[gateway]
bind = "127.0.0.1:0"
auth = "role:auth,cmd:http"

[[route]]
method = "GET"
path = "/me"
pattern = "role:who,cmd:me"

[[route]]
method = "POST"
path = "/me"
pattern = "role:who,cmd:me"

[[route]]
method = "GET"
path = "/admin"
pattern = "role:who,cmd:me"
allow = ["roles:admin"]

[[route]]
method = "GET"
path = "/alice"
pattern = "role:who,cmd:me"
allow = ["id:alice", "roles:auditor,team:ops"]

[[route]]
method = "GET"
path = "/remote"
pattern = "role:remote,cmd:whoami"
"#;

/// The auth action: `authorization: Bearer <name>` names the caller; `Bearer nobody` is
/// forbidden outright; no header is no identity; anything else a `bad_token` error.
async fn authenticate(msg: Value) -> Result<Value, ActError> {
    let headers = &msg["headers"];
    assert!(
        msg["method"].is_string() && msg["path"].is_string() && msg["route"].is_string(),
        "the auth message has the request: {msg}"
    );
    let Some(token) = headers["authorization"].as_str() else {
        return Ok(Value::Null);
    };
    match token.strip_prefix("Bearer ") {
        Some("alice") => {
            Ok(json!({"id": "alice", "roles": ["customer"], "tenant": headers["x-tenant"]}))
        }
        Some("root") => Ok(json!({"id": "root", "roles": ["admin", "customer"]})),
        Some("olga") => Ok(json!({"id": "olga", "roles": ["auditor"], "team": "ops"})),
        Some("zoë") => Ok(json!({"id": "zoë"})),
        Some("nobody") => Err(ActError::new(Code::new("forbidden"), "nobody may come in")),
        _ => Err(ActError::new(
            Code::new("bad_token"),
            "the token is not known",
        )),
    }
}

/// What a handler sees: its caller, and the caller an act it makes sees.
async fn who(_: Value, ctx: Context) -> Result<Value, ActError> {
    let inner = ctx.act(json!({"role": "who", "cmd": "inner"})).await?;
    Ok(json!({"caller": ctx.meta().caller(), "inner": inner}))
}

async fn inner(_: Value, ctx: Context) -> Result<Value, ActError> {
    Ok(json!(ctx.meta().caller()))
}

/// A node that answers `role:who` and authenticates, with `extra` added (clients).
fn gateway_node(extra: impl FnOnce(porticus::NodeBuilder) -> porticus::NodeBuilder) -> Node {
    let builder = Node::builder()
        .without_registered()
        .add("role:auth,cmd:http", authenticate)
        .add("role:who,cmd:me", who)
        .add("role:who,cmd:inner", inner);
    extra(builder).build().expect("the gateway's node builds")
}

/// The node that answers `role:remote` on another node (the far side of a transport).
fn backend() -> Node {
    Node::builder()
        .without_registered()
        .add(
            "role:remote,cmd:whoami",
            |_: Value, ctx: Context| async move {
                let inner = ctx.act(json!({"role": "remote", "cmd": "inner"})).await?;
                Ok::<_, ActError>(json!({"caller": ctx.meta().caller(), "inner": inner}))
            },
        )
        .add("role:remote,cmd:inner", inner)
        .build()
        .expect("the backend builds")
}

async fn serve(node: &Node) -> SocketAddr {
    let config = Config::from_toml_str(ROUTES).expect("the config parses");
    let gateway = Gateway::from_config(&config).expect("the routes are valid");
    let (addr, _task) = gateway.start(node.clone()).await.expect("bind 127.0.0.1");
    addr
}

/// The status and JSON body of a GET of `path`, with `token` as a bearer token if any.
async fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(format!("http://{addr}{path}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    send(request).await
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let reply = request.send().await.expect("the gateway answers");
    let status = reply.status().as_u16();
    let body = reply.text().await.expect("a body");
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    (status, json)
}

#[tokio::test]
async fn handlers_and_their_inner_acts_see_the_caller() {
    let node = gateway_node(|b| b);
    let addr = serve(&node).await;
    let request = reqwest::Client::new()
        .get(format!("http://{addr}/me"))
        .header("authorization", "Bearer alice")
        .header("x-tenant", "acme");
    let (status, body) = send(request).await;
    assert_eq!(status, 200, "{body}");
    let alice = json!({"id": "alice", "roles": ["customer"], "tenant": "acme"});
    assert_eq!(body, json!({"caller": alice, "inner": alice}));

    // No credentials: no identity, and a route without `allow` still answers.
    assert_eq!(
        get(addr, "/me", None).await,
        (200, json!({"caller": null, "inner": null}))
    );
    // Non-ASCII identities travel too.
    let (status, body) = get(addr, "/me", Some("zoë")).await;
    assert_eq!(
        (status, &body["caller"]["id"]),
        (200, &json!("zoë")),
        "{body}"
    );
}

#[tokio::test]
async fn refused_credentials_are_401_or_403() {
    let node = gateway_node(|b| b);
    let addr = serve(&node).await;
    let (status, body) = get(addr, "/me", Some("forged")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(body["message"], "the token is not known");
    let (status, body) = get(addr, "/me", Some("nobody")).await;
    assert_eq!(
        (status, &body["code"]),
        (403, &json!("forbidden")),
        "{body}"
    );
    assert_eq!(body["message"], "nobody may come in");
    // It keeps serving.
    assert_eq!(get(addr, "/me", Some("alice")).await.0, 200);
}

#[tokio::test]
async fn allow_lists_admit_only_matching_callers() {
    let node = gateway_node(|b| b);
    let addr = serve(&node).await;
    let (status, body) = get(addr, "/admin", None).await;
    assert_eq!(
        (status, &body["code"]),
        (401, &json!("unauthorized")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("`GET /admin`"),
        "{body}"
    );
    let (status, body) = get(addr, "/admin", Some("alice")).await;
    assert_eq!(
        (status, &body["code"]),
        (403, &json!("forbidden")),
        "{body}"
    );
    let (status, body) = get(addr, "/admin", Some("root")).await;
    assert_eq!(
        (status, &body["caller"]["id"]),
        (200, &json!("root")),
        "{body}"
    );

    assert_eq!(get(addr, "/alice", Some("alice")).await.0, 200);
    assert_eq!(get(addr, "/alice", Some("root")).await.0, 403);
    // The second entry: every pair must match.
    assert_eq!(get(addr, "/alice", Some("olga")).await.0, 200);
}

#[tokio::test]
async fn a_client_cannot_forge_the_identity() {
    let node = gateway_node(|b| b);
    let addr = serve(&node).await;
    let root = r#"{"id":"root","roles":["admin"]}"#;
    let request = reqwest::Client::new()
        .post(format!("http://{addr}/me?caller$=root"))
        .header("porticus-caller", root)
        .header("x-porticus-caller", root)
        .header("content-type", "application/json")
        .body(json!({"caller$": {"id": "root"}, "meta$": {"caller": {"id": "root"}}}).to_string());
    assert_eq!(
        send(request).await,
        (200, json!({"caller": null, "inner": null}))
    );
    let request = reqwest::Client::new()
        .get(format!("http://{addr}/admin"))
        .header("porticus-caller", root);
    assert_eq!(send(request).await.0, 401);
}

/// GET /remote as alice: the backend's reply names her, and so does its inner act.
async fn crosses(addr: SocketAddr, transport: &str) {
    let (status, body) = get(addr, "/remote", Some("alice")).await;
    assert_eq!(status, 200, "{transport}: {body}");
    let alice = json!({"id": "alice", "roles": ["customer"], "tenant": null});
    assert_eq!(
        body,
        json!({"caller": alice, "inner": alice}),
        "{transport}: the identity crosses and comes back"
    );
    let (status, body) = get(addr, "/remote", None).await;
    assert_eq!(
        (status, body),
        (200, json!({"caller": null, "inner": null})),
        "{transport}: no identity stays none"
    );
}

#[tokio::test]
async fn the_identity_crosses_amqp_to_another_node() {
    let prefix = unique_prefix("gwauth");
    let (mut listen, client) = amqp_configs(&prefix);
    listen.pin = "role:remote".into();
    let far = backend();
    let _server = far
        .start(&listening("backend", listen))
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let amqp = porticus::transport::amqp::AmqpClient::new(&client, &format!("gw-{prefix}"))
        .expect("valid client config");
    amqp.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    let node = gateway_node(|b| b.client("role:remote", amqp.clone()));
    let addr = serve(&node).await;
    crosses(addr, "amqp").await;
    node.close();
    far.close();
}

#[tokio::test]
async fn the_identity_crosses_http_to_another_node() {
    let far = backend();
    let url = serve_http(&far, HttpListenConfig::default()).await;
    let mut client = HttpClientConfig::default();
    client.url = url;
    let http = HttpClient::new(&client).expect("a valid url");
    let node = gateway_node(|b| b.client("role:remote", http));
    let addr = serve(&node).await;
    crosses(addr, "http").await;
}

#[tokio::test]
async fn the_identity_crosses_nats_to_another_node() {
    let names = Names::new("gwauth");
    let (mut listen, mut client) = nats_configs(&names, &nats_url());
    listen.pin = "role:remote".into();
    let far = backend();
    let _server = far
        .start(&nats_listening("backend", listen))
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    client.pin = "role:remote".into();
    let nats = NatsClient::new(&client, &NatsCredentials::default(), "gw-auth")
        .expect("valid client config");
    nats.connect()
        .await
        .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
    let node = gateway_node(|b| b.client("role:remote", nats.clone()));
    let addr = serve(&node).await;
    crosses(addr, "nats").await;
    node.close();
    far.close();
}

#[test]
fn allow_lists_need_auth_and_entries() {
    let config = Config::from_toml_str(
        r#"
        [[route]]
        method = "GET"
        path = "/admin"
        pattern = "role:admin"
        allow = ["roles:admin"]

        [[route]]
        method = "GET"
        path = "/none"
        pattern = "role:none"
        allow = []
        "#,
    )
    .expect("the config parses");
    let err = Gateway::from_config(&config).unwrap_err().to_string();
    assert!(
        err.contains("[[route]] 1 (GET /admin): `allow` needs `[gateway] auth`"),
        "{err}"
    );
    assert!(
        err.contains("[[route]] 2 (GET /none): `allow` is empty"),
        "{err}"
    );
    let config = Config::from_toml_str("[gateway]\nauth = \"role:auth,cmd:*\"").unwrap();
    let err = Gateway::from_config(&config).unwrap_err().to_string();
    assert!(
        err.contains("[gateway] auth: `pattern` `role:auth,cmd:*` has a glob"),
        "{err}"
    );
}
