//! The node the AMQP-mode tests read the subscribers' view back through: clients of its own
//! pinned to the notification and analytics services.

use porticus::config::AmqpClientConfig;
use porticus::transport::amqp::AmqpClient;
use porticus::Node;
use porticus_tests::harness::{amqp_url, broker_down};

/// A node whose clients reach `role:notification` and `role:analytics` over RabbitMQ, its
/// connections named `name`.
///
/// # Panics
/// When the broker cannot be reached.
pub async fn reader(name: &str) -> Node {
    let client = |pin: &str| {
        let mut config = AmqpClientConfig::default();
        config.url = amqp_url();
        config.pin = pin.to_owned();
        AmqpClient::new(&config, name).expect("a valid client config")
    };
    let notifications = client("role:notification,cmd:*");
    notifications
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", broker_down(&e)));
    Node::builder()
        .without_registered()
        .client("role:notification", notifications)
        .client("role:analytics", client("role:analytics,cmd:*"))
        .build()
        .expect("the reader node")
}
