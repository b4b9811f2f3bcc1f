//! The analytics service on its own: `cargo run -p analytics` (serves what `config/` says).

porticus::link!(analytics);

#[tokio::main]
async fn main() -> porticus::Result<()> {
    porticus::run().await
}
