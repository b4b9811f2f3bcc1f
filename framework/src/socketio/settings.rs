//! [`Settings`]: `[socketio]`, checked — its patterns parsed, its limits above zero.

use std::time::Duration;

use super::access::Access;
use crate::config::SocketIoConfig;
use crate::error::{Error, ErrorKind};
use crate::pattern::Pattern;

/// `[socketio]` with every pattern parsed and every limit checked.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) path: String,
    pub(crate) events: Vec<Pattern>,
    pub(crate) authorizer: Option<Pattern>,
    /// What a socket may do without an authorizer.
    pub(crate) access: Access,
    pub(crate) timeout_cap: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_message_bytes: usize,
    pub(crate) max_acts_per_second: u32,
    pub(crate) max_acts_in_flight: usize,
    pub(crate) max_subscriptions: usize,
    pub(crate) max_buffered: usize,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
}

impl Settings {
    /// Checks `config`, reporting every fault at once.
    pub(crate) fn from_config(config: &SocketIoConfig) -> Result<Settings, Error> {
        let mut faults = Vec::new();
        let mut patterns = |key: &str, texts: &[String]| -> Vec<Pattern> {
            texts
                .iter()
                .filter_map(|text| match Pattern::parse(text) {
                    Ok(pattern) => Some(pattern),
                    Err(e) => {
                        faults.push(format!("`{key}` holds a malformed pattern `{text}`: {e}"));
                        None
                    }
                })
                .collect()
        };
        let events = patterns("events", &config.events);
        let act = patterns("act", &config.act);
        let subscribe = patterns("subscribe", &config.subscribe);
        let authorizer = config
            .authorizer
            .as_deref()
            .and_then(|text| match Pattern::parse(text) {
                Ok(pattern) if pattern.has_glob() || pattern.is_empty() => {
                    faults.push(format!(
                        "`authorizer` must name one action, without globs, got `{text}`"
                    ));
                    None
                }
                Ok(pattern) => Some(pattern),
                Err(e) => {
                    faults.push(format!("`authorizer` is a malformed pattern `{text}`: {e}"));
                    None
                }
            });
        if !config.path.starts_with('/')
            || config.path.len() < 2
            || config.path.contains(['?', '#', '{', '}'])
        {
            faults.push(format!(
                "`path` must start with `/`, name a path and hold no `?`, `#`, `{{` or `}}`, got `{}`",
                config.path
            ));
        }
        for (key, value) in [
            ("timeout_ms", config.timeout_ms),
            ("max_connections", config.max_connections as u64),
            ("max_message_bytes", config.max_message_bytes as u64),
            ("max_acts_per_second", u64::from(config.max_acts_per_second)),
            ("max_acts_in_flight", config.max_acts_in_flight as u64),
            ("max_subscriptions", config.max_subscriptions as u64),
            ("max_buffered", config.max_buffered as u64),
            ("ping_interval_ms", config.ping_interval_ms),
            ("ping_timeout_ms", config.ping_timeout_ms),
        ] {
            if value == 0 {
                faults.push(format!("`{key}` must be greater than 0"));
            }
        }
        if !faults.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                format!("[socketio]: {}", faults.join("; ")),
            ));
        }
        Ok(Settings {
            path: config.path.trim_end_matches('/').to_owned(),
            events,
            authorizer,
            access: Access { act, subscribe },
            timeout_cap: Duration::from_millis(config.timeout_ms),
            max_connections: config.max_connections,
            max_message_bytes: config.max_message_bytes,
            max_acts_per_second: config.max_acts_per_second,
            max_acts_in_flight: config.max_acts_in_flight,
            max_subscriptions: config.max_subscriptions,
            max_buffered: config.max_buffered,
            ping_interval: Duration::from_millis(config.ping_interval_ms),
            ping_timeout: Duration::from_millis(config.ping_timeout_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_is_named_at_once() {
        let config = SocketIoConfig {
            events: vec![
                "role:order".into(),
                "role:order,event:shipped".into(),
                "role:".into(),
            ],
            authorizer: Some("role:auth,cmd:*".into()),
            act: vec!["cmd:".into()],
            max_buffered: 0,
            path: "socket".into(),
            ..SocketIoConfig::default()
        };
        let err = Settings::from_config(&config).unwrap_err().to_string();
        for part in [
            "`events` holds a malformed pattern `role:`",
            "`act` holds a malformed pattern `cmd:`",
            "`authorizer` must name one action, without globs, got `role:auth,cmd:*`",
            "`path` must start with `/`",
            "`max_buffered` must be greater than 0",
        ] {
            assert!(err.contains(part), "{part:?} missing from {err}");
        }
    }

    #[test]
    fn the_defaults_allow_nothing() {
        let settings = Settings::from_config(&SocketIoConfig::default()).expect("valid defaults");
        assert_eq!(settings.access, Access::default());
        assert!(settings.events.is_empty() && settings.authorizer.is_none());
        assert_eq!(settings.path, "/socket.io");
    }
}
