//! Series that do not grow with the values inside messages: 10,000 acts with distinct values,
//! and to patterns that match nothing, add no series to `GET /metrics`. (A file of its own: the
//! recorder is one per process, and no other test may act in this one.)

use porticus::config::Config;
use porticus::{ActError, Node};
use porticus_tests::scrape::{sample, text as scrape};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_do_not_grow_with_the_values_in_messages() {
    let config = Config::from_toml_str(
        "[service]\nname = \"cardinal\"\n[admin]\nbind = \"127.0.0.1:0\"\ndrain_delay_ms = 0",
    )
    .expect("config");
    let node = Node::builder()
        .without_registered()
        .name("cardinal")
        .add("role:echo", |msg: Value| async move {
            if msg["fail"].as_bool() == Some(true) {
                return Err(ActError::new("echo_refused", "refused"));
            }
            Ok::<_, ActError>(msg)
        })
        .build()
        .expect("node");
    let server = node.start(&config).await.expect("start");
    let admin = server.admin_address().expect("an admin endpoint");
    let series = |page: &str| page.lines().filter(|l| !l.starts_with('#')).count();

    for i in 0..10 {
        let _ = node
            .act(json!({"role": "echo", "id": i, "fail": i % 2 == 0}))
            .await;
        let _ = node.act(json!({"role": format!("nobody-{i}")})).await;
    }
    let before = scrape(admin).await;
    for i in 10..10_010 {
        let text = format!("value-{i}");
        let _ = node
            .act(json!({"role": "echo", "id": i, "text": text, "fail": i % 2 == 0}))
            .await;
        let _ = node
            .act(json!({"role": format!("nobody-{i}"), "x": i}))
            .await;
    }
    let after = scrape(admin).await;
    let porticus = |page: &str| {
        page.lines()
            .filter(|l| l.starts_with("porticus_"))
            .map(|l| {
                l.rsplit_once(' ')
                    .map_or(l, |(series, _)| series)
                    .to_owned()
            })
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(porticus(&before), porticus(&after), "new series appeared");
    assert!(
        series(&after) <= series(&before) + 2,
        "{before}\n---\n{after}"
    );
    let ok = sample(
        &after,
        "porticus_acts_total",
        &[
            r#"pattern="role:echo""#,
            r#"side="local""#,
            r#"outcome="ok""#,
        ],
    );
    assert_eq!(ok, Some(5_005.0), "{after}");
    let not_found = sample(
        &after,
        "porticus_acts_total",
        &[r#"pattern="(none)""#, r#"outcome="act_not_found""#],
    );
    assert_eq!(not_found, Some(10_010.0), "{after}");
    assert!(!after.contains("nobody-"), "a message value became a label");
    server.shutdown().await.expect("shutdown");
}
