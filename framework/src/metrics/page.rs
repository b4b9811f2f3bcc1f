//! `GET /metrics` on the admin endpoint.

use serde_json::json;

use crate::admin::{Asked, Page, Reply};

/// The metrics page: the Prometheus text format, or OpenMetrics when the scraper's `Accept`
/// asks for it.
#[derive(Debug)]
pub(crate) struct MetricsPage;

impl Page for MetricsPage {
    fn respond(&self, asked: &Asked<'_>) -> Reply {
        match super::render(asked.header("accept")) {
            Some((body, content_type)) => Reply {
                status: 200,
                content_type,
                body: body.into_bytes(),
            },
            None => Reply::json(
                503,
                &json!({
                    "error": "metrics_unavailable",
                    "message": "Porticus's Prometheus recorder is not installed: the application installed another metrics recorder first",
                }),
            ),
        }
    }
}
