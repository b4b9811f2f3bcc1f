// A crate that re-exports porticus points the generated code at its own path.
mod my_facade {
    pub use ::porticus;
}

mod handlers {
    use crate::my_facade::porticus::ActError;

    #[crate::my_facade::porticus::action(
        "role:math,cmd:double",
        crate = "crate::my_facade::porticus"
    )]
    async fn double(n: i64) -> Result<i64, ActError> {
        Ok(n * 2)
    }

    #[crate::my_facade::porticus::event("event:doubled", crate = "crate::my_facade::porticus")]
    async fn doubled(_n: i64) -> Result<(), ActError> {
        Ok(())
    }
}

fn main() {
    let modules: Vec<&str> =
        porticus::__private::inventory::iter::<porticus::__private::Registration>
            .into_iter()
            .map(|registration| registration.module)
            .collect();
    let handlers = format!("{}::handlers", module_path!());
    assert_eq!(modules, [handlers.as_str(), handlers.as_str()]);
}
