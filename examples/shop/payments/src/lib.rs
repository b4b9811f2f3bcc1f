//! The payments service: `role:payment,cmd:charge`.
//!
//! Cards ending in `0002` are declined with the error code `card_declined`, so that a remote
//! error crosses the wire back to the orders service and the gateway. A charge is validated
//! before the handler runs and described by a JSON Schema (`docs/contracts.md`).

use garde::Validate;
use porticus::{ActError, Code};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A request to charge a card.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, JsonSchema)]
pub struct Charge {
    /// The order being paid.
    #[garde(length(min = 1, max = 64))]
    pub order: String,
    /// The card number.
    #[garde(length(min = 4, max = 32))]
    pub card: String,
    /// The amount, in cents: at least one.
    #[garde(range(min = 1))]
    pub amount_cents: u64,
}

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[porticus::action("role:payment,cmd:charge", validate, schema)]
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
    tracing::info!(order = %req.order, amount_cents = req.amount_cents, "payments: charged card …{last4}");
    Ok(Receipt {
        payment: format!("pay-{}", req.order),
        order: req.order,
        amount_cents: req.amount_cents,
    })
}
