//! The orders service on its own: `cargo run -p orders` (serves what `config/` says).

porticus::link!(orders);

#[tokio::main]
async fn main() -> porticus::Result<()> {
    porticus::run().await
}
