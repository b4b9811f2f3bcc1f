//! The notifications service on its own: `cargo run -p notifications` (serves what `config/` says).

porticus::link!(notifications);

#[tokio::main]
async fn main() -> porticus::Result<()> {
    porticus::run().await
}
