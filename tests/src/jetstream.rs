//! Raw access to the test NATS server (plain async-nats, no Porticus): configs with names
//! unique to a test, dead letters, malformed messages, and the removal of what earlier runs
//! left behind.

use std::time::Duration;

use async_nats::jetstream::stream::Stream;
use async_nats::jetstream::Context;
use futures_util::StreamExt;
use porticus::config::{Config, ListenConfig, NatsClientConfig, NatsListenConfig};

/// The NATS server the tests use: `$PORTICUS_TEST_NATS_URL`, else the machine's
/// (`nats://127.0.0.1:4222`, with JetStream). Tests never skip when it is down: they fail,
/// saying so.
pub fn nats_url() -> String {
    std::env::var("PORTICUS_TEST_NATS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| porticus::config::DEFAULT_NATS_URL.to_owned())
}

/// The panic message of a test that cannot reach the NATS server.
pub fn nats_down(err: &dyn std::fmt::Display) -> String {
    format!(
        "NATS (with JetStream) is not reachable at {} (set PORTICUS_TEST_NATS_URL, or start it: `nats-server -js`): {err}",
        nats_url()
    )
}

/// Names unique to one test: a subject prefix (`pt.<tag>.<pid>.<n>.<salt>`) and stream names
/// (`PT_<pid>_…_EV` and its dead-letter stream `PT_<pid>_…_DLQ`).
#[derive(Debug, Clone)]
pub struct Names {
    /// First subject token(s).
    pub prefix: String,
    /// The event stream.
    pub stream: String,
    /// The dead-letter stream.
    pub dead_letters: String,
}

impl Names {
    /// New names for a test tagged `tag`.
    pub fn new(tag: &str) -> Names {
        let unique = crate::harness::unique_prefix(tag);
        let rest: String = unique
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let token = format!("PT_{}_{rest}", std::process::id());
        Names {
            prefix: unique,
            stream: format!("{token}_EV"),
            dead_letters: format!("{token}_DLQ"),
        }
    }
}

/// A listener and a client config on `names`, against `url`, with fast retries (20 ms backoff
/// doubling to 200 ms), a 2 s ack wait and a 2 s drain, so that fault tests run quickly.
pub fn nats_configs(names: &Names, url: &str) -> (NatsListenConfig, NatsClientConfig) {
    let mut listen = NatsListenConfig::default();
    listen.url = url.to_owned();
    listen.subject_prefix.clone_from(&names.prefix);
    listen.stream.clone_from(&names.stream);
    listen.dead_letter_stream.clone_from(&names.dead_letters);
    listen.stream_max_age_ms = 3_600_000;
    listen.event_retry_backoff_ms = 20;
    listen.event_retry_backoff_max_ms = 200;
    listen.ack_wait_ms = 2_000;
    listen.drain_timeout_ms = 2_000;
    let mut client = NatsClientConfig::default();
    client.url = url.to_owned();
    client.subject_prefix.clone_from(&names.prefix);
    (listen, client)
}

/// A config with one `[[listen]]`: the NATS listener `listen`.
pub fn nats_listening(name: &str, listen: NatsListenConfig) -> Config {
    let mut config = Config::default();
    config.service.name = name.to_owned();
    config.listen.push(ListenConfig::Nats(Box::new(listen)));
    config
}

/// A message read from a dead-letter stream.
#[derive(Debug, Clone)]
pub struct Dead {
    /// The event's body, as emitted.
    pub body: Vec<u8>,
    /// Its headers, first value of each.
    pub headers: std::collections::BTreeMap<String, String>,
}

/// A plain JetStream connection.
#[derive(Debug, Clone)]
pub struct Jet {
    /// The core connection.
    pub client: async_nats::Client,
    /// Its JetStream context.
    pub js: Context,
}

impl Jet {
    /// Connects to `url`.
    ///
    /// # Panics
    /// When the server is unreachable (tests never skip).
    pub async fn connect(url: &str) -> Jet {
        let client = async_nats::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{}", nats_down(&e)));
        let js = async_nats::jetstream::new(client.clone());
        Jet { client, js }
    }

    /// The stream `name`.
    ///
    /// # Panics
    /// When it does not exist.
    pub async fn stream(&self, name: &str) -> Stream {
        self.js
            .get_stream(name)
            .await
            .unwrap_or_else(|e| panic!("stream `{name}`: {e}"))
    }

    /// Every message of the dead-letter stream `name` (none if it does not exist).
    pub async fn dead_letters(&self, name: &str) -> Vec<Dead> {
        let Ok(mut stream) = self.js.get_stream(name).await else {
            return Vec::new();
        };
        let Ok(info) = stream.info().await else {
            return Vec::new();
        };
        let (first, last) = (info.state.first_sequence, info.state.last_sequence);
        let mut out = Vec::new();
        for seq in first..=last {
            if let Ok(msg) = stream.get_raw_message(seq).await {
                let headers = msg
                    .headers
                    .iter()
                    .filter_map(|(k, v)| Some((k.to_string(), v.first()?.as_str().to_owned())))
                    .collect();
                out.push(Dead {
                    body: msg.payload.to_vec(),
                    headers,
                });
            }
        }
        out
    }

    /// Waits (up to `within`) until the dead-letter stream `name` holds `count` messages.
    pub async fn wait_dead_letters(&self, name: &str, count: usize, within: Duration) -> Vec<Dead> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let dead = self.dead_letters(name).await;
            if dead.len() >= count || tokio::time::Instant::now() >= deadline {
                return dead;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Deletes the streams of `names`.
    pub async fn cleanup(&self, names: &Names) {
        let _ = self.js.delete_stream(&names.stream).await;
        let _ = self.js.delete_stream(&names.dead_letters).await;
    }

    /// Deletes the `PT_<pid>_…` streams of test processes that are no longer running (runs
    /// that were killed before they cleaned up).
    pub async fn sweep(&self) {
        let mut names = self.js.stream_names();
        let mut stale = Vec::new();
        while let Some(Ok(name)) = names.next().await {
            let Some(rest) = name.strip_prefix("PT_") else {
                continue;
            };
            let pid = rest.split('_').next().and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid {
                let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
                if !alive {
                    stale.push(name);
                }
            }
        }
        for name in stale {
            let _ = self.js.delete_stream(&name).await;
        }
    }
}
