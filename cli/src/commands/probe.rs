//! `porticus probe`: one `GET` on a service's admin endpoint (`/livez`, `/readyz`), for a
//! container's `HEALTHCHECK` in an image that has no curl.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use porticus::config::Config;

use crate::exit::Exit;

/// Probes a service's admin endpoint: exit 0 when it answers 2xx (its body printed), 1 for
/// anything else — an error status, no answer in time, nothing listening, no admin endpoint
/// configured. (Docker's HEALTHCHECK reserves exit code 2, so a probe never uses it.)
///
/// Without a URL, the address is the service's own `[admin] bind`, read from its configuration
/// exactly as the service reads it (`PORTICUS_CONFIG_DIR`, `PORTICUS_ENV`, `PORTICUS__…`), with
/// an unspecified IP (`0.0.0.0`, `::`) probed on the loopback.
///
/// Examples:
///
///   porticus probe                 # GET /livez on the admin endpoint of this container's service
///
///   porticus probe /readyz
///
///   porticus probe http://127.0.0.1:9466/readyz
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A path on the service's admin endpoint, or a whole `http://` URL.
    #[arg(value_name = "PATH|URL", default_value = "/livez")]
    pub target: String,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 3_000)]
    pub timeout: u64,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), Exit> {
    let url = url(&args.target)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(args.timeout))
        .build()
        .map_err(|e| Exit::Failed(format!("cannot make an HTTP client: {e}")))?;
    let reply = client.get(&url).send().await.map_err(|e| {
        let why = if e.is_timeout() {
            format!("no answer within {} ms", args.timeout)
        } else {
            "nothing answers there".to_owned()
        };
        Exit::Failed(format!("probe of {url} failed: {why}"))
    })?;
    let status = reply.status();
    let body = reply.text().await.unwrap_or_default();
    if status.is_success() {
        println!("{}", body.trim_end());
        Ok(())
    } else {
        Err(Exit::Failed(format!(
            "probe of {url} answered {status}: {}",
            body.trim_end()
        )))
    }
}

/// The URL to probe: `target` itself when it is a URL, else `target` as a path on the
/// configured admin endpoint.
fn url(target: &str) -> Result<String, Exit> {
    if target.starts_with("http://") || target.starts_with("https://") {
        return Ok(target.to_owned());
    }
    if !target.starts_with('/') {
        return Err(Exit::Failed(format!(
            "`{target}` is neither a path (`/livez`) nor an http:// URL"
        )));
    }
    let config = Config::load()
        .map_err(|e| Exit::Failed(format!("cannot load the service's configuration: {e}")))?;
    let addr = admin_address(config.admin.bind.as_deref())?;
    Ok(format!("http://{addr}{target}"))
}

/// Where the admin endpoint bound at `bind` answers from this host.
fn admin_address(bind: Option<&str>) -> Result<SocketAddr, Exit> {
    let bind = bind.ok_or_else(|| {
        Exit::Failed(
            "the service has no admin endpoint: set [admin] bind or PORTICUS__ADMIN__BIND, or pass a URL"
                .to_owned(),
        )
    })?;
    let mut addr: SocketAddr = bind.parse().map_err(|_| {
        Exit::Failed(format!(
            "[admin] bind `{bind}` is not an IP address and port; pass a URL"
        ))
    })?;
    if addr.port() == 0 {
        return Err(Exit::Failed(format!(
            "[admin] bind `{bind}` picks a free port at start, which the probe cannot know; pass a URL"
        )));
    }
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(result: Result<SocketAddr, Exit>) -> String {
        match result {
            Err(Exit::Failed(message)) => message,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn an_unspecified_bind_is_probed_on_the_loopback() {
        let v4 = admin_address(Some("0.0.0.0:9466")).unwrap();
        assert_eq!(v4.to_string(), "127.0.0.1:9466");
        let v6 = admin_address(Some("[::]:9466")).unwrap();
        assert_eq!(v6.to_string(), "[::1]:9466");
        let kept = admin_address(Some("10.1.2.3:9466")).unwrap();
        assert_eq!(kept.to_string(), "10.1.2.3:9466");
    }

    #[test]
    fn a_bind_the_probe_cannot_reach_is_named() {
        assert!(said(admin_address(None)).contains("no admin endpoint"));
        assert!(
            said(admin_address(Some("127.0.0.1:0"))).contains("`127.0.0.1:0` picks a free port")
        );
        assert!(said(admin_address(Some("admin:9466"))).contains("`admin:9466` is not an IP"));
    }

    #[test]
    fn a_target_that_is_no_path_is_refused() {
        match url("livez") {
            Err(Exit::Failed(message)) => assert!(message.contains("`livez` is neither")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            url("http://127.0.0.1:1/x").ok().as_deref(),
            Some("http://127.0.0.1:1/x")
        );
    }
}
