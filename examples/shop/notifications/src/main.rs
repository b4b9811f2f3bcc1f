//! The notifications service on its own: `cargo run -p notifications` (serves what `config/` says).

porticus::link!(notifications);

#[tokio::main]
async fn main() -> porticus::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    porticus::run().await
}
