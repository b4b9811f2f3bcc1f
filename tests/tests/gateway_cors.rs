//! The gateway's CORS (`[gateway.cors]`) over real HTTP on 127.0.0.1: preflights from an
//! allowed origin get the routes' methods, the headers and the max age; other origins get no
//! permission; plain requests carry `Access-Control-Allow-Origin`; without `[gateway.cors]`
//! nothing is allowed; bad settings are config errors.

use std::net::SocketAddr;

use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::{ActError, Node};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

const ROUTES: &str = r#"
[[route]]
method = "GET"
path = "/items"
pattern = "role:item,cmd:list"

[[route]]
method = "POST"
path = "/items"
pattern = "role:item,cmd:add"

[[route]]
method = "DELETE"
path = "/items/{id}"
pattern = "role:item,cmd:remove"
"#;

const SHOP: &str = "http://localhost:3000";

async fn serve(cors: &str) -> SocketAddr {
    let text = format!("[gateway]\nbind = \"127.0.0.1:0\"\n{cors}\n{ROUTES}");
    let config = Config::from_toml_str(&text).expect("the config parses");
    let node = Node::builder()
        .without_registered()
        .add("role:item", |m: Value| async move { Ok::<_, ActError>(m) })
        .build()
        .unwrap();
    let (addr, _task) = Gateway::from_config(&config)
        .expect("valid")
        .start(node)
        .await
        .expect("bind 127.0.0.1");
    addr
}

/// A preflight of `method` on `path` from `origin`: its status and headers.
async fn preflight(addr: SocketAddr, path: &str, origin: &str, method: &str) -> (u16, HeaderMap) {
    let reply = reqwest::Client::new()
        .request(Method::OPTIONS, format!("http://{addr}{path}"))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await
        .expect("the gateway answers");
    (reply.status().as_u16(), reply.headers().clone())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn an_allowed_origin_gets_the_routes_methods() {
    let addr = serve(
        "[gateway.cors]\norigins = [\"http://localhost:3000\"]\ncredentials = true\nmax_age_s = 120\nexpose_headers = [\"x-request-id\"]",
    )
    .await;
    let (status, headers) = preflight(addr, "/items", SHOP, "POST").await;
    assert_eq!(status, 200, "{headers:?}");
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(SHOP));
    let methods = header(&headers, "access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "DELETE", "OPTIONS"] {
        assert!(methods.contains(method), "{methods}");
    }
    assert!(!methods.contains("PUT"), "{methods}");
    let allowed = header(&headers, "access-control-allow-headers").unwrap();
    assert!(
        allowed.contains("content-type") && allowed.contains("authorization"),
        "{allowed}"
    );
    assert_eq!(header(&headers, "access-control-max-age"), Some("120"));
    assert_eq!(
        header(&headers, "access-control-allow-credentials"),
        Some("true")
    );

    // Another origin gets no permission.
    let (_, headers) = preflight(addr, "/items", "http://evil.example", "POST").await;
    assert_eq!(header(&headers, "access-control-allow-origin"), None);

    // A request itself carries the permission, and its reply is the act's.
    let reply = reqwest::Client::new()
        .delete(format!("http://{addr}/items/7"))
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        header(reply.headers(), "access-control-allow-origin"),
        Some(SHOP)
    );
    assert_eq!(
        header(reply.headers(), "access-control-expose-headers"),
        Some("x-request-id")
    );
    let vary = header(reply.headers(), "vary").unwrap_or_default();
    assert!(vary.contains("origin"), "{vary}");
    let body: Value = serde_json::from_str(&reply.text().await.unwrap()).unwrap();
    assert_eq!(body["id"], "7");
}

#[tokio::test]
async fn any_origin_with_a_star() {
    let addr = serve("[gateway.cors]\norigins = [\"*\"]").await;
    let (status, headers) = preflight(addr, "/items/3", "http://anywhere.example", "DELETE").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);
}

#[tokio::test]
async fn without_cors_nothing_is_allowed() {
    let addr = serve("").await;
    let (status, headers) = preflight(addr, "/items", SHOP, "POST").await;
    assert_eq!(status, 405, "OPTIONS is not a route's method: {headers:?}");
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
}

#[test]
fn bad_settings_are_config_errors() {
    let text = format!("[gateway.cors]\norigins = [\"*\"]\ncredentials = true\n{ROUTES}");
    let err = Gateway::from_config(&Config::from_toml_str(&text).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot go with credentials = true"), "{err}");
    let text = "[gateway.cors]\norigins = [\"localhost:3000\"]";
    let err = Gateway::from_config(&Config::from_toml_str(text).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[gateway.cors] origins: `localhost:3000` is not an origin"),
        "{err}"
    );
}
