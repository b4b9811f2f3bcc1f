//! The shop's AsyncAPI document (`docs/contracts.md`): built from the schemas of payments and
//! orders for an HTTP, an AMQP and a NATS listener, written to `target/shop-asyncapi.json`, and
//! parsed by the official `@asyncapi/parser` (pinned in `tests/asyncapi/`) with no error. A
//! message the document's schema forbids is rejected by the service, naming the same field.
//!
//! Generate the document: `cargo test -p shop --test asyncapi`.

use std::path::{Path, PathBuf};
use std::process::Command;

use porticus::config::Config;
use porticus::{Code, Node};
use serde_json::{json, Value};

porticus::link!(payments, orders);

/// The shop as the AsyncAPI document describes it: payments and orders behind one HTTP, one
/// AMQP and one NATS listener, with their examples' addresses.
const CONFIG: &str = r#"
[service]
name = "shop"

[[listen]]
type = "http"
bind = "127.0.0.1:10111"

[[listen]]
type = "amqp"
url = "amqp://guest:guest@127.0.0.1:5672/%2f"
pin = "role:payment,cmd:*"
pins = ["role:order,cmd:*"]

[[listen]]
type = "nats"
url = "nats://127.0.0.1:4222"
pin = "role:payment,cmd:*"
pins = ["role:order,cmd:*"]
"#;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../target"))
}

fn shop() -> (Node, Value) {
    let config = Config::from_toml_str(CONFIG).expect("the config");
    let node = Node::builder().name("shop").build().expect("the node");
    let doc = node.asyncapi(&config).expect("the document");
    (node, doc)
}

/// Runs the official parser on `path`; its diagnostics.
fn parse(path: &Path) -> Vec<Value> {
    let dir = porticus_tests::npm::prepare("asyncapi");
    let out = Command::new("node")
        .arg("validate.js")
        .arg(path)
        .current_dir(&dir)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "the parser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("diagnostics as JSON")
}

#[test]
fn the_document_parses_without_errors() {
    let (_, doc) = shop();
    let path = target_dir().join("shop-asyncapi.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).expect("write the document");

    let diagnostics = parse(&path);
    let errors: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // What it describes: every transport, with the names each really uses.
    assert_eq!(doc["servers"]["amqp"]["host"], "127.0.0.1:5672");
    assert_eq!(doc["channels"]["http.act"]["address"], "/act");
    let charge = &doc["channels"]["amqp.cmd_charge_role_payment"];
    assert_eq!(charge["address"], "cmd.charge.role.payment");
    assert_eq!(
        charge["bindings"]["amqp"]["exchange"]["name"],
        "seneca.topic"
    );
    assert_eq!(
        doc["channels"]["nats.cmd_place_role_order"]["address"],
        "porticus.act.cmd.place.role.order"
    );
    for op in ["http", "amqp", "nats"] {
        let operation = &doc["operations"][format!("{op}.cmd_charge_role_payment")];
        assert_eq!(operation["action"], "receive", "{op}");
        assert!(operation["reply"].is_object(), "{op}");
    }
    let place = &doc["components"]["messages"]["cmd_place_role_order.request"]["payload"];
    assert_eq!(
        place["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/Item"
    );
    assert!(doc["components"]["schemas"]["Item"].is_object());
}

#[tokio::test]
async fn a_message_the_schema_forbids_is_rejected_naming_the_field() {
    let (node, doc) = shop();
    let payload = &doc["components"]["messages"]["cmd_charge_role_payment.request"]["payload"];
    // The field whose lower bound the schema states, and a message below it.
    let (field, minimum) = payload["properties"]
        .as_object()
        .unwrap()
        .iter()
        .find_map(|(name, schema)| Some((name.clone(), schema.get("minimum")?.as_u64()?)))
        .filter(|(_, minimum)| *minimum > 0)
        .expect("a field with a positive minimum");
    let mut msg =
        json!({"role": "payment", "cmd": "charge", "order": "o-1", "card": "4000-0000-0000-0001"});
    msg[&field] = json!(minimum - 1);

    let err = node.act(msg).await.expect_err("rejected");
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG, "{err}");
    assert_eq!(err.details()["field"], json!(field), "{err}");
}
