//! Unit tests of the gateway with `porticus::testing`: the orders service behind it is mocked
//! (`role:order,cmd:place|get|ship`), the gateway serves a test node on 127.0.0.1, and the
//! tests call it over real HTTP to check the statuses, the error JSON and the messages the
//! gateway sends. Real sockets: these tests run on tokio's real clock.

use std::net::SocketAddr;

use porticus::testing::{Mock, TestNode};
use porticus::{ActError, Code};
use serde_json::{json, Value};

/// An order as the orders service returns it.
fn stored(id: &str, status: &str) -> Value {
    json!({
        "id": id, "customer": "ada", "status": status, "payment": format!("pay-{id}"),
        "items": [{"sku": "lamp", "qty": 1, "price_cents": 2500}], "total_cents": 2500
    })
}

/// A test node standing in for the orders service: places unless the card ends in 0002 or
/// there are no items, and knows the order `o-1` only.
fn backend() -> TestNode {
    TestNode::builder()
        .mock(
            "role:order,cmd:place",
            Mock::reply(|msg: Value| async move {
                let card = msg["card"].as_str().unwrap_or_default();
                if card.ends_with("0002") {
                    return Err(ActError::new(
                        Code::new("card_declined"),
                        "card …0002 was declined",
                    )
                    .with_details(json!({"order": "o-2"})));
                }
                if msg["items"].as_array().is_none_or(Vec::is_empty) {
                    return Err(ActError::invalid_msg("an order needs at least one item"));
                }
                Ok(stored("o-1", "placed"))
            }),
        )
        .mock(
            "role:order,cmd:get",
            Mock::reply(|msg: Value| async move {
                match msg["id"].as_str() {
                    Some("o-1") => Ok(stored("o-1", "placed")),
                    other => Err(ActError::new(
                        Code::new("order_not_found"),
                        format!("no order `{}`", other.unwrap_or_default()),
                    )),
                }
            }),
        )
        .mock(
            "role:order,cmd:ship",
            Mock::reply(|msg: Value| async move {
                match msg["id"].as_str() {
                    Some("o-1") => Ok(stored("o-1", "shipped")),
                    other => Err(ActError::new(
                        Code::new("order_not_found"),
                        format!("no order `{}`", other.unwrap_or_default()),
                    )),
                }
            }),
        )
        .build()
}

async fn serve(node: &TestNode) -> SocketAddr {
    let (addr, _task) = gateway::start(node.node().clone(), "127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    addr
}

/// Sends a request and returns its status and its body as JSON.
async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let reply = request.send().await.expect("the gateway answers");
    let status = reply.status().as_u16();
    let body = reply.text().await.expect("a body");
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}")),
    )
}

fn post(addr: SocketAddr, path: &str, body: &Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn order(card: &str) -> Value {
    json!({
        "customer": "ada", "card": card,
        "items": [{"sku": "lamp", "qty": 1, "price_cents": 2500}]
    })
}

#[tokio::test]
async fn placing_an_order_is_201_with_the_order_and_sends_the_body_as_the_message() {
    let node = backend();
    let addr = serve(&node).await;
    let body = order("4000-0000-0000-0001");

    let (status, reply) = call(post(addr, "/orders", &body)).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply, stored("o-1", "placed"));

    node.assert_called("role:order,cmd:place", 1);
    let mut expected = body.clone();
    expected["role"] = json!("order");
    expected["cmd"] = json!("place");
    assert_eq!(node.calls("role:order,cmd:place")[0].msg, expected);
}

#[tokio::test]
async fn a_declined_card_is_402_with_the_error_json() {
    let node = backend();
    let addr = serve(&node).await;

    let (status, reply) = call(post(addr, "/orders", &order("4000-0000-0000-0002"))).await;
    assert_eq!(status, 402, "{reply}");
    assert_eq!(reply["code"], "card_declined", "{reply}");
    assert_eq!(reply["message"], "card …0002 was declined", "{reply}");
    assert_eq!(reply["details"], json!({"order": "o-2"}), "{reply}");
    node.assert_called("role:order,cmd:place", 1);
}

#[tokio::test]
async fn an_invalid_order_is_400() {
    let node = backend();
    let addr = serve(&node).await;

    let body = json!({"customer": "ada", "card": "4000", "items": []});
    let (status, reply) = call(post(addr, "/orders", &body)).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["code"], "act_invalid_msg", "{reply}");
}

#[tokio::test]
async fn getting_an_order_is_200_and_an_unknown_one_is_404() {
    let node = backend();
    let addr = serve(&node).await;
    let client = reqwest::Client::new();

    let (status, reply) = call(client.get(format!("http://{addr}/orders/o-1"))).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply, stored("o-1", "placed"));

    let (status, reply) = call(client.get(format!("http://{addr}/orders/o-404"))).await;
    assert_eq!(status, 404, "{reply}");
    assert_eq!(reply["code"], "order_not_found", "{reply}");

    let gets = node.calls("role:order,cmd:get");
    assert_eq!(gets.len(), 2);
    assert_eq!(
        gets[0].msg,
        json!({"role": "order", "cmd": "get", "id": "o-1"})
    );
    assert_eq!(
        gets[1].msg,
        json!({"role": "order", "cmd": "get", "id": "o-404"})
    );
}

#[tokio::test]
async fn shipping_is_200_and_shipping_an_unknown_order_is_404() {
    let node = backend();
    let addr = serve(&node).await;

    let (status, reply) = call(post(addr, "/orders/o-1/ship", &json!({}))).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["status"], "shipped", "{reply}");

    let (status, reply) = call(post(addr, "/orders/o-9/ship", &json!({}))).await;
    assert_eq!(status, 404, "{reply}");
    assert_eq!(reply["code"], "order_not_found", "{reply}");
    node.assert_called("role:order,cmd:ship", 2);
}

#[tokio::test]
async fn the_socket_authorizer_scopes_a_customer_to_their_own_orders_and_events() {
    let node = TestNode::builder().handler(gateway::auth::socket).build();
    let answer = node
        .act(json!({"role": "auth", "cmd": "socket", "auth": {"customer": "ada"}}))
        .await
        .expect("ada may connect");
    assert_eq!(
        answer,
        json!({"act": ["role:order,cmd:place,customer:ada"], "subscribe": ["customer:ada"]})
    );
}

#[tokio::test]
async fn the_socket_authorizer_refuses_a_missing_or_unsafe_customer_name() {
    let node = TestNode::builder().handler(gateway::auth::socket).build();
    for auth in [
        json!(null),
        json!({}),
        json!({"customer": 7}),
        json!({"customer": ""}),
        json!({"customer": "ada,role:order"}),
        json!({"customer": "x".repeat(65)}),
    ] {
        let err = node
            .act(json!({"role": "auth", "cmd": "socket", "auth": auth}))
            .await
            .expect_err("refused");
        assert_eq!(err.code().as_str(), gateway::auth::UNAUTHORIZED, "{auth}");
    }
}
