//! [`Readiness`]: whether a listener can take messages right now, and if not, why and since
//! when.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// A flag a listener keeps up to date and [`Server::readiness`](crate::Server::readiness)
/// reads; clones share it. An AMQP or NATS listener is ready while its connection to the
/// broker is up, and says why it is not when the connection is down; an HTTP listener is ready
/// once bound.
///
/// ```
/// use porticus::transport::Readiness;
///
/// let listener_side = Readiness::new(true);
/// let server_side = listener_side.clone();
/// listener_side.set_not_ready("the connection to the broker is down; reconnecting");
/// assert!(!server_side.get());
/// let state = server_side.state();
/// assert_eq!(state.reason(), Some("the connection to the broker is down; reconnecting"));
/// listener_side.set(true);
/// assert!(server_side.get());
/// assert_eq!(server_side.state().reason(), None);
/// ```
#[derive(Debug, Clone)]
pub struct Readiness(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    /// Read without the lock: [`Readiness::get`] is the hot question.
    ready: AtomicBool,
    detail: Mutex<Detail>,
}

#[derive(Debug, Clone)]
struct Detail {
    reason: Option<String>,
    since: SystemTime,
}

/// A snapshot of a [`Readiness`]: ready or not, why not, and since when.
///
/// ```
/// use porticus::transport::Readiness;
/// use std::time::SystemTime;
///
/// let before = SystemTime::now();
/// let ready = Readiness::new(false);
/// let state = ready.state();
/// assert!(!state.is_ready());
/// assert_eq!(state.reason(), None); // not ready, no reason given
/// assert!(state.since() >= before);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessState {
    ready: bool,
    reason: Option<String>,
    since: SystemTime,
}

impl ReadinessState {
    /// Whether the listener can take messages.
    ///
    /// ```
    /// assert!(porticus::transport::Readiness::new(true).state().is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Why it is not ready, when the listener said (`None` while ready).
    ///
    /// ```
    /// use porticus::transport::Readiness;
    ///
    /// let ready = Readiness::new(true);
    /// ready.set_not_ready("stopping");
    /// assert_eq!(ready.state().reason(), Some("stopping"));
    /// ```
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// When it last turned ready or not ready (its creation, if it never changed).
    ///
    /// ```
    /// use porticus::transport::Readiness;
    ///
    /// let ready = Readiness::new(true);
    /// let first = ready.state().since();
    /// ready.set(true); // no change: same instant
    /// assert_eq!(ready.state().since(), first);
    /// ```
    pub fn since(&self) -> SystemTime {
        self.since
    }
}

impl Readiness {
    /// A flag starting as `ready`, with no reason.
    ///
    /// ```
    /// assert!(porticus::transport::Readiness::new(true).get());
    /// ```
    pub fn new(ready: bool) -> Readiness {
        Readiness(Arc::new(Shared {
            ready: AtomicBool::new(ready),
            detail: Mutex::new(Detail {
                reason: None,
                since: SystemTime::now(),
            }),
        }))
    }

    /// Sets the flag, for every clone. `true` clears the reason; `false` keeps the reason
    /// already given, if any (prefer [`set_not_ready`](Self::set_not_ready), which says why).
    /// The [`since`](ReadinessState::since) instant moves only when the flag changes.
    ///
    /// ```
    /// use porticus::transport::Readiness;
    ///
    /// let ready = Readiness::new(true);
    /// ready.set(false);
    /// assert!(!ready.get());
    /// ```
    pub fn set(&self, ready: bool) {
        self.update(ready, None);
    }

    /// Marks it not ready because of `reason` ("the connection to the broker is down"), for
    /// every clone. Called again while not ready, it replaces the reason and keeps the
    /// instant it turned not ready.
    ///
    /// ```
    /// use porticus::transport::Readiness;
    ///
    /// let ready = Readiness::new(true);
    /// ready.set_not_ready("the connection to the broker is down; reconnecting");
    /// let down_since = ready.state().since();
    /// ready.set_not_ready("the connection to the broker is lost; recovery gave up");
    /// assert_eq!(ready.state().since(), down_since);
    /// assert!(ready.state().reason().unwrap().contains("gave up"));
    /// ```
    pub fn set_not_ready(&self, reason: impl Into<String>) {
        self.update(false, Some(reason.into()));
    }

    fn update(&self, ready: bool, reason: Option<String>) {
        let was = self.0.ready.load(Ordering::Acquire);
        if ready && was {
            return; // The common case (a watchdog's tick): nothing to lock.
        }
        let mut detail = self.0.detail.lock().unwrap_or_else(PoisonError::into_inner);
        if self.0.ready.swap(ready, Ordering::AcqRel) != ready {
            detail.since = SystemTime::now();
            detail.reason = None;
        }
        if ready {
            detail.reason = None;
        } else if reason.is_some() {
            detail.reason = reason;
        }
    }

    /// Reads the flag.
    ///
    /// ```
    /// assert!(!porticus::transport::Readiness::new(false).get());
    /// ```
    pub fn get(&self) -> bool {
        self.0.ready.load(Ordering::Acquire)
    }

    /// The flag with its reason and the instant it last changed.
    ///
    /// ```
    /// use porticus::transport::Readiness;
    ///
    /// let ready = Readiness::new(true);
    /// ready.set_not_ready("stopping: finishing the messages in flight");
    /// let state = ready.state();
    /// assert!(!state.is_ready());
    /// assert_eq!(state.reason(), Some("stopping: finishing the messages in flight"));
    /// ```
    pub fn state(&self) -> ReadinessState {
        let detail = self
            .0
            .detail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        ReadinessState {
            ready: self.get(),
            reason: detail.reason,
            since: detail.since,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Readiness;

    #[test]
    fn since_moves_only_on_a_change() {
        let ready = Readiness::new(true);
        let created = ready.state().since();
        std::thread::sleep(std::time::Duration::from_millis(5));
        ready.set(true);
        assert_eq!(ready.state().since(), created);
        ready.set_not_ready("down");
        let down = ready.state().since();
        assert!(down > created);
        std::thread::sleep(std::time::Duration::from_millis(5));
        ready.set(false);
        assert_eq!(ready.state().since(), down);
        assert_eq!(
            ready.state().reason(),
            Some("down"),
            "set(false) keeps the reason"
        );
        ready.set(true);
        assert!(ready.state().since() > down);
        assert_eq!(ready.state().reason(), None);
    }
}
