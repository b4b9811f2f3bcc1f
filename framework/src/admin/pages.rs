//! The admin endpoint's routes: named pages, each answering `GET` on one path, and the JSON
//! errors for every other path and method.
//!
//! A page is anything implementing [`Page`]; [`Pages::with`] adds one under its path. The
//! probes are two pages (`/livez`, `/readyz`); a metrics layer adds `/metrics` the same way,
//! where the endpoint's pages are put together (`serve/admin.rs`).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

/// What a page answers: a status, a content type and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// A JSON reply with `status`.
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()),
        }
    }
}

/// What a page sees of a request: its path and headers (a metrics page reads `Accept` to
/// choose between the Prometheus text format and OpenMetrics).
#[derive(Debug)]
pub(crate) struct Asked<'a> {
    request: &'a Request<hyper::body::Incoming>,
}

impl Asked<'_> {
    /// The value of header `name`, when present and visible ASCII.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))] // The metrics page negotiates.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.request.headers().get(name)?.to_str().ok()
    }
}

/// One admin page: answers `GET` on its path. Answering must not block: it runs on the
/// runtime's threads, and `/livez` is answered by the same runtime.
pub(crate) trait Page: Send + Sync + 'static {
    /// The reply to a `GET` of this page.
    fn respond(&self, asked: &Asked<'_>) -> Reply;
}

/// The pages of the admin endpoint, by path.
#[derive(Default)]
pub(crate) struct Pages {
    pages: Vec<(&'static str, Box<dyn Page>)>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.pages.iter().map(|(path, _)| path))
            .finish()
    }
}

impl Pages {
    /// Adds `page` at `path` (`"/metrics"`).
    ///
    /// # Panics
    /// When `path` does not start with `/` or is already taken: the pages are fixed in code.
    #[track_caller]
    pub(crate) fn with(mut self, path: &'static str, page: impl Page) -> Pages {
        assert!(
            path.starts_with('/'),
            "admin page path `{path}` must start with `/`"
        );
        assert!(
            self.pages.iter().all(|(p, _)| *p != path),
            "admin page `{path}` added twice"
        );
        self.pages.push((path, Box::new(page)));
        self
    }

    /// The paths served, in the order added.
    pub(crate) fn paths(&self) -> Vec<&'static str> {
        self.pages.iter().map(|(path, _)| *path).collect()
    }

    /// Answers one request: the page at its path for `GET`; 405 for another method on a page's
    /// path; 404 for any other path. Every answer is uncacheable.
    pub(crate) fn respond(
        &self,
        request: &Request<hyper::body::Incoming>,
    ) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        let reply = match self.pages.iter().find(|(p, _)| *p == path) {
            Some((_, page)) if request.method() == Method::GET => page.respond(&Asked { request }),
            Some(_) => {
                let mut response = to_response(self.wrong_method(request));
                response
                    .headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("GET"));
                return response;
            }
            None => self.unknown_path(path),
        };
        to_response(reply)
    }

    fn unknown_path(&self, path: &str) -> Reply {
        let shown: String = path.chars().take(200).collect();
        Reply::json(
            404,
            &json!({
                "code": "not_found",
                "message": format!(
                    "nothing is served at {shown} on the admin endpoint; it serves {}",
                    self.paths().join(", ")
                ),
                "details": { "path": shown, "paths": self.paths() },
            }),
        )
    }

    fn wrong_method(&self, request: &Request<hyper::body::Incoming>) -> Reply {
        Reply::json(
            405,
            &json!({
                "code": "method_not_allowed",
                "message": format!(
                    "{} is not allowed on {}; admin pages are read with GET",
                    request.method(),
                    request.uri().path()
                ),
                "details": { "method": request.method().as_str(), "allow": ["GET"] },
            }),
        )
    }
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
