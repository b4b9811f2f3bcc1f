//! A service whose `main` is `porticus::run()` and which links no handler — what a service whose
//! handlers live in a library that `main` forgot to `porticus::link!` looks like. The logs tests
//! start it to see that it says so.

#[tokio::main(flavor = "current_thread")]
async fn main() -> porticus::Result<()> {
    porticus::run().await
}
