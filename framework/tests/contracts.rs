//! Validation (`validate`) and schemas (`schema`) through the attribute, against the in-process
//! node (`docs/contracts.md`).

use std::sync::atomic::{AtomicUsize, Ordering};

use garde::Validate;
use porticus::{ActError, Code, Node};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How many times `charge` ran: a rejected message must never reach it.
static CHARGES: AtomicUsize = AtomicUsize::new(0);

#[derive(Deserialize, Validate, JsonSchema)]
struct Charge {
    #[garde(length(min = 1, max = 32))]
    order: String,
    #[garde(range(min = 1, max = 100_000))]
    amount: u64,
    #[garde(dive)]
    card: Card,
}

#[derive(Deserialize, Validate, JsonSchema)]
struct Card {
    #[garde(length(min = 4, max = 4))]
    last4: String,
}

#[derive(Serialize, JsonSchema)]
struct Receipt {
    order: String,
    charged: u64,
}

#[porticus::action("role:pay,cmd:charge", validate, schema)]
async fn charge(req: Charge) -> Result<Receipt, ActError> {
    CHARGES.fetch_add(1, Ordering::SeqCst);
    Ok(Receipt {
        order: req.order,
        charged: req.amount,
    })
}

/// The same input type, without `validate`: not checked (opt-in only).
#[porticus::action("role:pay,cmd:quote")]
async fn quote(req: Charge) -> Result<u64, ActError> {
    Ok(req.amount)
}

#[derive(Deserialize, JsonSchema)]
struct Refunded {
    order: String,
}

#[porticus::event("event:refunded", schema)]
async fn refunded(ev: Refunded) -> Result<(), ActError> {
    if ev.order.is_empty() {
        return Err(ActError::invalid_msg("a refund names its order"));
    }
    Ok(())
}

fn node() -> Node {
    Node::builder().name("pay").build().expect("node")
}

fn fields(err: &ActError) -> Vec<String> {
    err.details()["errors"]
        .as_array()
        .expect("an `errors` list")
        .iter()
        .map(|e| e["field"].as_str().expect("a field").to_owned())
        .collect()
}

#[tokio::test]
async fn every_failing_field_is_named_and_the_handler_never_runs() {
    let node = node();
    let err = node
        .act(json!({"role": "pay", "cmd": "charge", "order": "", "amount": 0, "card": {"last4": "12"}}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert_eq!(fields(&err), ["amount", "card.last4", "order"]);
    assert_eq!(err.details()["pattern"], "cmd:charge,role:pay");
    for error in err.details()["errors"].as_array().unwrap() {
        assert!(!error["message"].as_str().unwrap().is_empty(), "{error}");
    }
    assert_eq!(CHARGES.load(Ordering::SeqCst), 0);

    let ok = node
        .act(json!({"role": "pay", "cmd": "charge", "order": "o1", "amount": 5, "card": {"last4": "4242"}}))
        .await
        .expect("a valid charge");
    assert_eq!(ok, json!({"order": "o1", "charged": 5}));
    assert_eq!(CHARGES.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_decoding_error_comes_before_validation() {
    let err = node()
        .act(json!({"role": "pay", "cmd": "charge", "order": "", "amount": "lots"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert_eq!(err.details()["field"], "amount");
    assert!(err.details().get("errors").is_none(), "{}", err.details());
}

#[tokio::test]
async fn without_the_argument_the_input_is_not_validated() {
    let reply = node()
        .act(
            json!({"role": "pay", "cmd": "quote", "order": "", "amount": 0, "card": {"last4": ""}}),
        )
        .await
        .expect("not validated");
    assert_eq!(reply, 0);
}

#[tokio::test]
async fn the_schema_names_the_fields_validation_rejects() {
    let node = node();
    let schemas = node.schemas();
    let patterns: Vec<&str> = schemas.iter().map(|c| c.pattern.as_str()).collect();
    assert_eq!(patterns, ["cmd:charge,role:pay", "event:refunded"]);
    let input = schemas[0].schemas.input();
    assert_eq!(
        input["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    // garde's rules are in the schema too (schemars reads `#[garde(…)]`).
    assert_eq!(input["properties"]["amount"]["minimum"], 1);
    assert_eq!(input["properties"]["order"]["minLength"], 1);
    assert_eq!(
        schemas[0].schemas.output().unwrap()["required"],
        json!(["order", "charged"])
    );
    assert!(schemas[1].schemas.output().is_none());

    let err = node
        .act(json!({"role": "pay", "cmd": "charge", "order": "o1", "amount": 0, "card": {"last4": "4242"}}))
        .await
        .unwrap_err();
    assert_eq!(fields(&err), ["amount"]);
    assert!(input["properties"].get("amount").is_some());

    let reply: Value = node
        .act(json!({"role": "porticus", "service": "pay", "cmd": "schema"}))
        .await
        .expect("cmd:schema");
    assert_eq!(reply["service"], "pay");
    assert_eq!(reply["schemas"][0]["pattern"], "cmd:charge,role:pay");
    assert_eq!(reply["schemas"][0]["kind"], "action");
    assert_eq!(&reply["schemas"][0]["input"], input);
    assert_eq!(reply["schemas"][1]["kind"], "event");
    assert!(reply["schemas"][1].get("output").is_none());
}
