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

#[porticus::action("role:math,cmd", verbose)]
fn sum<T>(req: Sum, _ctx: Context, _extra: T) {
    let _ = req.left + req.right;
}

fn main() {}
