//! The TCP options of a Socket.IO connection.

use std::time::Duration;

use tokio::net::TcpStream;

/// `TCP_NODELAY` (no Nagle delay on small frames) and `TCP_USER_TIMEOUT` = `silence`: the
/// kernel aborts the connection when data it sent stays unacknowledged that long — including a
/// client that stopped reading (its window stays shut), which would otherwise hold the
/// connection's writer, and so its session, open for good.
pub(crate) fn tune(stream: &TcpStream, silence: Duration) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY on a socket.io connection");
    }
    if let Err(e) = socket2::SockRef::from(stream).set_tcp_user_timeout(Some(silence)) {
        tracing::warn!(error = %e, "cannot set TCP_USER_TIMEOUT on a socket.io connection: a client that stops reading keeps its connection");
    }
}
