//! The probes: `/livez` (the runtime answers) and `/readyz` (the node can take work).

use std::time::SystemTime;

use serde_json::{json, Value};

use super::pages::{Asked, Page, Reply};
use super::timestamp::rfc3339;
use crate::serve::{Health, ListenerReadiness, ReadinessReport};

/// `GET /livez`: 200 `{"status":"ok", …}` whenever it is answered at all — the answer comes
/// from the same runtime that serves the acts, so a wedged runtime fails the probe by timing
/// out. It does not look at listeners or brokers: a broker outage must not get the process
/// restarted.
#[derive(Debug)]
pub(crate) struct Livez(pub(crate) Health);

impl Page for Livez {
    fn respond(&self, _: &Asked<'_>) -> Reply {
        let node = self.0.node();
        Reply::json(
            200,
            &json!({
                "status": "ok",
                "service": node.name(),
                "instance": node.instance(),
            }),
        )
    }
}

/// `GET /readyz`: 200 while serving with every listener ready; else 503, naming the phase
/// (draining, closed) and each listener that is not ready with why and since when.
#[derive(Debug)]
pub(crate) struct Readyz(pub(crate) Health);

impl Page for Readyz {
    fn respond(&self, _: &Asked<'_>) -> Reply {
        let report = self.0.report();
        let node = self.0.node();
        let ready = report.is_ready();
        let status = if ready {
            "ready"
        } else if report.phase() == crate::serve::Phase::Serving {
            "not_ready"
        } else {
            report.phase().as_str()
        };
        let mut body = json!({
            "status": status,
            "phase": report.phase().as_str(),
            "service": node.name(),
            "instance": node.instance(),
            "listeners": report.listeners().iter().map(listener).collect::<Vec<_>>(),
        });
        if !ready {
            body["reasons"] = Value::from(reasons(&report));
        }
        Reply::json(if ready { 200 } else { 503 }, &body)
    }
}

fn listener(l: &ListenerReadiness) -> Value {
    let mut out = json!({
        "transport": l.transport(),
        "address": l.address(),
        "ready": l.is_ready(),
        "since": rfc3339(l.since()),
    });
    if !l.is_ready() {
        out["reason"] = Value::from(l.reason().unwrap_or("not ready (no reason given)"));
        out["for_ms"] = Value::from(elapsed_ms(l.since()));
    }
    out
}

/// One line per cause, for a person reading the probe's output.
fn reasons(report: &ReadinessReport) -> Vec<String> {
    let mut out = Vec::new();
    match report.phase() {
        crate::serve::Phase::Draining => out.push(
            "the service is draining: told to stop (SIGTERM), it still serves during [admin] drain_delay_ms, then stops taking work".to_owned(),
        ),
        crate::serve::Phase::Closed => {
            out.push("the service is closed: it no longer takes work".to_owned());
        }
        _ => {}
    }
    for l in report.not_ready() {
        out.push(format!(
            "{} listener {}: {} (since {})",
            l.transport(),
            l.address(),
            l.reason().unwrap_or("not ready (no reason given)"),
            rfc3339(l.since())
        ));
    }
    out
}

fn elapsed_ms(since: SystemTime) -> u64 {
    SystemTime::now()
        .duration_since(since)
        .map_or(0, |d| d.as_millis() as u64)
}
