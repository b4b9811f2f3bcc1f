//! The live page: `GET /` (plain HTML), `GET /live.js` (its script) and `GET /socket.io.min.js`
//! (the vendored Socket.IO browser client, page/vendor/README.md). Built into the binary.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("../page/index.html");
const LIVE_JS: &str = include_str!("../page/live.js");
const SOCKET_IO_JS: &str = include_str!("../page/vendor/socket.io.min.js");

/// The page's three files, for the gateway's router.
pub fn router() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { file("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/live.js",
            get(|| async { file("text/javascript; charset=utf-8", LIVE_JS) }),
        )
        .route(
            "/socket.io.min.js",
            get(|| async { file("text/javascript; charset=utf-8", SOCKET_IO_JS) }),
        )
}

fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
}
