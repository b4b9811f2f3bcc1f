//! Read deadlines of one connection: the time a client has to send a request's headers, and
//! the time an idle keep-alive connection is kept.
//!
//! hyper's own `header_read_timeout` also runs while a keep-alive connection waits for its
//! next request, so with it an idle connection could never outlive the header timeout. Instead
//! the socket is wrapped: while no request is being handled, a read that stays pending past
//! the deadline of the current phase fails with `TimedOut`, which makes hyper drop the
//! connection.
//!
//! - *head*: from the accept, or from the first byte after an idle spell, until hyper hands
//!   the request to the service — `header_read_timeout`;
//! - *busy*: a request is being handled (its body has its own timeout, in the endpoint);
//! - *idle*: from the end of a request until the next byte — `keep_alive_idle`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The requests of one connection, shared by its socket and its service.
#[derive(Debug, Default)]
pub(crate) struct Busy {
    /// Requests being handled now.
    active: AtomicUsize,
    /// Requests handed to the service so far.
    started: AtomicUsize,
}

impl Busy {
    /// Marks a request as being handled until the guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> BusyGuard {
        self.active.fetch_add(1, Ordering::AcqRel);
        self.started.fetch_add(1, Ordering::AcqRel);
        BusyGuard(self.clone())
    }

    fn is_busy(&self) -> bool {
        self.active.load(Ordering::Acquire) > 0
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::Acquire)
    }
}

/// A request in progress; see [`Busy::enter`].
#[derive(Debug)]
pub(crate) struct BusyGuard(Arc<Busy>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Head,
    Busy,
    Idle,
}

/// A socket whose reads time out according to the connection's phase.
#[derive(Debug)]
pub(crate) struct Deadlines<IO> {
    io: IO,
    busy: Arc<Busy>,
    /// `busy.started()` when the phase was last decided.
    seen: usize,
    phase: Phase,
    /// When the current phase's read deadline passes.
    deadline: Instant,
    /// Armed for `deadline` only when a read is pending: most phases end before their reads
    /// ever wait (a request's head usually comes in one packet), and re-arming a timer costs
    /// more than comparing two instants.
    timer: Pin<Box<Sleep>>,
    header: Duration,
    idle: Duration,
}

impl<IO> Deadlines<IO> {
    /// Wraps a freshly accepted socket: the client has `header` to send its first request's
    /// headers, and an idle connection is closed after `idle`.
    pub(crate) fn new(io: IO, busy: Arc<Busy>, header: Duration, idle: Duration) -> Self {
        Deadlines {
            io,
            busy,
            seen: 0,
            phase: Phase::Head,
            deadline: Instant::now() + header,
            timer: Box::pin(tokio::time::sleep(header)),
            header,
            idle,
        }
    }

    fn enter(&mut self, phase: Phase, limit: Duration) {
        self.phase = phase;
        self.deadline = Instant::now() + limit;
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Deadlines<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let started = this.busy.started();
        if this.busy.is_busy() {
            this.phase = Phase::Busy;
            this.seen = started;
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        // A request was handled since the last read (hyper need not read while it runs).
        if this.phase == Phase::Busy || started != this.seen {
            this.seen = started;
            this.enter(Phase::Idle, this.idle);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.phase == Phase::Idle && buf.filled().len() > before {
                    this.enter(Phase::Head, this.header);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if this.timer.deadline() != this.deadline {
                    let deadline = this.deadline;
                    this.timer.as_mut().reset(deadline);
                }
                this.timer_expired(cx)
            }
            ready => ready,
        }
    }
}

impl<IO> Deadlines<IO> {
    /// The read that is pending fails with `TimedOut` once the phase's deadline passed.
    fn timer_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                match self.phase {
                    Phase::Idle => "idle keep-alive connection closed",
                    _ => "request headers not received in time",
                },
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Deadlines<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn pair(
        header_ms: u64,
        idle_ms: u64,
    ) -> (
        Deadlines<tokio::io::DuplexStream>,
        tokio::io::DuplexStream,
        Arc<Busy>,
    ) {
        let (server, client) = tokio::io::duplex(64);
        let busy = Arc::new(Busy::default());
        let io = Deadlines::new(
            server,
            busy.clone(),
            Duration::from_millis(header_ms),
            Duration::from_millis(idle_ms),
        );
        (io, client, busy)
    }

    #[tokio::test(start_paused = true)]
    async fn silent_client_times_out_on_headers() {
        let (mut io, mut client, _busy) = pair(100, 10_000);
        client.write_all(b"GET / HT").await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(io.read(&mut buf).await.unwrap(), 8);
        let started = Instant::now();
        let err = io.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() <= Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_lasts_longer_than_the_header_timeout_and_is_bounded() {
        let (mut io, mut client, busy) = pair(100, 1_000);
        let mut buf = [0u8; 64];
        client.write_all(b"request").await.unwrap();
        assert_eq!(io.read(&mut buf).await.unwrap(), 7);
        {
            // hyper hands the request to the service, which answers.
            let _guard = busy.enter();
            client.write_all(b"body").await.unwrap();
            assert_eq!(io.read(&mut buf).await.unwrap(), 4);
        }
        let idle_from = Instant::now();
        tokio::time::advance(Duration::from_millis(500)).await;
        client.write_all(b"next").await.unwrap();
        assert_eq!(
            io.read(&mut buf).await.unwrap(),
            4,
            "still open after 500 ms idle"
        );
        // The next request's head now has the header timeout again.
        let err = io.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(idle_from.elapsed() < Duration::from_millis(1_000));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_is_closed_after_keep_alive() {
        let (mut io, mut client, busy) = pair(100, 1_000);
        let mut buf = [0u8; 64];
        client.write_all(b"request").await.unwrap();
        assert_eq!(io.read(&mut buf).await.unwrap(), 7);
        drop(busy.enter());
        let idle_from = Instant::now();
        let err = io.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(idle_from.elapsed() >= Duration::from_millis(1_000));
        assert!(err.to_string().contains("idle"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_connection_does_not_time_out() {
        let (mut io, mut client, busy) = pair(100, 100);
        let _guard = busy.enter();
        let read = tokio::spawn(async move {
            let mut buf = [0u8; 8];
            io.read(&mut buf).await
        });
        tokio::time::advance(Duration::from_secs(5)).await;
        client.write_all(b"late").await.unwrap();
        assert_eq!(read.await.unwrap().unwrap(), 4);
    }
}
