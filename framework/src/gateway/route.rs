//! One route — `METHOD /path/{param}` → pattern — parsed and checked from its `[[route]]`
//! entry, and the checks between routes (duplicates, clashing parameter names).

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::allow::Allow;
use crate::config::RouteConfig;
use crate::error::{Error, ErrorKind};
use crate::pattern::{parse_object, Pattern};

/// The methods a route may take.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// A checked route.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) method: Method,
    /// The path as configured (axum's syntax).
    pub(crate) path: String,
    segments: Vec<Segment>,
    /// The pattern's fields, set over every message of the route.
    pub(crate) fields: Map<String, Value>,
    pub(crate) status: StatusCode,
    /// What the route does, for the OpenAPI document.
    pub(crate) summary: Option<String>,
    /// Who may call it; none: anyone.
    pub(crate) allow: Option<Allow>,
}

/// One segment of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

impl Route {
    /// `GET /orders/{id}`: how errors and listings name the route.
    pub(crate) fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Checks one entry; the error says what is wrong, without naming the route.
    fn parse(config: &RouteConfig) -> Result<Route, String> {
        let method = method_of(&config.method)?;
        let segments = segments_of(&config.path)?;
        let fields = fields_of(&config.pattern)?;
        let status = StatusCode::from_u16(config.status)
            .ok()
            .filter(StatusCode::is_success)
            .ok_or_else(|| format!("`status` must be 200–299, got {}", config.status))?;
        let allow = config.allow.as_deref().map(Allow::new).transpose()?;
        Ok(Route {
            method,
            path: config.path.clone(),
            segments,
            fields,
            status,
            summary: config.summary.clone(),
            allow,
        })
    }

    /// The path's parameters, in order.
    pub(crate) fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// The path with its parameters unnamed (`/orders/{}`): two routes of one method and one
    /// shape are the same route.
    fn shape(&self, upto: usize) -> String {
        self.segments[..upto]
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => format!("/{l}"),
                Segment::Param(_) => "/{}".to_owned(),
            })
            .collect()
    }
}

/// Checks every entry and the entries together; one error lists every fault, each naming its
/// route (`[[route]] 2 (GET /orders/{id})`).
pub(crate) fn parse_all(configs: &[RouteConfig]) -> Result<Vec<Route>, Error> {
    let mut faults = Vec::new();
    let mut routes: Vec<(usize, Route)> = Vec::new();
    let at = |i: usize, c: &RouteConfig| format!("[[route]] {} ({} {})", i + 1, c.method, c.path);
    for (i, config) in configs.iter().enumerate() {
        match Route::parse(config) {
            Ok(route) => routes.push((i, route)),
            Err(fault) => faults.push(format!("{}: {fault}", at(i, config))),
        }
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    // The parameter name at each position, by the shape of the path before it: axum needs one.
    let mut names: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (i, route) in &routes {
        let key = (route.method.to_string(), route.shape(route.segments.len()));
        if let Some(first) = seen.insert(key, *i) {
            faults.push(format!(
                "{}: the same method and path as [[route]] {}",
                at(*i, &configs[*i]),
                first + 1
            ));
        }
        for (n, segment) in route.segments.iter().enumerate() {
            let Segment::Param(name) = segment else {
                continue;
            };
            let (known, first) = names
                .entry(route.shape(n))
                .or_insert_with(|| (name.clone(), *i));
            if known != name {
                faults.push(format!(
                    "{}: parameter `{{{name}}}` where [[route]] {} names the same segment `{{{known}}}`; use one name",
                    at(*i, &configs[*i]),
                    *first + 1
                ));
            }
        }
    }
    if faults.is_empty() {
        Ok(routes.into_iter().map(|(_, r)| r).collect())
    } else {
        Err(Error::new(ErrorKind::Config, faults.join("; ")))
    }
}

fn method_of(text: &str) -> Result<Method, String> {
    METHODS
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| format!("`method` must be GET, POST, PUT, PATCH or DELETE, got `{text}`"))
}

fn segments_of(path: &str) -> Result<Vec<Segment>, String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("`path` must start with `/`, got `{path}`"));
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut params: Vec<&str> = Vec::new();
    rest.split('/')
        .map(|segment| {
            if segment.is_empty() {
                return Err(format!("`path` has an empty segment: `{path}`"));
            }
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    return Err(format!(
                        "`path` parameter `{segment}` must be `{{name}}`, a name of letters, digits and `_`"
                    ));
                }
                if params.contains(&name) {
                    return Err(format!("`path` names `{segment}` twice"));
                }
                params.push(name);
                return Ok(Segment::Param(name.to_owned()));
            }
            if segment.contains(['{', '}', '?', '#', '*', '%', ' ']) {
                return Err(format!(
                    "`path` segment `{segment}` must be plain text or one `{{name}}`"
                ));
            }
            Ok(Segment::Literal(segment.to_owned()))
        })
        .collect()
}

pub(crate) fn fields_of(text: &str) -> Result<Map<String, Value>, String> {
    let fields = parse_object(text).map_err(|e| format!("`pattern` `{text}`: {e}"))?;
    if let Some(key) = fields.keys().find(|k| k.ends_with('$')) {
        return Err(format!(
            "`pattern` `{text}` sets the directive `{key}`; the gateway sets the directives"
        ));
    }
    let pattern = Pattern::from_map(&fields).map_err(|e| format!("`pattern` `{text}`: {e}"))?;
    if pattern.is_empty() {
        return Err("`pattern` is empty; a route must name what it acts".to_owned());
    }
    if pattern.has_glob() {
        return Err(format!(
            "`pattern` `{text}` has a glob; a route acts one pattern, its fields exact"
        ));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str, pattern: &str, status: u16) -> RouteConfig {
        RouteConfig {
            method: method.to_owned(),
            path: path.to_owned(),
            pattern: pattern.to_owned(),
            status,
            summary: None,
            allow: None,
        }
    }

    fn fault(routes: &[RouteConfig]) -> String {
        parse_all(routes).unwrap_err().to_string()
    }

    #[test]
    fn good_routes_parse() {
        let routes = parse_all(&[
            route("post", "/orders", "role:order,cmd:place", 201),
            route("GET", "/orders/{id}", "role:order,cmd:get", 200),
            route("POST", "/orders/{id}/ship", "role:order,cmd:ship", 200),
            route("GET", "/", "role:home", 204),
        ])
        .unwrap();
        assert_eq!(routes[0].name(), "POST /orders");
        assert_eq!(routes[0].status, 201);
        assert_eq!(routes[1].fields["cmd"], "get");
    }

    #[test]
    fn bad_routes_are_named_with_what_is_wrong() {
        let cases = [
            (route("FETCH", "/a", "a:1", 200), "`method` must be"),
            (route("GET", "a", "a:1", 200), "must start with `/`"),
            (route("GET", "/a//b", "a:1", 200), "empty segment"),
            (
                route("GET", "/a/{1x}", "a:1", 200),
                "`{1x}` must be `{name}`",
            ),
            (route("GET", "/a/{x}/{x}", "a:1", 200), "names `{x}` twice"),
            (route("GET", "/a/b{x}", "a:1", 200), "must be plain text"),
            (route("GET", "/a", "a:", 200), "`pattern` `a:`"),
            (route("GET", "/a", "", 200), "`pattern` is empty"),
            (route("GET", "/a", "a:*", 200), "has a glob"),
            (
                route("GET", "/a", "a:1,timeout$:5", 200),
                "directive `timeout$`",
            ),
            (
                route("GET", "/a", "a:1", 404),
                "`status` must be 200–299, got 404",
            ),
            (route("GET", "/a", "a:1", 1000), "got 1000"),
        ];
        for (config, expected) in cases {
            let got = fault(&[route("GET", "/ok", "ok:1", 200), config.clone()]);
            assert!(got.contains(expected), "{config:?}: {got}");
            let name = format!("[[route]] 2 ({} {})", config.method, config.path);
            assert!(got.starts_with(&name), "{got}");
        }
    }

    #[test]
    fn duplicates_and_clashing_names_are_errors() {
        let got = fault(&[
            route("GET", "/orders/{id}", "a:1", 200),
            route("get", "/orders/{id}", "a:2", 200),
        ]);
        assert!(
            got.contains("[[route]] 2 (get /orders/{id}): the same method and path as [[route]] 1"),
            "{got}"
        );
        let got = fault(&[
            route("GET", "/orders/{id}", "a:1", 200),
            route("POST", "/orders/{oid}/ship", "a:2", 200),
        ]);
        assert!(
            got.contains("parameter `{oid}` where [[route]] 1 names the same segment `{id}`"),
            "{got}"
        );
        parse_all(&[
            route("GET", "/orders/{id}", "a:1", 200),
            route("POST", "/orders/{id}", "a:2", 200),
            route("GET", "/orders/new", "a:3", 200),
        ])
        .unwrap();
    }
}
