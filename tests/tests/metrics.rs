//! `GET /metrics` on the admin endpoint of the math example: its acts counted by registered
//! pattern, a page `promtool check metrics` accepts, OpenMetrics on request.

use std::net::SocketAddr;

use porticus_tests::harness::http_caller;
use porticus_tests::process::{self, Service};
use porticus_tests::raw::SOON;
use porticus_tests::scrape::{page as scrape, promtool, sample};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn math_counts_its_acts_by_pattern_on_a_page_promtool_accepts() {
    let bins = process::build(&["math"]);
    let admin = SocketAddr::from(([127, 0, 0, 1], process::free_port()));
    let dir = process::config_copy(
        "examples/math/config",
        &[("127.0.0.1:10101".into(), "127.0.0.1:0".into())],
    );
    let at = admin.to_string();
    let mut math = Service::start_with(
        "math",
        &bins["math"],
        "http",
        &dir,
        &[
            ("PORTICUS__ADMIN__BIND", at.as_str()),
            ("PORTICUS__ADMIN__DRAIN_DELAY_MS", "0"),
        ],
    );
    let url = math.line_after("http listener on ", SOON).await;
    math.wait_for_port(admin, SOON).await;

    let caller = http_caller(&url);
    for right in 0..3 {
        let reply = caller
            .act(json!({"role": "math", "cmd": "sum", "left": 1, "right": right}))
            .await;
        assert_eq!(
            reply.expect("sum"),
            json!({"answer": 1.0 + f64::from(right)})
        );
    }
    let failed = caller
        .act(json!({"role": "math", "cmd": "sum", "left": "one", "right": 2}))
        .await;
    assert!(failed.is_err());

    let (page, content_type) = scrape(admin, None).await;
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let ok = sample(
        &page,
        "porticus_acts_total",
        &[
            r#"pattern="cmd:sum,role:math""#,
            r#"side="server""#,
            r#"outcome="ok""#,
            r#"service="math""#,
        ],
    );
    assert!(ok.is_some_and(|n| n >= 3.0), "{ok:?} in\n{page}");
    let invalid = sample(
        &page,
        "porticus_acts_total",
        &[
            r#"pattern="cmd:sum,role:math""#,
            r#"outcome="act_invalid_msg""#,
        ],
    );
    assert_eq!(invalid, Some(1.0), "{page}");
    assert!(
        sample(
            &page,
            "porticus_act_duration_seconds_count",
            &[r#"pattern="cmd:sum,role:math""#]
        )
        .is_some_and(|n| n >= 4.0),
        "{page}"
    );
    assert!(
        page.contains("porticus_act_duration_seconds_bucket{"),
        "{page}"
    );
    assert!(page.contains("process_resident_memory_bytes"), "{page}");
    if let Some(complaints) = promtool(&page) {
        panic!("promtool check metrics: {complaints}\n{page}");
    }

    // A scraper that asks for OpenMetrics gets it.
    let (open, content_type) = scrape(
        admin,
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    )
    .await;
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert!(open.contains("# TYPE porticus_acts counter"), "{open}");
    math.stop(SOON).await;
}
