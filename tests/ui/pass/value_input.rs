// `serde_json::Value` in and out: the raw message, without its directives.
use porticus::ActError;
use serde_json::Value;

#[porticus::action("role:echo")]
async fn echo(msg: Value) -> Result<Value, ActError> {
    Ok(msg)
}

fn main() {
    let echo = porticus::__private::inventory::iter::<porticus::__private::Registration>
        .into_iter()
        .next()
        .expect("echo is registered");
    assert_eq!((echo.name, echo.pattern), ("echo", "role:echo"));
}
