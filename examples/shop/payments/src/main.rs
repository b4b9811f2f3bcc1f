//! The payments service on its own: `cargo run -p payments` (serves what `config/` says).

porticus::link!(payments);

#[tokio::main]
async fn main() -> porticus::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    porticus::run().await
}
