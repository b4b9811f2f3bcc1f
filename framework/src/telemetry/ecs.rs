//! [`Ecs`]: log events as JSON lines with Elastic Common Schema field names, which Filebeat and
//! Elastic Agent ingest with no pipeline.

use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The ECS version the field names follow.
const ECS_VERSION: &str = "8.11.0";

/// The instance id of the node this process serves, once one has started (log lines written
/// before carry none).
static INSTANCE: OnceLock<String> = OnceLock::new();

/// Names the process's instance in every later log line; the first node started wins.
pub(crate) fn set_instance(instance: &str) {
    let _ = INSTANCE.set(instance.to_owned());
}

/// The event formatter: one JSON object a line.
///
/// `@timestamp`, `log.level`, `message`, `ecs.version`, `service.name`, `service.instance.id`,
/// `event.dataset` (`<service>.log`), `log.logger` (the target), `log.origin.file.*`; then the
/// fields of the spans the event happened in, outermost first (an act's span carries
/// `trace.id`, `span.id`, `transaction.id` and `porticus.*`), then the event's own fields —
/// `error` is written as `error.message`.
#[derive(Debug)]
pub(crate) struct Ecs {
    service: String,
    dataset: String,
}

impl Ecs {
    pub(crate) fn new(service: &str) -> Ecs {
        Ecs {
            service: service.to_owned(),
            dataset: format!("{service}.log"),
        }
    }
}

impl<S> FormatEvent<S, JsonFields> for Ecs
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("@timestamp".into(), timestamp.into());
        line.insert(
            "log.level".into(),
            meta.level().as_str().to_ascii_lowercase().into(),
        );
        line.insert("message".into(), Value::String(String::new()));
        line.insert("ecs.version".into(), ECS_VERSION.into());
        line.insert("service.name".into(), self.service.as_str().into());
        if let Some(instance) = INSTANCE.get() {
            line.insert("service.instance.id".into(), instance.as_str().into());
        }
        line.insert("event.dataset".into(), self.dataset.as_str().into());
        line.insert("log.logger".into(), meta.target().into());
        if let Some(file) = meta.file() {
            line.insert("log.origin.file.name".into(), file.into());
        }
        if let Some(number) = meta.line() {
            line.insert("log.origin.file.line".into(), number.into());
        }
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<JsonFields>>() else {
                    continue;
                };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                    line.extend(fields);
                }
            }
        }
        event.record(&mut Fields(&mut line));
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Writes an event's fields into the line, under their ECS names.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let name = match field.name() {
            "error" => "error.message",
            other => other,
        };
        self.0.insert(name.to_owned(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}
