//! The gateway's OpenAPI 3.1 document, checked by `openapi-spec-validator` from PyPI (pinned,
//! installed into a virtual environment under `target/` the first time; never skipped): the
//! shop gateway's document, one with auth, allow-lists and path parameters served over real
//! HTTP at `GET /openapi.json`, and a broken one the validator must refuse.

use std::path::{Path, PathBuf};
use std::process::Command;

use porticus::config::Config;
use porticus::gateway::Gateway;
use porticus::Node;
use serde_json::{json, Value};

/// The validator's version, pinned.
const VALIDATOR: &str = "openapi-spec-validator==0.7.2";

/// The shop gateway's configuration, as it ships.
const SHOP: &str = include_str!("../../examples/shop/gateway/config/default.toml");

const WITH_AUTH: &str = r#"
[service]
name = "accounts"

[gateway]
bind = "127.0.0.1:0"
auth = "role:auth,cmd:http"
api_version = "2.1.0"
errors = { card_declined = 402 }

[[route]]
method = "GET"
path = "/users/{user}/orders/{order}"
pattern = "role:order,cmd:get"
summary = "one order of a user"
allow = ["roles:admin", "id:alice"]

[[route]]
method = "PATCH"
path = "/users/{user}"
pattern = "role:user,cmd:update"

[[route]]
method = "DELETE"
path = "/users/{user}"
pattern = "role:user,cmd:delete"
status = 204
allow = ["roles:admin"]
"#;

/// The validator's command, installed once per target directory.
fn validator() -> PathBuf {
    porticus_tests::python::venv("openapi-validator", &[VALIDATOR]).join("openapi-spec-validator")
}

/// Runs the validator on `doc`: whether it passed, and what it said.
fn validate(name: &str, doc: &Value) -> (bool, String) {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("openapi-{name}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).expect("write the document");
    let out = Command::new(validator())
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("openapi-spec-validator on {name}: {}", said.trim());
    (out.status.success(), said)
}

#[test]
fn the_shop_gateway_document_validates() {
    let config = Config::from_toml_str(SHOP).expect("the shop's config parses");
    let doc = Gateway::from_config(&config)
        .expect("the shop's routes are valid")
        .openapi();
    assert_eq!(doc["info"]["title"], "gateway");
    let ship = &doc["paths"]["/orders/{id}/ship"]["post"];
    assert_eq!(ship["summary"], "ship an order");
    assert_eq!(ship["parameters"][0]["name"], "id");
    assert_eq!(
        doc["paths"]["/orders"]["post"]["responses"]["402"]["$ref"],
        "#/components/responses/Error"
    );
    assert!(doc["paths"]["/orders"]["post"]["responses"]["201"].is_object());
    assert!(doc["components"].get("securitySchemes").is_none());
    let (ok, said) = validate("shop", &doc);
    assert!(ok, "the shop's document is refused: {said}");
}

#[tokio::test]
async fn a_document_with_auth_and_parameters_is_served_and_validates() {
    let config = Config::from_toml_str(WITH_AUTH).expect("the config parses");
    let gateway = Gateway::from_config(&config).expect("the routes are valid");
    let node = Node::builder().without_registered().build().unwrap();
    let (addr, _task) = gateway.start(node).await.expect("bind 127.0.0.1");
    let reply = reqwest::get(format!("http://{addr}/openapi.json"))
        .await
        .expect("the gateway answers");
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/json");
    let served: Value = serde_json::from_str(&reply.text().await.expect("a body")).expect("JSON");
    assert_eq!(served, gateway.openapi());
    assert_eq!(
        served["info"],
        json!({"title": "accounts", "version": "2.1.0"})
    );
    let get = &served["paths"]["/users/{user}/orders/{order}"]["get"];
    let names: Vec<&Value> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names, [&json!("user"), &json!("order")]);
    assert_eq!(get["security"], json!([{"caller": []}]));
    assert_eq!(
        served["paths"]["/users/{user}"]["patch"]["security"],
        json!([{}, {"caller": []}]),
        "a route without allow takes callers with or without an identity"
    );
    assert!(
        served["paths"]["/users/{user}"]["delete"]["responses"]["204"]
            .get("content")
            .is_none()
    );
    assert!(
        served["components"]["securitySchemes"]["caller"]["description"]
            .as_str()
            .unwrap()
            .contains("role:auth,cmd:http")
    );
    let (ok, said) = validate("auth", &served);
    assert!(ok, "the document is refused: {said}");
}

#[test]
fn the_validator_refuses_a_broken_document() {
    let config = Config::from_toml_str(WITH_AUTH).expect("the config parses");
    let mut doc = Gateway::from_config(&config).unwrap().openapi();
    // A path parameter the path does not declare.
    doc["paths"]["/users/{user}"]["patch"]["parameters"][0]["name"] = json!("nobody");
    let (ok, said) = validate("broken", &doc);
    assert!(!ok, "a broken document passed: {said}");
}

#[tokio::test]
async fn the_document_can_move_or_be_switched_off() {
    let node = Node::builder().without_registered().build().unwrap();
    let moved = Config::from_toml_str("[gateway]\nbind = \"127.0.0.1:0\"\nopenapi = \"/api/spec\"")
        .unwrap();
    let (addr, _task) = Gateway::from_config(&moved)
        .unwrap()
        .start(node.clone())
        .await
        .unwrap();
    let status = |path: &'static str| async move {
        reqwest::get(format!("http://{addr}{path}"))
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status("/api/spec").await, 200);
    assert_eq!(status("/openapi.json").await, 404);
    let off = Config::from_toml_str("[gateway]\nbind = \"127.0.0.1:0\"\nopenapi = \"\"").unwrap();
    let (addr, _task) = Gateway::from_config(&off)
        .unwrap()
        .start(node)
        .await
        .unwrap();
    let reply = reqwest::get(format!("http://{addr}/openapi.json"))
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    let clash = Config::from_toml_str(
        "[[route]]\nmethod = \"GET\"\npath = \"/openapi.json\"\npattern = \"role:doc\"",
    )
    .unwrap();
    let err = Gateway::from_config(&clash).unwrap_err().to_string();
    assert!(
        err.contains(
            "[gateway] openapi `/openapi.json` is also the path of the route `GET /openapi.json`"
        ),
        "{err}"
    );
}
