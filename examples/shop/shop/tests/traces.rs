//! OpenTelemetry traces across processes: the shop in AMQP mode, every service exporting its
//! spans over OTLP/HTTP to a receiver in the test. One order placed through the gateway is one
//! trace: the gateway's client span → orders' server span → orders' client span → payments'
//! server span, and orders' producer span → analytics' consumer span for `order_placed`.

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use porticus_tests::process::{self, Service};
use serde_json::json;

mod otlp_receiver;
mod processes;

use otlp_receiver::{Received, Receiver};

const SOON: Duration = Duration::from_secs(30);
/// Subscribers first: an event's queue must exist before it is emitted.
const SERVICES: [&str; 4] = ["notifications", "analytics", "payments", "orders"];

/// The spans of one trace, as received.
struct Trace(Vec<Received>);

impl Trace {
    /// The one span `service` sent of `kind` named `name`, if it arrived.
    fn span(&self, service: &str, kind: SpanKind, name: &str) -> Option<&Received> {
        let mut found = self
            .0
            .iter()
            .filter(|r| r.service == service && r.span.kind == kind as i32 && r.span.name == name);
        let first = found.next();
        assert!(
            found.next().is_none(),
            "one {kind:?} span {name:?} from {service}: {:#?}",
            self.0
        );
        first
    }
}

/// The trace the gateway's act started, once all of `expected` arrived (or `None`).
fn trace_of(spans: &[Received], expected: &[(&str, SpanKind, &str)]) -> Option<Trace> {
    let root = spans.iter().find(|r| {
        r.service == "gateway"
            && r.span.kind == SpanKind::Client as i32
            && r.span.name == "cmd:*,role:order"
    })?;
    let trace = Trace(
        spans
            .iter()
            .filter(|r| r.span.trace_id == root.span.trace_id)
            .cloned()
            .collect(),
    );
    expected
        .iter()
        .all(|(service, kind, name)| trace.span(service, *kind, name).is_some())
        .then_some(trace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_over_amqp_is_one_trace_through_every_service() {
    let receiver = Receiver::start().await;
    let endpoint = format!("http://{}", receiver.address);
    let bins = process::build(&processes::BINARIES);
    let moves = processes::amqp_moves();
    let vars = [
        ("PORTICUS__ADMIN__BIND", "127.0.0.1:0"),
        ("PORTICUS__ADMIN__DRAIN_DELAY_MS", "0"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        // Batches every 100 ms rather than every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let mut running = Vec::new();
    for name in SERVICES {
        let dir = process::config_copy(&format!("examples/shop/{name}/config"), &moves);
        let mut service = Service::start_with(name, &bins[name], "amqp", &dir, &vars);
        service.line_containing("listener on ", SOON).await;
        running.push(service);
    }
    let dir = process::config_copy("examples/shop/gateway/config", &moves);
    let mut gateway = Service::start_with("gateway", &bins["gateway"], "amqp", &dir, &vars);
    let base = gateway.line_after("gateway listening on ", SOON).await;

    let order = json!({"customer": "ada", "card": "4000-0000-0000-0001", "items": [{"sku": "lamp", "qty": 1, "price_cents": 2500}]});
    let reply = reqwest::Client::new()
        .post(format!("{base}/orders"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&order).expect("JSON"))
        .send()
        .await
        .expect("the gateway answers");
    assert!(reply.status().is_success(), "order placed: {reply:?}");

    let gateway_client = ("gateway", SpanKind::Client, "cmd:*,role:order");
    let orders_server = ("orders", SpanKind::Server, "cmd:place,role:order");
    let orders_client = ("orders", SpanKind::Client, "cmd:*,role:payment");
    let payments_server = ("payments", SpanKind::Server, "cmd:charge,role:payment");
    let orders_producer = ("orders", SpanKind::Producer, "send event:*");
    let analytics_consumer = (
        "analytics",
        SpanKind::Consumer,
        "process event:order_placed",
    );
    let expected = [
        gateway_client,
        orders_server,
        orders_client,
        payments_server,
        orders_producer,
        analytics_consumer,
    ];
    let deadline = tokio::time::Instant::now() + SOON;
    let trace = loop {
        let spans = receiver.spans();
        if let Some(trace) = trace_of(&spans, &expected) {
            break trace;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not every span of the order arrived within {SOON:?}: {spans:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let span = |(service, kind, name): (&str, SpanKind, &str)| {
        trace
            .span(service, kind, name)
            .unwrap_or_else(|| panic!("{service}'s {name}"))
    };
    assert!(
        span(gateway_client).span.parent_span_id.is_empty(),
        "the gateway's act starts the trace"
    );
    for (child, parent) in [
        (orders_server, gateway_client),
        (orders_client, orders_server),
        (payments_server, orders_client),
        (orders_producer, orders_server),
        (analytics_consumer, orders_producer),
    ] {
        assert_eq!(
            span(child).span.parent_span_id,
            span(parent).span.span_id,
            "{child:?}'s parent is {parent:?}: {:#?}",
            trace.0
        );
    }
    // Every span of the trace hangs off another one of it: none claims a parent never seen.
    for received in &trace.0 {
        let parent = &received.span.parent_span_id;
        assert!(
            parent.is_empty() || trace.0.iter().any(|r| &r.span.span_id == parent),
            "{} {:?} has a parent outside the trace: {:#?}",
            received.service,
            received.span.name,
            trace.0
        );
    }
    assert_eq!(
        span(gateway_client).attribute("rpc.system"),
        Some("porticus")
    );
    assert_eq!(
        span(payments_server).attribute("rpc.method"),
        Some("cmd:charge,role:payment")
    );
    assert_eq!(
        span(orders_producer).attribute("messaging.system"),
        Some("rabbitmq")
    );
    assert_eq!(
        span(analytics_consumer).attribute("messaging.operation.type"),
        Some("process")
    );
    assert_eq!(
        span(analytics_consumer).attribute("messaging.system"),
        Some("rabbitmq")
    );
    assert_eq!(
        span(payments_server).attribute("porticus.transport"),
        Some("amqp")
    );

    assert!(gateway.stop(SOON).await, "gateway exits 0 on SIGTERM");
    for service in running {
        assert!(service.stop(SOON).await, "each service exits 0 on SIGTERM");
    }
}
