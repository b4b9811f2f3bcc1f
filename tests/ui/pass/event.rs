// Event subscribers, with and without the `Context`, returning `Result<(), E>`.
use porticus::__private::{inventory, Kind, Registration};
use porticus::{ActError, Context};
use serde::Deserialize;

#[derive(Deserialize)]
struct OrderShipped {
    order: u64,
}

#[porticus::event("event:order_shipped")]
async fn notify(ev: OrderShipped, _ctx: Context) -> Result<(), ActError> {
    let _ = ev.order;
    Ok(())
}

#[porticus::event("event:order_shipped")]
async fn audit(_ev: OrderShipped) -> Result<(), ActError> {
    Ok(())
}

fn main() {
    let all: Vec<&Registration> = inventory::iter::<Registration>.into_iter().collect();
    assert_eq!(all.len(), 2);
    for registration in all {
        assert_eq!(registration.kind, Kind::Event);
        assert_eq!(registration.pattern, "event:order_shipped");
        assert!(!registration.overrides);
    }
}
