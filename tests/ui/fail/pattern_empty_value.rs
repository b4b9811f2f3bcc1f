#![allow(dead_code, unused_imports)]
use porticus::{ActError, Context};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Sum {
    left: f64,
    right: f64,
}

#[derive(Serialize)]
struct Total {
    answer: f64,
}

#[porticus::action("role:,cmd:sum")]
async fn sum(req: Sum, _ctx: Context) -> Result<Total, ActError> {
    Ok(Total {
        answer: req.left + req.right,
    })
}

fn main() {}
