// `override` marks the registration that replaces another for the same pattern.
use porticus::__private::{inventory, Registration};
use porticus::ActError;

#[porticus::action("role:math,cmd:sum")]
async fn sum(req: Vec<i64>) -> Result<i64, ActError> {
    Ok(req.iter().sum())
}

#[porticus::action("role:math,cmd:sum", override)]
async fn checked_sum(req: Vec<i64>) -> Result<i64, ActError> {
    req.iter()
        .try_fold(0_i64, |total, term| total.checked_add(*term))
        .ok_or_else(|| ActError::execute("overflow"))
}

fn main() {
    let mut all: Vec<(&str, bool)> = inventory::iter::<Registration>
        .into_iter()
        .map(|registration| (registration.name, registration.overrides))
        .collect();
    all.sort_unstable();
    assert_eq!(all, [("checked_sum", true), ("sum", false)]);
}
