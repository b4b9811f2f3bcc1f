// An action taking only its input; the registration records what the attribute says.
use porticus::__private::{inventory, Kind, Registration};
use porticus::ActError;
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

#[porticus::action("  role:math,cmd:sum  ")]
async fn sum(req: Sum) -> Result<Total, ActError> {
    Ok(Total {
        answer: req.left + req.right,
    })
}

fn main() {
    let all: Vec<&Registration> = inventory::iter::<Registration>.into_iter().collect();
    assert_eq!(all.len(), 1);
    let sum = all[0];
    assert_eq!(sum.pattern, "role:math,cmd:sum");
    assert_eq!(sum.kind, Kind::Action);
    assert_eq!(sum.name, "sum");
    assert_eq!(sum.module, module_path!());
    assert!(
        sum.file.ends_with("action_without_context.rs"),
        "{}",
        sum.file
    );
    assert_eq!(sum.line, 17);
    assert!(!sum.overrides);
    let _handler = (sum.make)();
}
