//! The Prometheus text format (0.0.4) as OpenMetrics 1.0 text, for a scraper that asks for it.
//!
//! The two differ, for what Porticus exports, in three places: a counter family is named
//! without its `_total` suffix in `# TYPE`/`# HELP` (its samples keep it), there are no blank
//! lines, and the exposition ends with `# EOF`.

/// The `Content-Type` of OpenMetrics text.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of the Prometheus text format.
pub(crate) const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header prefers OpenMetrics (Prometheus sends
/// `application/openmetrics-text;version=1.0.0,…;q=0.5,text/plain;version=0.0.4;q=0.4,…`).
pub(crate) fn wanted(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains("application/openmetrics-text"))
}

/// `text` (Prometheus format) as OpenMetrics.
pub(crate) fn convert(text: &str) -> String {
    let counters: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(text.len() + 8);
    // OpenMetrics has no blank lines (the Prometheus format puts one between families).
    for line in text.lines().filter(|l| !l.is_empty()) {
        let family = ["# TYPE ", "# HELP "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let name = rest.split(' ').next()?;
            let base = name.strip_suffix("_total")?;
            counters
                .contains(&name)
                .then(|| format!("{prefix}{base}{}", &rest[name.len()..]))
        });
        match family {
            Some(renamed) => out.push_str(&renamed),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_lose_their_suffix_in_metadata_only() {
        let text = "# HELP a_total Things.\n# TYPE a_total counter\na_total{x=\"1\"} 3\n\n# TYPE b gauge\nb 1\n";
        assert_eq!(
            convert(text),
            "# HELP a Things.\n# TYPE a counter\na_total{x=\"1\"} 3\n# TYPE b gauge\nb 1\n# EOF\n"
        );
        assert!(wanted(Some(
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
        )));
        assert!(!wanted(Some("text/plain")) && !wanted(None));
    }
}
