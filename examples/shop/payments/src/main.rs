//! The payments service on its own: `cargo run -p payments` (serves what `config/` says).

porticus::link!(payments);

#[tokio::main]
async fn main() -> porticus::Result<()> {
    porticus::run().await
}
