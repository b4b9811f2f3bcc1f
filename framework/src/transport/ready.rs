//! [`Readiness`]: whether a listener can take messages right now.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag a listener keeps up to date and [`Server::is_ready`](crate::Server::is_ready) reads;
/// clones share it. An AMQP listener is ready while its connection to the broker is up; an
/// HTTP listener is ready once bound.
///
/// ```
/// use porticus::transport::Readiness;
///
/// let listener_side = Readiness::new(false);
/// let server_side = listener_side.clone();
/// listener_side.set(true);
/// assert!(server_side.get());
/// ```
#[derive(Debug, Clone)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// A flag starting as `ready`.
    pub fn new(ready: bool) -> Readiness {
        Readiness(Arc::new(AtomicBool::new(ready)))
    }

    /// Sets the flag, for every clone.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    /// Reads the flag.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}
