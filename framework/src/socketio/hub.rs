//! [`Hub`]: the connected sockets, and the push of each event the node receives to the sockets
//! subscribed to it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use socketioxide::extract::SocketRef;
use socketioxide::socket::Sid;
use socketioxide::{SendError, SocketError};

use super::session::{Session, Slot};
use crate::metrics::sockets::{self, Drop};

/// The name of the Socket.IO event that carries a pushed event.
pub(crate) const EVENT: &str = "event";

/// Every connected socket of one [`Sockets`](super::Sockets), however many routers serve it.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    /// Connected sockets plus those being authorized.
    taken: Arc<AtomicUsize>,
    sockets: Mutex<HashMap<Sid, (SocketRef, Arc<Session>)>>,
    /// The message ids of the last events pushed through [`publish_once`](Self::publish_once).
    recent: Mutex<VecDeque<Box<str>>>,
}

/// How many event ids [`Hub::publish_once`] remembers: far more than the subscriptions one
/// event can run at once.
const RECENT: usize = 256;

impl Hub {
    /// A place for one more socket, if fewer than `max` are taken.
    pub(crate) fn reserve(&self, max: usize) -> Option<Slot> {
        Slot::take(&self.taken, max)
    }

    /// Sockets connected now.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// A socket finished connecting.
    pub(crate) fn join(&self, socket: SocketRef, session: Arc<Session>) {
        self.lock().insert(socket.id, (socket, session));
    }

    /// A socket left; its session, if it was connected.
    pub(crate) fn leave(&self, sid: Sid) -> Option<Arc<Session>> {
        self.lock().remove(&sid).map(|(_, session)| session)
    }

    /// Pushes `event` to every socket with a matching subscription; how many it reached. A
    /// socket whose buffer is full is marked slow, gets no more events, and is disconnected.
    pub(crate) fn publish(&self, event: &Value) -> usize {
        let targets: Vec<(SocketRef, Arc<Session>)> = self
            .lock()
            .values()
            .filter(|(_, session)| session.wants(event))
            .map(|(socket, session)| (socket.clone(), session.clone()))
            .collect();
        let mut reached = 0;
        for (socket, session) in targets {
            if session.is_slow() {
                sockets::dropped(Drop::SlowClient);
                continue;
            }
            match socket.emit(EVENT, event) {
                Ok(()) => reached += 1,
                Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                    sockets::dropped(Drop::SlowClient);
                    if session.mark_slow() {
                        tracing::warn!(
                            socket = %socket.id,
                            "socket.io client does not read its events: its outgoing buffer is full; disconnecting it (slow_client)"
                        );
                        // Fails while the buffer is full: the next ping, which cannot be
                        // queued either, then closes the connection.
                        socket.clone().disconnect().ok();
                    }
                }
                Err(SendError::Socket(SocketError::Closed)) => sockets::dropped(Drop::Closed),
                Err(err) => {
                    tracing::error!(socket = %socket.id, error = %err, "an event could not be encoded for socket.io");
                }
            }
        }
        sockets::pushed(reached as u64);
        reached
    }

    /// [`publish`](Self::publish), unless the event with message id `id` was published already:
    /// an event matching several of `[socketio] events` runs the node's subscription once per
    /// pattern, and is pushed once.
    pub(crate) fn publish_once(&self, id: &str, event: &Value) -> usize {
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            if recent.iter().any(|seen| &**seen == id) {
                return 0;
            }
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(id.into());
        }
        self.publish(event)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Sid, (SocketRef, Arc<Session>)>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }
}
