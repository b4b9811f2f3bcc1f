//! `[gateway.cors]` checked and turned into tower-http's `CorsLayer`, allowing the methods of
//! the routes.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer, ExposeHeaders};

use crate::config::CorsConfig;

/// The layer for `config`, allowing `methods` (and `OPTIONS`); the error lists every fault.
pub(crate) fn layer(config: &CorsConfig, methods: &[Method]) -> Result<CorsLayer, String> {
    let mut faults = Vec::new();
    let any = |list: &[String]| list.iter().any(|o| o == "*");
    let origin = if config.origins.is_empty() {
        faults.push(
            "[gateway.cors] origins is empty: name the origins allowed, or \"*\" for any"
                .to_owned(),
        );
        AllowOrigin::list([])
    } else if any(&config.origins) {
        if config.origins.len() > 1 {
            faults.push(
                "[gateway.cors] origins: \"*\" allows any origin and must stand alone".into(),
            );
        }
        if config.credentials {
            faults.push(
                "[gateway.cors] origins = [\"*\"] cannot go with credentials = true (browsers refuse it); name the origins"
                    .to_owned(),
            );
        }
        AllowOrigin::any()
    } else {
        AllowOrigin::list(config.origins.iter().filter_map(|o| match origin_of(o) {
            Ok(value) => Some(value),
            Err(fault) => {
                faults.push(fault);
                None
            }
        }))
    };
    let allow_headers = if any(&config.headers) {
        if config.credentials {
            faults.push("[gateway.cors] headers = [\"*\"] cannot go with credentials = true; name the headers".to_owned());
        }
        AllowHeaders::any()
    } else {
        AllowHeaders::list(names("headers", &config.headers, &mut faults))
    };
    let expose = if any(&config.expose_headers) {
        if config.credentials {
            faults.push("[gateway.cors] expose_headers = [\"*\"] cannot go with credentials = true; name the headers".to_owned());
        }
        ExposeHeaders::any()
    } else {
        ExposeHeaders::list(names("expose_headers", &config.expose_headers, &mut faults))
    };
    if !faults.is_empty() {
        return Err(faults.join("; "));
    }
    let mut allowed: Vec<Method> = vec![Method::OPTIONS];
    for method in methods {
        if !allowed.contains(method) {
            allowed.push(method.clone());
        }
    }
    Ok(CorsLayer::new()
        .allow_origin(origin)
        .allow_methods(allowed)
        .allow_headers(allow_headers)
        .expose_headers(expose)
        .max_age(Duration::from_secs(config.max_age_s))
        .allow_credentials(config.credentials))
}

/// An origin: `scheme://host[:port]`, nothing after.
fn origin_of(text: &str) -> Result<HeaderValue, String> {
    let fault = || {
        format!(
            "[gateway.cors] origins: `{text}` is not an origin (`https://host` or `http://host:port`, no path)"
        )
    };
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))
        .ok_or_else(fault)?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(fault());
    }
    HeaderValue::from_str(text).map_err(|_| fault())
}

fn names(key: &str, list: &[String], faults: &mut Vec<String>) -> Vec<HeaderName> {
    list.iter()
        .filter_map(|name| match HeaderName::from_bytes(name.as_bytes()) {
            Ok(header) => Some(header),
            Err(_) => {
                faults.push(format!(
                    "[gateway.cors] {key}: `{name}` is not a header name"
                ));
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str], credentials: bool) -> CorsConfig {
        CorsConfig {
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            credentials,
            ..CorsConfig::default()
        }
    }

    #[test]
    fn faults_are_named_and_never_panic() {
        assert!(layer(&cors(&["http://localhost:3000"], true), &[Method::GET]).is_ok());
        assert!(layer(&cors(&["*"], false), &[Method::GET]).is_ok());
        let err = layer(&cors(&["*"], true), &[]).unwrap_err();
        assert!(err.contains("cannot go with credentials"), "{err}");
        let err = layer(&cors(&["localhost:3000", "http://a/b"], false), &[]).unwrap_err();
        assert!(err.contains("`localhost:3000` is not an origin"), "{err}");
        assert!(err.contains("`http://a/b` is not an origin"), "{err}");
        let err = layer(&cors(&[], false), &[]).unwrap_err();
        assert!(err.contains("origins is empty"), "{err}");
        let mut bad = cors(&["http://a"], true);
        bad.headers = vec!["*".into()];
        bad.expose_headers = vec!["bad header".into()];
        let err = layer(&bad, &[]).unwrap_err();
        assert!(err.contains("headers = [\"*\"] cannot go"), "{err}");
        assert!(
            err.contains("expose_headers: `bad header` is not a header name"),
            "{err}"
        );
    }
}
