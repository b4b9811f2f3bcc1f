//! [`ActSpan`]: the OpenTelemetry span of one act or event, exported over OTLP by the `otlp`
//! feature once [`telemetry::init`](crate::telemetry::init) found an endpoint.
//!
//! Its parent is the span named by the message's `traceparent` (the caller's, from the wire,
//! or the span of the act that made this one in-process); once started, the message's
//! `traceparent` names it, so that whatever the act sends on carries it as the parent. Without
//! the feature, or with it and no endpoint, an `ActSpan` is nothing and changes nothing.
//!
//! Names and attributes follow the OpenTelemetry RPC and messaging semantic conventions:
//!
//! | kind | when | name | attributes |
//! |---|---|---|---|
//! | client | an act leaves through a transport client | the client's pin | `rpc.system`, `rpc.method` |
//! | server | an act received by a listener runs its action | the action's pattern | `rpc.system`, `rpc.method`, `rpc.service` |
//! | internal | an in-process act | the action's pattern | `rpc.system`, `rpc.method` |
//! | producer | an event handed to a transport client | `send <pin>` | `messaging.*` (`operation.type = send`) |
//! | consumer | an event delivered to a subscriber | `process <pattern>` | `messaging.*` (`operation.type = process`) |
//!
//! Every span also carries `porticus.pattern`, `porticus.message_id`,
//! `porticus.transaction_id` and, but on in-process acts, `porticus.transport`; a failed one has the error status and `error.type` = the
//! error's code.

use crate::error::ActError;
use crate::message::Meta;

/// What an [`ActSpan`] stands for (its OpenTelemetry span kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "otlp"), allow(dead_code))] // Read only by the exporting span.
pub(crate) enum SpanKind {
    /// An act sent through a transport client.
    Client,
    /// An act received by a listener, run by a local action.
    Server,
    /// An act run in-process.
    Internal,
    /// An event handed to a transport client.
    Producer,
    /// An event run by a local subscriber.
    Consumer,
}

/// Who an [`ActSpan`] is for: the pattern naming it, the transport, the service.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "otlp"), allow(dead_code))] // Read only by the exporting span.
pub(crate) struct Subject<'a> {
    pub(crate) kind: SpanKind,
    /// The action's or subscriber's canonical pattern, or the client's pin.
    pub(crate) pattern: &'a str,
    /// The transport the act or event leaves or came by (`"amqp"`), when known.
    pub(crate) transport: Option<&'static str>,
    /// This node's service name.
    pub(crate) service: &'a str,
}

/// The exported span of one act or event (nothing unless traces are exported).
#[derive(Debug)]
#[must_use = "a span is exported when it ends"]
pub(crate) struct ActSpan {
    /// Boxed: the act's future holds an `ActSpan` across its awaits, and an SDK span is a few
    /// hundred bytes that every act would move around even with traces off.
    #[cfg(feature = "otlp")]
    span: Option<Box<opentelemetry_sdk::trace::Span>>,
}

impl ActSpan {
    /// Starts the span of `subject` as a child of `meta`'s `traceparent`, and makes `meta`'s
    /// `traceparent` name it — when traces are exported; else does nothing.
    #[inline]
    pub(crate) fn start(subject: Subject<'_>, meta: &mut Meta) -> ActSpan {
        #[cfg(feature = "otlp")]
        {
            ActSpan {
                span: crate::telemetry::tracer()
                    .map(|tracer| exported::start(tracer, subject, meta)),
            }
        }
        #[cfg(not(feature = "otlp"))]
        {
            let _ = (subject, meta);
            ActSpan {}
        }
    }

    /// Whether the span is exported (then the message's `traceparent` names it).
    #[inline]
    pub(crate) fn is_exported(&self) -> bool {
        #[cfg(feature = "otlp")]
        {
            self.span.is_some()
        }
        #[cfg(not(feature = "otlp"))]
        {
            false
        }
    }

    /// Ends the span, with the error status when the act failed.
    #[inline]
    pub(crate) fn end(self, error: Option<&ActError>) {
        #[cfg(feature = "otlp")]
        if let Some(span) = self.span {
            exported::end(span, error);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = error;
    }
}

#[cfg(feature = "otlp")]
mod exported {
    use opentelemetry::trace::{
        Span as _, SpanContext, SpanId, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
        Tracer as _,
    };
    use opentelemetry::{Context, KeyValue};
    use opentelemetry_sdk::trace::{SdkTracer, Span};

    use super::{SpanKind, Subject};
    use crate::error::ActError;
    use crate::message::Meta;

    // Out of line: with traces off, the act's hot path keeps only the check.
    #[cold]
    #[inline(never)]
    pub(super) fn start(tracer: &SdkTracer, subject: Subject<'_>, meta: &mut Meta) -> Box<Span> {
        let parent = parent(meta);
        let (kind, name, attributes) = describe(subject, meta);
        let span = tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attributes)
            .start_with_context(tracer, &parent);
        meta.set_traceparent(traceparent(span.span_context()));
        Box::new(span)
    }

    #[inline(never)]
    pub(super) fn end(mut span: Box<Span>, error: Option<&ActError>) {
        if let Some(error) = error {
            span.set_attribute(KeyValue::new("error.type", error.code().to_string()));
            span.set_status(Status::error(error.message().to_owned()));
        }
        span.end();
    }

    /// The context whose span is the parent: the one `meta`'s `traceparent` names, unless it
    /// was made up for a message that came without one (then the span starts a trace).
    fn parent(meta: &Meta) -> Context {
        let Some(text) = meta.traceparent().filter(|_| !meta.made_up_trace) else {
            return Context::new();
        };
        if !crate::trace::is_traceparent(text) {
            return Context::new();
        }
        let (Ok(trace), Ok(span), Ok(flags)) = (
            TraceId::from_hex(&text[3..35]),
            SpanId::from_hex(&text[36..52]),
            u8::from_str_radix(&text[53..55], 16),
        ) else {
            return Context::new();
        };
        Context::new().with_remote_span_context(SpanContext::new(
            trace,
            span,
            TraceFlags::new(flags),
            true,
            TraceState::default(),
        ))
    }

    fn traceparent(context: &SpanContext) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            context.trace_id(),
            context.span_id(),
            context.trace_flags() & TraceFlags::SAMPLED
        )
    }

    type Described = (opentelemetry::trace::SpanKind, String, Vec<KeyValue>);

    /// The span's kind, name and attributes, after the RPC and messaging conventions.
    fn describe(subject: Subject<'_>, meta: &Meta) -> Described {
        use opentelemetry::trace::SpanKind as Otel;
        let pattern = subject.pattern.to_owned();
        let mut attributes = vec![
            KeyValue::new("porticus.pattern", pattern.clone()),
            KeyValue::new("porticus.message_id", meta.message_id().to_owned()),
            KeyValue::new("porticus.transaction_id", meta.tx().to_owned()),
        ];
        if let Some(transport) = subject.transport {
            attributes.push(KeyValue::new("porticus.transport", transport));
        }
        let rpc = |attributes: &mut Vec<KeyValue>| {
            attributes.push(KeyValue::new("rpc.system", "porticus"));
            attributes.push(KeyValue::new("rpc.method", pattern.clone()));
        };
        let messaging = |attributes: &mut Vec<KeyValue>, operation: &'static str| {
            attributes.push(KeyValue::new(
                "messaging.system",
                messaging_system(subject.transport),
            ));
            attributes.push(KeyValue::new("messaging.operation.type", operation));
            attributes.push(KeyValue::new("messaging.operation.name", operation));
            attributes.push(KeyValue::new("messaging.destination.name", pattern.clone()));
            attributes.push(KeyValue::new(
                "messaging.message.id",
                meta.message_id().to_owned(),
            ));
        };
        let (kind, name) = match subject.kind {
            SpanKind::Client => {
                rpc(&mut attributes);
                (Otel::Client, pattern.clone())
            }
            SpanKind::Server => {
                rpc(&mut attributes);
                attributes.push(KeyValue::new("rpc.service", subject.service.to_owned()));
                (Otel::Server, pattern.clone())
            }
            SpanKind::Internal => {
                rpc(&mut attributes);
                (Otel::Internal, pattern.clone())
            }
            SpanKind::Producer => {
                messaging(&mut attributes, "send");
                (Otel::Producer, format!("send {pattern}"))
            }
            SpanKind::Consumer => {
                messaging(&mut attributes, "process");
                (Otel::Consumer, format!("process {pattern}"))
            }
        };
        (kind, name, attributes)
    }

    /// `messaging.system` for a transport: the broker's well-known name.
    fn messaging_system(transport: Option<&str>) -> &'static str {
        match transport {
            Some("amqp") => "rabbitmq",
            Some("nats") => "nats",
            _ => "porticus",
        }
    }
}

#[cfg(all(test, feature = "otlp"))]
mod tests {
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Duration;

    use opentelemetry::trace::{SpanId, SpanKind as Otel, Status, TracerProvider as _};
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanData, SpanExporter};

    use super::{exported, SpanKind, Subject};
    use crate::error::{ActError, Code};
    use crate::transport::Inbound;

    /// Keeps what the SDK exports.
    #[derive(Debug, Clone, Default)]
    struct Kept(Arc<Mutex<Vec<SpanData>>>);

    impl SpanExporter for Kept {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(batch);
            Ok(())
        }
    }

    fn tracer() -> (SdkTracer, Kept) {
        let kept = Kept::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(kept.clone())
            .build();
        (provider.tracer("test"), kept)
    }

    fn subject(kind: SpanKind) -> Subject<'static> {
        Subject {
            kind,
            pattern: "cmd:charge,role:payment",
            transport: Some("amqp"),
            service: "payments",
        }
    }

    fn only(kept: &Kept) -> SpanData {
        let spans = kept.0.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(spans.len(), 1, "{spans:?}");
        spans[0].clone()
    }

    fn attribute(span: &SpanData, key: &str) -> Option<String> {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    }

    #[test]
    fn the_received_traceparent_is_the_parent_and_the_meta_then_names_the_span() {
        let (tracer, kept) = tracer();
        let received = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut meta = Inbound {
            traceparent: Some(received),
            transport: Some("amqp"),
            ..Inbound::default()
        }
        .meta(Duration::from_secs(1));
        let span = exported::start(&tracer, subject(SpanKind::Server), &mut meta);
        exported::end(span, None);
        let span = only(&kept);
        assert_eq!(
            span.parent_span_id,
            SpanId::from_hex("00f067aa0ba902b7").unwrap()
        );
        assert!(span.parent_span_is_remote);
        assert_eq!(span.span_kind, Otel::Server);
        assert_eq!(span.name, "cmd:charge,role:payment");
        assert_eq!(
            meta.traceparent(),
            Some(
                format!(
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-{:016x}-01",
                    span.span_context.span_id()
                )
                .as_str()
            )
        );
        assert_eq!(attribute(&span, "rpc.system").as_deref(), Some("porticus"));
        assert_eq!(attribute(&span, "rpc.service").as_deref(), Some("payments"));
        assert_eq!(
            attribute(&span, "porticus.transport").as_deref(),
            Some("amqp")
        );
        assert_eq!(span.status, Status::Unset);
    }

    #[test]
    fn a_message_without_a_traceparent_starts_a_trace() {
        let (tracer, kept) = tracer();
        let mut meta = Inbound::default().meta(Duration::from_secs(1));
        let made_up = meta.traceparent().map(str::to_owned);
        let span = exported::start(&tracer, subject(SpanKind::Consumer), &mut meta);
        exported::end(span, None);
        let span = only(&kept);
        assert_eq!(span.parent_span_id, SpanId::INVALID, "no parent");
        assert_ne!(meta.traceparent().map(str::to_owned), made_up);
        assert_eq!(span.span_kind, Otel::Consumer);
        assert_eq!(span.name, "process cmd:charge,role:payment");
        assert_eq!(
            attribute(&span, "messaging.system").as_deref(),
            Some("rabbitmq")
        );
    }

    #[test]
    fn a_failed_act_has_the_error_status_and_its_code() {
        let (tracer, kept) = tracer();
        let mut meta = Inbound::default().meta(Duration::from_secs(1));
        let span = exported::start(&tracer, subject(SpanKind::Client), &mut meta);
        let error = ActError::new(Code::new("card_declined"), "card …0002 was declined");
        exported::end(span, Some(&error));
        let span = only(&kept);
        assert_eq!(span.status, Status::error("card …0002 was declined"));
        assert_eq!(
            attribute(&span, "error.type").as_deref(),
            Some("card_declined")
        );
    }
}
