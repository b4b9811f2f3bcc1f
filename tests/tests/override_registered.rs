//! A registered `#[action(…, override)]` replaces the plain one for the same pattern, whatever
//! the link order, and gets it as its prior; the builder's default timeout is Seneca's.

use porticus::{ActError, Context, Node, DEFAULT_TIMEOUT_MS};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Terms {
    terms: Vec<i64>,
}

#[porticus::action("role:override_test,cmd:sum")]
async fn sum(req: Terms) -> Result<i64, ActError> {
    Ok(req.terms.iter().sum())
}

#[porticus::action("role:override_test,cmd:sum", override)]
async fn checked_sum(req: Terms, ctx: Context) -> Result<serde_json::Value, ActError> {
    if req.terms.iter().any(|n| *n < 0) {
        return Err(ActError::new("negative", "only natural numbers"));
    }
    let total: i64 = ctx.prior_as(json!({ "terms": req.terms })).await?;
    Ok(json!({ "checked": total }))
}

#[tokio::test]
async fn the_override_answers_and_its_prior_is_the_plain_action() {
    let node = Node::builder()
        .build()
        .expect("one override is not a duplicate");
    let reply = node
        .act(json!({"role": "override_test", "cmd": "sum", "terms": [1, 2, 3]}))
        .await
        .expect("the override replies");
    assert_eq!(reply, json!({"checked": 6}));
    let err = node
        .act(json!({"role": "override_test", "cmd": "sum", "terms": [1, -2]}))
        .await
        .expect_err("the override's own rule");
    assert_eq!(err.code().as_str(), "negative");
}

#[test]
fn the_default_timeout_is_seneca_s() {
    assert_eq!(DEFAULT_TIMEOUT_MS, 22_222);
    let node = Node::builder()
        .without_registered()
        .build()
        .expect("an empty node builds");
    assert_eq!(node.default_timeout().as_millis(), 22_222);
}
