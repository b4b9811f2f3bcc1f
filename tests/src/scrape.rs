//! Reading `GET /metrics` off an admin endpoint: the page, one sample, `promtool`'s verdict.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

/// The page and its content type, asking with `accept` when given.
///
/// # Panics
/// When the endpoint does not answer 200.
pub async fn page(admin: SocketAddr, accept: Option<&str>) -> (String, String) {
    let mut request = reqwest::Client::new().get(format!("http://{admin}/metrics"));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let reply = request.send().await.expect("the admin endpoint answers");
    assert_eq!(reply.status(), 200);
    let content_type = reply.headers()["content-type"].to_str().unwrap().to_owned();
    (reply.text().await.expect("a body"), content_type)
}

/// The page in the Prometheus text format.
pub async fn text(admin: SocketAddr) -> String {
    page(admin, None).await.0
}

/// The value of the sample `name{labels…}` whose label set contains every one of `labels`
/// (each written `key="value"`).
pub fn sample(page: &str, name: &str, labels: &[&str]) -> Option<f64> {
    page.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// `promtool check metrics` on `page`: its complaints, or `None` when it accepts it.
///
/// # Panics
/// When `promtool` cannot be run (Debian package `prometheus`; `.ci/run` installs it).
pub fn promtool(page: &str) -> Option<String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (Debian package `prometheus`; .ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (!out.status.success() || !said.trim().is_empty()).then_some(said)
}
