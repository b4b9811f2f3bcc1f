//! Watching a connection for lapin's recovery failing: giving up, or stalling.
//!
//! lapin's automatic recovery has two ways to leave a connection dead for ever. When it runs
//! out of attempts it stops reconnecting but leaves the connection "reconnecting", so anything
//! waiting for the recovery waits for ever. And now and then (lapin issue #450; 3 times in 10
//! broker restarts here) it never opens a socket again, even with unlimited attempts, while
//! the broker accepts connections (with several nodes, `urls`: while any of them does). The
//! watchdog turns both into a verdict that the listener and the client act on: fail (gave up)
//! or open a new connection (stalled).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::{Connection, Event};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::connection::Settings;
use crate::metrics::links::Link;
use crate::transport::Readiness;

/// Why a connection is lost for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lost {
    /// Closed or errored, or not connected for longer than the bounded attempts can take.
    GaveUp,
    /// The broker has accepted connections for a while, yet lapin has not reconnected.
    Stalled,
}

impl Lost {
    /// What to say in an error or a log line.
    pub(super) fn describe(self) -> &'static str {
        match self {
            Lost::GaveUp => "the connection to the broker is lost and recovery gave up",
            Lost::Stalled => {
                "the connection to the broker did not recover although the broker accepts connections again"
            }
        }
    }
}

/// How often the watchdog looks at the connection.
const TICK: Duration = Duration::from_millis(250);
/// How long a TCP probe of the broker may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// Beyond twice the longest backoff, how long a reachable broker gives lapin to reconnect.
const STALL_GRACE: Duration = Duration::from_secs(4);

/// A task watching one connection; aborted when dropped.
#[derive(Debug)]
pub(super) struct Watchdog {
    verdict: watch::Receiver<Option<Lost>>,
    task: JoinHandle<()>,
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watchdog {
    /// Starts watching `connection`, opened with `settings`, keeping `ready` and `link` (the
    /// metrics of the client's or listener's connection, whichever connection it has now) set to
    /// whether it is connected (and, when not, saying so, with the broker's masked URL).
    pub(super) fn spawn(
        connection: Arc<Connection>,
        settings: &Settings,
        ready: Readiness,
        link: Arc<Link>,
    ) -> Watchdog {
        let (tell, verdict) = watch::channel(None);
        let budget = settings.give_up_budget();
        let stall_after = settings.reconnect_max().saturating_mul(2) + STALL_GRACE;
        let brokers = settings.broker_addresses();
        let down = format!(
            "the connection to the broker {} is down; reconnecting",
            settings.masked()
        );
        let task = tokio::spawn(async move {
            let lost = watch(
                &connection,
                (&ready, &link),
                &down,
                budget,
                stall_after,
                &brokers,
            )
            .await;
            ready.set_not_ready(lost.describe());
            link.set(false);
            let _ = tell.send(Some(lost));
        });
        Watchdog { verdict, task }
    }

    /// The verdict so far: `None` while the connection works or may still recover.
    pub(super) fn lost(&self) -> Option<Lost> {
        *self.verdict.borrow()
    }

    /// Resolves with the verdict once the connection is lost for good.
    pub(super) async fn until_lost(&self) -> Lost {
        let mut verdict = self.verdict.clone();
        let lost = verdict.wait_for(Option::is_some).await.map(|v| *v);
        match lost {
            Ok(lost) => lost.unwrap_or(Lost::GaveUp),
            Err(_) => std::future::pending().await,
        }
    }
}

async fn watch(
    connection: &Connection,
    (ready, link): (&Readiness, &Link),
    down: &str,
    budget: Option<Duration>,
    stall_after: Duration,
    brokers: &[(String, u16)],
) -> Lost {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut down_since: Option<Instant> = None;
    let mut reachable_since: Option<Instant> = None;
    // lapin tells of a drop and of each recovery as it happens: the metrics see a reconnection
    // faster than the tick could.
    let mut events = Box::pin(connection.events_listener());
    let mut listening = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            event = events.next(), if listening => {
                match event {
                    Some(Event::Error(_)) => link.set(false),
                    Some(Event::Connected) => link.set(true),
                    Some(_) => {}
                    None => listening = false,
                }
                continue;
            }
        }
        let status = connection.status();
        link.set(status.connected());
        if status.connected() {
            ready.set(true);
        } else {
            ready.set_not_ready(down);
        }
        if status.errored() || status.closed() {
            return Lost::GaveUp;
        }
        if status.connected() || status.closing() {
            (down_since, reachable_since) = (None, None);
            continue;
        }
        let since = *down_since.get_or_insert_with(Instant::now);
        if budget.is_some_and(|budget| since.elapsed() > budget) {
            return Lost::GaveUp;
        }
        if brokers.is_empty() {
            continue;
        }
        if let Some((host, port)) = reachable(brokers).await {
            let reachable = *reachable_since.get_or_insert_with(Instant::now);
            if reachable.elapsed() > stall_after && !connection.status().connected() {
                tracing::warn!(
                    broker = %format!("{host}:{port}"),
                    down_s = since.elapsed().as_secs(),
                    "lapin has not reconnected although the broker accepts connections; a new connection replaces it"
                );
                return Lost::Stalled;
            }
        } else {
            reachable_since = None;
        }
    }
}

/// The first broker node that accepts a TCP connection (closed again at once), if any.
async fn reachable(brokers: &[(String, u16)]) -> Option<&(String, u16)> {
    for broker in brokers {
        let connect = tokio::net::TcpStream::connect((broker.0.as_str(), broker.1));
        if matches!(
            tokio::time::timeout(PROBE_TIMEOUT, connect).await,
            Ok(Ok(_))
        ) {
            return Some(broker);
        }
    }
    None
}
