//! Shared test support for Porticus: handlers under `role:suite`, the behaviour suite whose
//! bodies run unchanged against every transport, and the harnesses that set a transport up.
//!
//! A transport's test file instantiates the whole suite with one line:
//!
//! ```text
//! porticus_tests::behaviour_suite!(porticus_tests::harness::local_transport);
//! ```

pub mod broker;
pub mod broker_cluster;
pub mod cluster_load;
pub mod deploy;
pub mod handlers;
pub mod harness;
pub mod interop;
pub mod jetstream;
pub mod netns_cluster;
pub mod npm;
pub mod private_broker;
pub mod private_nats;
pub mod process;
pub mod proxy;
pub mod python;
pub mod raw;
pub mod scrape;
pub mod seen;
pub mod service_process;
pub mod socketio;
pub mod suite;
pub mod tls;
