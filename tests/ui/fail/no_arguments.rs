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

#[porticus::action("role:math,cmd:zero")]
async fn zero() -> Result<Total, ActError> {
    Ok(Total { answer: 0.0 })
}

fn main() {}
