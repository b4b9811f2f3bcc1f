//! The test kit (feature `testing`): unit-test a service's handlers and event flows in one
//! process, with its dependencies mocked, its emits captured, events injected the way a broker
//! delivers them, seeded faults and virtual time.
//!
//! A [`TestNode`] is a node built from chosen handlers (named by their functions) or from every
//! handler linked into the test binary, with no transport. Every act that no handler answers
//! goes to a [`Mock`] registered for its pattern; an act that matches neither is a test bug: it
//! fails with `act_not_found` listing what was registered and mocked, and the test fails when
//! the `TestNode` is dropped. Every `emit` is recorded, and events can be handed to the node's
//! subscribers directly, to see each one's outcome and how a broker would settle it.
//!
//! ```
//! use porticus::testing::{Mock, TestNode};
//! use porticus::{ActError, Context};
//! use serde_json::{json, Value};
//!
//! #[porticus::action("role:order,cmd:place")]
//! async fn place(order: Value, ctx: Context) -> Result<Value, ActError> {
//!     let charge = ctx.act(json!({"role": "payment", "cmd": "charge", "amount": order["total"]})).await?;
//!     ctx.emit(json!({"event": "order_placed", "id": order["id"]})).await?;
//!     Ok(json!({"placed": charge["approved"]}))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let node = TestNode::builder()
//!     .handler(place)
//!     .mock("role:payment,cmd:charge", Mock::value(json!({"approved": true})))
//!     .build();
//! let reply = node.act(json!({"role": "order", "cmd": "place", "id": 7, "total": 30})).await.unwrap();
//! assert_eq!(reply, json!({"placed": true}));
//! node.assert_called("role:payment,cmd:charge", 1);
//! assert_eq!(node.calls("role:payment")[0].msg["amount"], json!(30));
//! node.assert_emitted("event:order_placed", 1);
//! # }
//! ```
//!
//! Time: everything the node waits for — deadlines, `timeout$`, mock latencies, seeded delays,
//! redelivery backoff — runs on tokio's clock, so under `#[tokio::test(start_paused = true)]`
//! (the feature turns on tokio's `test-util`) a 20 s deadline passes at once.
//!
//! See `docs/testing.md`.

mod builder;
mod harness;
mod injected;
mod mock;
mod node;
mod seed;

pub use builder::TestNodeBuilder;
pub use harness::{Call, Emitted};
pub use injected::{Injected, Order};
pub use mock::Mock;
pub use node::TestNode;
pub use seed::{Seed, SEED_VAR};

pub use crate::transport::local::{FaultRule, Faults};
