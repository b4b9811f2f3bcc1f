//! `cargo run -p shop -- --serve`: the whole shop serving the gateway — live page, REST and
//! Socket.IO — on `[app] serve` (127.0.0.1:8080) until ctrl-c, with a warehouse that ships every
//! placed order after `[app] ship_after_ms`, so that a customer on the page sees the order
//! placed, paid and shipped without doing anything else.

use std::time::Duration;

use porticus::config::Config;
use porticus::{ActError, Context, Node, NodeBuilder};
use serde_json::{json, Value};

/// How long the warehouse takes to ship a placed order when `[app] ship_after_ms` is not set.
pub const SHIP_AFTER: Duration = Duration::from_millis(1500);

/// The warehouse: on every `event:order_placed`, waits `after` and ships the order
/// (`role:order,cmd:ship`), which emits `event:order_shipped`.
pub fn warehouse(builder: NodeBuilder, after: Duration) -> NodeBuilder {
    builder.subscribe(
        "event:order_placed",
        move |event: Value, ctx: Context| async move {
            let Some(order) = event["order"].as_str().map(str::to_owned) else {
                tracing::warn!(%event, "warehouse: an order_placed event without an order id");
                return Ok::<_, ActError>(());
            };
            // The event is acknowledged at once; the shipping happens a little later, on its own.
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                match ctx
                    .act(json!({"role": "order", "cmd": "ship", "id": order}))
                    .await
                {
                    Ok(_) => tracing::info!(%order, "warehouse: shipped"),
                    Err(err) => tracing::warn!(%order, error = %err, "warehouse: could not ship"),
                }
            });
            Ok(())
        },
    )
}

/// Serves the shop until ctrl-c: builds the node with the gateway's sockets and the
/// warehouse, starts the listeners of `config`, binds `[app] serve` and prints the page's URL.
///
/// # Errors
/// When the node cannot be built or started, or the address cannot be bound.
pub async fn serve(config: &Config) -> anyhow::Result<()> {
    let setting = |key: &str| config.app.get(key).cloned().unwrap_or(Value::Null);
    let bind = setting("serve");
    let bind = bind.as_str().unwrap_or("127.0.0.1:8080");
    let after = setting("ship_after_ms")
        .as_u64()
        .map_or(SHIP_AFTER, Duration::from_millis);
    let sockets = gateway::sockets();
    let builder = Node::builder().config(config).sockets(&sockets);
    let node = warehouse(builder, after).build()?;
    let signal = porticus::shutdown_signal();
    let server = node.start(config).await?;
    let (addr, task) = gateway::serve(node.clone(), &sockets, bind).await?;
    println!("shop live on http://{addr}/ (REST, Socket.IO and the live page); ctrl-c stops");
    server.serve_until(signal).await?;
    task.await?;
    Ok(())
}
