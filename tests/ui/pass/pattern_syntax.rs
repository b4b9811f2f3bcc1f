// Pattern text the runtime parser accepts compiles too (the macro checks the same language): a
// trailing comma, non-ASCII letters in bare keys, braces, quotes and directive keys, which the
// pattern drops as Seneca's `clean` does.
use porticus::__private::{inventory, Registration};
use porticus::pattern::Pattern;
use porticus::ActError;
use serde_json::Value;

#[porticus::action("role:math,cmd:sum,")]
async fn trailing_comma(msg: Value) -> Result<Value, ActError> {
    Ok(msg)
}

#[porticus::action("rôle:maths,opération:somme")]
async fn non_ascii_keys(msg: Value) -> Result<Value, ActError> {
    Ok(msg)
}

#[porticus::action("{ role:math, cmd:'product', }")]
async fn braced(msg: Value) -> Result<Value, ActError> {
    Ok(msg)
}

#[porticus::action("role:math,cmd:div,timeout$:500")]
async fn directive(msg: Value) -> Result<Value, ActError> {
    Ok(msg)
}

fn main() {
    let mut canonical: Vec<String> = inventory::iter::<Registration>
        .into_iter()
        .map(|reg| Pattern::parse(reg.pattern).unwrap().to_string())
        .collect();
    canonical.sort();
    assert_eq!(
        canonical,
        [
            "cmd:div,role:math",
            "cmd:product,role:math",
            "cmd:sum,role:math",
            "opération:somme,rôle:maths",
        ]
    );
}
