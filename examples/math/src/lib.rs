//! The math service: `role:math` actions, copyable as the template of a Porticus service.
//!
//! - `role:math,cmd:sum` adds `left` and `right`;
//! - `role:math,cmd:product` multiplies them;
//! - `role:math,cmd:sum,integer:true` is more specific than `cmd:sum`: it floors its inputs and
//!   hands over to its *prior*, the plain sum.

use porticus::{ActError, Context};
use serde::{Deserialize, Serialize};

/// The operands of every math action.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Operands {
    /// Left operand.
    pub left: f64,
    /// Right operand.
    pub right: f64,
}

/// The reply of every math action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The result.
    pub answer: f64,
}

/// `role:math,cmd:sum`: `left + right`.
#[porticus::action("role:math,cmd:sum")]
pub async fn sum(req: Operands) -> Result<Answer, ActError> {
    Ok(Answer {
        answer: req.left + req.right,
    })
}

/// `role:math,cmd:product`: `left * right`.
#[porticus::action("role:math,cmd:product")]
pub async fn product(req: Operands) -> Result<Answer, ActError> {
    Ok(Answer {
        answer: req.left * req.right,
    })
}

/// `role:math,cmd:sum,integer:true`: floors both operands, then calls its prior (`cmd:sum`).
#[porticus::action("role:math,cmd:sum,integer:true")]
pub async fn integer_sum(req: Operands, ctx: Context) -> Result<Answer, ActError> {
    let floored = Operands {
        left: req.left.floor(),
        right: req.right.floor(),
    };
    ctx.prior_as(floored).await
}
