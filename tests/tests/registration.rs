//! Building a node: duplicates, malformed patterns, overrides and priors, routing order.

use porticus::{ActError, Code, Context, ErrorKind, Node};
use serde_json::{json, Value};

// The suite's handlers live in the `porticus_tests` library; this file names nothing else of it.
porticus::link!(porticus_tests);

fn reply(
    tag: &'static str,
) -> impl Fn(Value) -> std::future::Ready<Result<Value, ActError>> + Clone {
    move |_msg: Value| std::future::ready(Ok(json!(tag)))
}

#[test]
fn duplicates_and_bad_patterns_are_reported_together() {
    let err = Node::builder()
        .without_registered()
        .add("role:a,cmd:x", reply("one"))
        .add("cmd:x,role:a", reply("two"))
        .add("role:a,cmd:\"unterminated", reply("three"))
        .add("role", reply("four"))
        .build()
        .expect_err("two problems");
    assert_eq!(err.kind(), ErrorKind::Registration);
    let text = err.to_string();
    assert!(
        text.contains("duplicate action for `cmd:x,role:a`"),
        "{text}"
    );
    assert!(text.contains("registration.rs"), "names where: {text}");
    assert!(
        text.contains("malformed pattern `role:a,cmd:\"unterminated`"),
        "{text}"
    );
    assert!(text.contains("malformed pattern `role`"), "{text}");
}

#[test]
fn registered_handlers_include_the_suite() {
    let node = Node::builder().build().expect("registered handlers build");
    let patterns = node.patterns();
    assert!(
        patterns.contains(&"cmd:sum,role:suite".to_owned()),
        "{patterns:?}"
    );
    assert!(
        patterns.contains(&"cmd:sum,integer:true,role:suite".to_owned()),
        "{patterns:?}"
    );
}

#[tokio::test]
async fn override_gets_the_replaced_action_as_prior() {
    let node = Node::builder()
        .without_registered()
        .add("role:a", reply("original"))
        .add_override("role:a", |msg: Value, ctx: Context| async move {
            let before = ctx.prior(msg).await?;
            Ok::<_, ActError>(json!({ "wrapped": before }))
        })
        .build()
        .expect("an override is not a duplicate");
    let out = node
        .act(json!({"role": "a"}))
        .await
        .expect("override replies");
    assert_eq!(out, json!({"wrapped": "original"}));
}

#[tokio::test]
async fn prior_without_a_prior_replies_default_or_null() {
    let node = Node::builder()
        .without_registered()
        .add("role:lonely", |msg: Value, ctx: Context| async move {
            ctx.prior(msg).await
        })
        .build()
        .expect("builds");
    assert_eq!(
        node.act(json!({"role": "lonely"})).await.expect("null"),
        Value::Null
    );
    let with_default = node
        .act(json!({"role": "lonely", "default$": {"d": 1}}))
        .await;
    assert_eq!(with_default.expect("default$"), json!({"d": 1}));
}

#[tokio::test]
async fn greedy_alphabetical_choice_as_in_seneca() {
    // patrun commits to the alphabetically first key that matches: {a:1} beats the more
    // numerous {b:1,c:1} for {a:1,b:1,c:1}.
    let node = Node::builder()
        .without_registered()
        .add("b:1,c:1", reply("bc"))
        .add("a:1", reply("a"))
        .build()
        .expect("builds");
    assert_eq!(
        node.act(json!({"a": 1, "b": 1, "c": 1}))
            .await
            .expect("routes"),
        json!("a")
    );
    assert_eq!(
        node.act(json!({"b": 1, "c": 1})).await.expect("routes"),
        json!("bc")
    );
}

#[tokio::test]
async fn catch_all_answers_when_nothing_else_does() {
    let node = Node::builder()
        .without_registered()
        .add("", reply("catch-all"))
        .add("role:math", reply("math"))
        .build()
        .expect("builds");
    assert_eq!(
        node.act(json!({"role": "math"})).await.expect("routes"),
        json!("math")
    );
    assert_eq!(
        node.act(json!({"role": "other"})).await.expect("routes"),
        json!("catch-all")
    );
}

#[tokio::test]
async fn closed_node_refuses_new_messages() {
    let node = Node::builder()
        .without_registered()
        .add("role:a", reply("a"))
        .build()
        .expect("builds");
    node.close();
    node.closed().await;
    let err = node.act(json!({"role": "a"})).await.expect_err("closed");
    assert_eq!(err.code(), &Code::CLOSED);
}

#[tokio::test]
async fn client_pin_loses_to_a_more_specific_local_action() {
    let remote = Node::builder()
        .without_registered()
        .add("role:math", reply("remote"))
        .build()
        .expect("builds");
    let node = Node::builder()
        .without_registered()
        .client(
            "role:math",
            porticus::transport::local::LocalClient::new(remote),
        )
        .add("role:math,cmd:sum", reply("local"))
        .build()
        .expect("builds");
    let local = node.act(json!({"role": "math", "cmd": "sum"})).await;
    assert_eq!(local.expect("routes"), json!("local"));
    let forwarded = node.act(json!({"role": "math", "cmd": "product"})).await;
    assert_eq!(forwarded.expect("routes"), json!("remote"));
}

#[tokio::test]
async fn several_services_receive_the_same_event() {
    use porticus::transport::local::LocalClient;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
    let subscriber = |name: &'static str| {
        let tx = tx.clone();
        Node::builder()
            .without_registered()
            .subscribe("event:shipped", move |_: Value| {
                let _ = tx.send(name);
                std::future::ready(Ok::<(), ActError>(()))
            })
            .build()
            .expect("a subscriber node")
    };
    let emitter = Node::builder()
        .without_registered()
        .forward_events("event:shipped", LocalClient::new(subscriber("mail")))
        .forward_events("event:shipped", LocalClient::new(subscriber("stats")))
        .forward_events("event:placed", LocalClient::new(subscriber("never")))
        .build()
        .expect("the same event pattern for two clients is no duplicate");
    emitter
        .emit(json!({"event": "shipped", "order": "o-1"}))
        .await
        .expect("handed over");
    let mut got = vec![rx.recv().await.expect("one"), rx.recv().await.expect("two")];
    got.sort_unstable();
    assert_eq!(got, ["mail", "stats"]);
    // No act is routed to an event-only client.
    let err = emitter
        .act(json!({"event": "shipped"}))
        .await
        .expect_err("no act route");
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
}

#[tokio::test]
async fn default_answers_only_when_nothing_matches_not_a_matched_action_s_own_failure() {
    let node = Node::builder()
        .without_registered()
        .add("role:outer", |_msg: Value, ctx: Context| async move {
            // A nested act to nothing: the outer action matched, and fails with it.
            ctx.act(json!({"role": "missing"})).await
        })
        .build()
        .expect("builds");
    let err = node
        .act(json!({"role": "outer", "default$": {"d": 1}}))
        .await
        .expect_err("the matched action's own act_not_found is not replaced by default$");
    assert_eq!(err.code(), &Code::ACT_NOT_FOUND);
    assert!(err.message().contains("role:missing"), "{err}");
    let reply = node
        .act(json!({"role": "nothing", "default$": [1, 2]}))
        .await
        .expect("default$ when nothing matches");
    assert_eq!(reply, json!([1, 2]));
    let err = node
        .act(json!({"role": "nothing", "default$": 7}))
        .await
        .expect_err("Seneca's rule: an object or an array");
    assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
    assert!(err.message().contains("default$"), "{err}");
}

#[tokio::test]
async fn prior_as_sends_the_prior_s_pattern_with_its_json_types() {
    #[derive(serde::Deserialize)]
    struct Flagged {
        flag: bool,
        n: i64,
    }
    let node = Node::builder()
        .without_registered()
        .add("role:t,flag:true", |req: Flagged| async move {
            Ok::<_, ActError>(json!({ "flag": req.flag, "n": req.n }))
        })
        .add(
            "role:t,flag:true,x:1",
            |_msg: Value, ctx: Context| async move {
                // `flag` comes from the prior's pattern as a boolean, and wins over the payload's.
                ctx.prior_as::<Value>(json!({"n": 5, "flag": "no"})).await
            },
        )
        .build()
        .expect("builds");
    let reply = node
        .act(json!({"role": "t", "flag": true, "x": 1}))
        .await
        .expect("the typed prior decodes its input");
    assert_eq!(reply, json!({"flag": true, "n": 5}));
}
