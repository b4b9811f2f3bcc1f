//! A deliberately minimal HTTP/1.1 client over a raw `TcpStream`, for sending what a real
//! client never would: malformed requests, truncated bodies, headers that never end.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An upper bound for anything the listener is expected to do "soon": generous, so that a slow
/// CI machine never fails a test that is only proving "does not hang".
pub const SOON: Duration = Duration::from_secs(10);

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, raw.
    pub body: Vec<u8>,
}

impl Reply {
    /// The value of header `name` (lowercase), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// If it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// The socket address in `url` (`http://127.0.0.1:1234/act` → `127.0.0.1:1234`).
///
/// # Panics
/// If `url` is not of that shape.
pub fn addr_of(url: &str) -> SocketAddr {
    let rest = url.strip_prefix("http://").expect("an http:// url");
    let host = rest.split('/').next().expect("a host");
    host.parse().expect("an ip:port host")
}

/// Connects to the listener at `url`.
///
/// # Panics
/// If it cannot connect.
pub async fn connect(url: &str) -> TcpStream {
    TcpStream::connect(addr_of(url)).await.expect("connects")
}

/// A `POST` request for `path` with `body`, extra header lines (`"name: value"`) and
/// `Connection: close`.
pub fn post(path: &str, body: &[u8], headers: &[&str]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A request without a body: `method` (`GET`) on `path`, with `Connection: close`.
pub fn bodiless(method: &str, path: &str) -> Vec<u8> {
    format!("{method} {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n").into_bytes()
}

/// Sends `request` on a new connection and reads the response until the server closes.
///
/// # Panics
/// If the connection fails or the response does not arrive within [`SOON`].
pub async fn send(url: &str, request: &[u8]) -> Reply {
    let mut stream = connect(url).await;
    stream.write_all(request).await.expect("request written");
    read_reply(&mut stream).await.expect("a response")
}

/// Reads one response: everything until the server closes the connection, or until the body
/// announced by `content-length` is complete. `None` when the connection closed first.
///
/// # Panics
/// If nothing happens within [`SOON`].
pub async fn read_reply(stream: &mut TcpStream) -> Option<Reply> {
    let mut buf = Vec::new();
    tokio::time::timeout(SOON, async {
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(reply) = parse(&buf) {
                return Some(reply);
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return parse(&buf),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .expect("the listener answers or closes within SOON")
}

/// Waits until the server closes `stream` (EOF or reset); returns what it sent meanwhile.
///
/// # Panics
/// If the connection is still open after [`SOON`].
pub async fn wait_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    tokio::time::timeout(SOON, async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .expect("the listener closes the connection within SOON");
    seen
}

/// Parses a complete response out of `buf` (a `content-length` body, or none).
pub fn parse(buf: &[u8]) -> Option<Reply> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let body = buf.get(end + 4..end + 4 + len)?.to_vec();
    Some(Reply {
        status,
        headers,
        body,
    })
}
