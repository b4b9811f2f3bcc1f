//! The shop end to end, all services in this one process on the in-process transport.

use porticus::Node;

mod common;

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
    common::assert_outcome(&outcome);
    node.close();
    gateway.await.expect("the gateway stops");
}
