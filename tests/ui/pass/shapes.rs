// Less common but valid: braced and quoted patterns, raw identifiers, a handler declared in a
// function body, one function registered twice, other attributes kept in place, and a handler
// compiled out by `#[cfg]` together with its registration.
use porticus::__private::{inventory, Registration};
use porticus::ActError;

type Reply<T> = Result<T, ActError>;

#[porticus::action("{ role: text, cmd: 'upper case', sep: \"a,b\" }")]
async fn r#type(text: String) -> Reply<String> {
    Ok(text.to_uppercase())
}

#[porticus::action("role:text,cmd:lower")]
#[porticus::action("role:text,cmd:lowercase")]
#[allow(clippy::unused_async)]
async fn lower(text: String) -> Result<String, ActError> {
    Ok(text.to_lowercase())
}

#[porticus::action("role:text,cmd:never")]
#[cfg(any())]
async fn never(text: String) -> Result<String, ActError> {
    Ok(text)
}

#[porticus::action("{}")]
async fn fallback(_msg: serde_json::Value) -> Result<(), ActError> {
    Ok(())
}

fn main() {
    #[porticus::event("event:local")]
    async fn local(_ev: serde_json::Value) -> Result<(), ActError> {
        Ok(())
    }

    let mut all: Vec<(&str, &str)> = inventory::iter::<Registration>
        .into_iter()
        .map(|registration| (registration.name, registration.pattern))
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        [
            ("fallback", "{}"),
            ("local", "event:local"),
            ("lower", "role:text,cmd:lower"),
            ("lower", "role:text,cmd:lowercase"),
            ("type", "{ role: text, cmd: 'upper case', sep: \"a,b\" }"),
        ]
    );
}
