//! The shop end to end, all services in this one process on the in-process transport.

use porticus::Node;

porticus::link!(payments, orders, notifications, analytics);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_in_process() {
    let node = Node::builder()
        .name("shop")
        .build()
        .expect("the shop's handlers register");
    let (addr, gateway) = gateway::start(node.clone(), "127.0.0.1:0")
        .await
        .expect("bind the gateway");
    let outcome = shop::run(&format!("http://{addr}"), &node)
        .await
        .expect("the scenario runs");
    shop_tests_assert(&outcome);
    node.close();
    gateway.await.expect("the gateway stops");
}

/// The assertions every mode shares.
fn shop_tests_assert(outcome: &shop::Outcome) {
    assert_eq!(outcome.placed.len(), 2, "{outcome:?}");
    let (status, error) = &outcome.declined;
    assert_eq!(*status, 402, "{outcome:?}");
    assert_eq!(error["code"], "card_declined");
    assert_eq!(error["message"], "card …0002 was declined");
    for id in &outcome.placed {
        assert_eq!(
            outcome.notified["orders"][id], 1,
            "notified exactly once: {outcome:?}"
        );
        assert_eq!(
            outcome.stats["events"]["order_placed"][id], 1,
            "{outcome:?}"
        );
        assert_eq!(
            outcome.stats["events"]["order_shipped"][id], 1,
            "{outcome:?}"
        );
    }
}
