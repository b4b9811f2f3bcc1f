//! `role:auth,cmd:socket`: the Socket.IO authorizer. A browser connects with
//! `auth: {customer}` and may then place orders for that customer only and subscribe to that
//! customer's events only (docs/realtime.md). A real shop would check a session token here;
//! the example trusts the name, so that the page needs no login.

use porticus::{ActError, Code};
use serde::Deserialize;
use serde_json::{json, Value};

/// The handshake's `auth` payload, as the authorizer receives it.
#[derive(Debug, Deserialize)]
pub struct SocketAuth {
    /// What the client sent as `auth` (`{"customer": "ada"}`).
    #[serde(default)]
    pub auth: Value,
}

/// The code of a refused connection.
pub const UNAUTHORIZED: &str = "unauthorized";

/// `role:auth,cmd:socket`: the patterns a customer's socket may act and subscribe to.
#[porticus::action("role:auth,cmd:socket")]
pub async fn socket(req: SocketAuth) -> Result<Value, ActError> {
    let customer = req.auth.get("customer").and_then(Value::as_str);
    let customer = customer.filter(|c| valid(c)).ok_or_else(|| {
        ActError::new(
            Code::new(UNAUTHORIZED),
            "connect with auth {customer}: 1 to 64 letters, digits, `-` or `_`",
        )
    })?;
    Ok(json!({
        "act": [format!("role:order,cmd:place,customer:{customer}")],
        "subscribe": [format!("customer:{customer}")],
    }))
}

/// A customer name that is safe inside a pattern.
fn valid(customer: &str) -> bool {
    (1..=64).contains(&customer.len())
        && customer
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
