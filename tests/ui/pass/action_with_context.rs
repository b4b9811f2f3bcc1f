// An action taking its input and the `Context`; argument patterns and `mut` are fine.
use porticus::__private::{inventory, Registration};
use porticus::{ActError, Context};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Sum {
    pub left: f64,
    pub right: f64,
}

#[derive(Serialize)]
pub struct Total {
    pub answer: f64,
}

/// Adds two numbers.
#[porticus::action("role:math,cmd:sum")]
pub async fn sum(Sum { left, right }: Sum, ctx: porticus::Context) -> Result<Total, ActError> {
    drop(ctx);
    Ok(Total {
        answer: left + right,
    })
}

#[porticus::action("role:math,cmd:negate")]
async fn negate(mut value: f64, _ctx: Context) -> Result<f64, ActError> {
    value = -value;
    Ok(value)
}

fn main() {
    let mut names: Vec<&str> = inventory::iter::<Registration>
        .into_iter()
        .map(|registration| registration.name)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["negate", "sum"]);
    // The function itself is unchanged and can still be called directly.
    let _ = |ctx: Context| negate(1.0, ctx);
}
