//! What the tests that run the shop as separate processes share: its binaries and the
//! configuration rewrites of a run over AMQP.

use porticus_tests::harness::amqp_url;

/// The shop's five service binaries.
pub const BINARIES: [&str; 5] = [
    "payments",
    "orders",
    "notifications",
    "analytics",
    "gateway",
];

/// The rewrites of the services' config files for a run over AMQP: the test's broker, and the
/// gateway's HTTP API on a free port.
#[allow(dead_code)] // The HTTP and NATS modes rewrite other addresses.
pub fn amqp_moves() -> [(String, String); 2] {
    [
        (
            "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
            amqp_url(),
        ),
        ("127.0.0.1:8080".to_owned(), "127.0.0.1:0".to_owned()),
    ]
}
