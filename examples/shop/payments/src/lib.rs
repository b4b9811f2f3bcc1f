//! The payments service: `role:payment,cmd:charge`.
//!
//! Cards ending in `0002` are declined with the error code `card_declined`, so that a remote
//! error crosses the wire back to the orders service and the gateway.

use porticus::{ActError, Code};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A request to charge a card.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Charge {
    /// The order being paid.
    pub order: String,
    /// The card number.
    pub card: String,
    /// The amount, in cents.
    pub amount_cents: u64,
}

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// The payment's id.
    pub payment: String,
    /// The order paid.
    pub order: String,
    /// The amount charged, in cents.
    pub amount_cents: u64,
}

/// The code of a declined card.
pub const CARD_DECLINED: &str = "card_declined";

/// `role:payment,cmd:charge`: charges the card, or declines it.
#[porticus::action("role:payment,cmd:charge")]
pub async fn charge(req: Charge) -> Result<Receipt, ActError> {
    let last4 = &req.card[req.card.len().saturating_sub(4)..];
    if last4 == "0002" {
        tracing::info!(order = %req.order, "payments: declined card …{last4}");
        return Err(ActError::new(
            Code::new(CARD_DECLINED),
            format!("card …{last4} was declined"),
        )
        .with_details(json!({ "order": req.order })));
    }
    if req.amount_cents == 0 {
        return Err(ActError::invalid_msg(
            "nothing to charge: amount_cents is 0",
        ));
    }
    tracing::info!(order = %req.order, amount_cents = req.amount_cents, "payments: charged card …{last4}");
    Ok(Receipt {
        payment: format!("pay-{}", req.order),
        order: req.order,
        amount_cents: req.amount_cents,
    })
}
