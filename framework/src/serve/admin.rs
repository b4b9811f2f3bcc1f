//! The server's side of the admin endpoint: bound before the listeners (a taken port fails the
//! start before any broker is contacted), served once the health view exists, stopped last.
//! Without the `admin` feature, a config that sets `[admin] bind` is an error naming it.

use std::net::SocketAddr;
use std::time::Duration;

use super::health::Health;
use crate::config::AdminConfig;
use crate::error::Result;

/// The admin endpoint of a server, and its drain delay.
#[derive(Debug)]
#[cfg_attr(not(feature = "admin"), allow(dead_code))] // Never made without the feature.
pub(super) struct Admin {
    pub(super) drain_delay: Duration,
    #[cfg(feature = "admin")]
    running: crate::admin::Running,
}

/// The bound admin address, not served yet.
#[derive(Debug)]
#[cfg_attr(not(feature = "admin"), allow(dead_code))] // Never made without the feature.
pub(super) struct Bound {
    drain_delay: Duration,
    #[cfg(feature = "admin")]
    bound: crate::admin::Bound,
}

/// Binds `[admin] bind`, when set.
///
/// # Errors
/// Naming `[admin] bind` and the address when it cannot be bound; naming the `admin` feature
/// when it is off.
pub(super) async fn bind(config: &AdminConfig) -> Result<Option<Bound>> {
    let Some(bind) = &config.bind else {
        return Ok(None);
    };
    let drain_delay = Duration::from_millis(config.drain_delay_ms);
    #[cfg(feature = "admin")]
    {
        Ok(Some(Bound {
            drain_delay,
            bound: crate::admin::Bound::bind(bind).await?,
        }))
    }
    #[cfg(not(feature = "admin"))]
    {
        let _ = drain_delay;
        Err(crate::error::Error::new(
            crate::error::ErrorKind::Config,
            format!(
                "the configuration sets [admin] bind = \"{bind}\", but porticus was built without its cargo feature `admin`; enable it: porticus = {{ features = [\"admin\"] }}, or remove [admin] bind"
            ),
        ))
    }
}

#[cfg_attr(not(feature = "admin"), allow(dead_code))]
impl Bound {
    /// Serves the probes for `health` (and every other admin page).
    pub(super) fn serve(self, health: &Health) -> Admin {
        #[cfg(feature = "admin")]
        {
            use crate::admin::{Livez, Pages, Readyz};
            let pages = Pages::default()
                .with("/livez", Livez(health.clone()))
                .with("/readyz", Readyz(health.clone()));
            #[cfg(feature = "metrics")]
            let pages = pages.with("/metrics", crate::metrics::MetricsPage);
            // The startup summary names its address.
            let running = self.bound.serve(pages, health.node().clone());
            Admin {
                drain_delay: self.drain_delay,
                running,
            }
        }
        #[cfg(not(feature = "admin"))]
        {
            let _ = health;
            Admin {
                drain_delay: self.drain_delay,
            }
        }
    }
}

#[cfg_attr(not(feature = "admin"), allow(dead_code))]
impl Admin {
    /// Where it listens.
    pub(super) fn local_addr(&self) -> Option<SocketAddr> {
        #[cfg(feature = "admin")]
        {
            Some(self.running.local_addr())
        }
        #[cfg(not(feature = "admin"))]
        {
            None
        }
    }

    /// Stops serving.
    pub(super) async fn stop(self) {
        #[cfg(feature = "admin")]
        self.running.stop().await;
    }
}

#[cfg(test)]
mod tests {
    /// Runs in the `--no-default-features` build (`.ci/run` tests the core alone).
    #[cfg(not(feature = "admin"))]
    #[tokio::test]
    async fn admin_bind_without_the_feature_is_a_config_error_naming_it() {
        let config = crate::config::Config::from_toml_str("[admin]\nbind = \"127.0.0.1:0\"")
            .expect("a valid document");
        let err = super::bind(&config.admin).await.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        let text = err.to_string();
        assert!(
            text.contains("[admin] bind") && text.contains("cargo feature `admin`"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn no_admin_bind_binds_nothing() {
        let bound = super::bind(&crate::config::AdminConfig::default())
            .await
            .expect("off is fine");
        assert!(bound.is_none());
    }
}
