//! The JSON lines, the trace ids they carry, and the startup warnings, captured in memory.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tracing_subscriber::EnvFilter;

use super::json_subscriber;
use super::summary::{startup, Listening};
use crate::config::Config;
use crate::transport::local::LocalClient;
use crate::transport::Inbound;
use crate::{ActError, Context, Node};

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

/// Runs `work` with a JSON subscriber at `level` and returns the lines it wrote, parsed.
fn captured(level: &str, work: impl FnOnce()) -> Vec<Value> {
    let buffer = Buffer::default();
    let subscriber = json_subscriber("svc", EnvFilter::new(level), buffer.clone());
    tracing::subscriber::with_default(subscriber, work);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn messages(lines: &[Value]) -> Vec<&str> {
    lines.iter().filter_map(|l| l["message"].as_str()).collect()
}

#[test]
fn lines_use_ecs_names() {
    let lines = captured("info", || {
        tracing::warn!(error = "the disk is full", attempt = 2, "cannot write");
        tracing::debug!("filtered out");
    });
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["message"], "cannot write");
    assert_eq!(line["log.level"], "warn");
    assert_eq!(line["service.name"], "svc");
    assert_eq!(line["event.dataset"], "svc.log");
    assert_eq!(line["error.message"], "the disk is full");
    assert_eq!(line["attempt"], 2);
    let timestamp = line["@timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() >= 20 && timestamp.ends_with('Z') && timestamp.contains('T'),
        "{timestamp}"
    );
}

#[test]
fn lines_written_while_acting_carry_the_trace_id() {
    let node = Node::builder()
        .without_registered()
        .add("role:inner", |_: Value| async {
            tracing::info!("inner");
            Ok::<_, ActError>(json!({}))
        })
        .add("role:outer", |_: Value, ctx: Context| async move {
            tracing::info!("outer");
            ctx.act(json!({"role": "inner"})).await
        })
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let lines = captured("info", || {
        runtime.block_on(async {
            let meta = Inbound {
                traceparent: Some(traceparent),
                transport: Some("amqp"),
                ..Inbound::default()
            }
            .meta(Duration::from_secs(2));
            node.act_from(json!({"role": "outer"}), meta).await.unwrap();
            node.act(json!({"role": "outer"})).await.unwrap();
        });
    });
    assert_eq!(messages(&lines), ["outer", "inner", "outer", "inner"]);
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["trace.id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[..2], ["4bf92f3577b34da6a3ce929d0e0e4736"; 2]);
    // An act that starts a trace here gets a new trace id, shared by the acts it makes.
    assert_eq!(ids[2], ids[3]);
    assert_ne!(ids[2], ids[0]);
    assert!(ids[2].len() == 32 && ids[2].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(lines[1]["porticus.pattern"], "role:inner");
    // The received act is labelled with the transport it came over; the acts it makes and the
    // local act run in-process.
    assert_eq!(lines[0]["porticus.transport"], "amqp");
    assert_eq!(lines[1]["porticus.transport"], "in-process");
    assert_eq!(lines[2]["porticus.transport"], "in-process");
    assert!(lines[0]["transaction.id"].is_string());
}

#[test]
fn a_service_that_can_do_nothing_says_so() {
    let node = Node::builder().without_registered().build().unwrap();
    let lines = captured("info", || startup(&node, &Config::default(), &[], None));
    let warning = lines
        .iter()
        .find(|l| l["log.level"] == "warn")
        .expect("a warning");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("porticus::link!"),
        "{warning}"
    );
}

#[test]
fn startup_names_what_is_served_and_warns_of_mistakes() {
    let downstream = Node::builder().without_registered().build().unwrap();
    let node = Node::builder()
        .without_registered()
        .name("math")
        .add("role:math,cmd:sum", |m: Value| async move {
            Ok::<_, ActError>(m)
        })
        .client("role:math", LocalClient::new(downstream))
        .build()
        .unwrap();
    let config = Config::from_toml_str(
        "[[listen]]\ntype = \"amqp\"\npin = \"role:math,cmd:*\"\npins = [\"role:nobody\"]",
    )
    .unwrap();
    let listening = [Listening {
        config: &config.listen[0],
        address: "amqp://127.0.0.1",
    }];
    let lines = captured("info", || startup(&node, &config, &listening, None));
    let said = messages(&lines);
    assert!(said[0].starts_with("starting service `math`"), "{said:?}");
    assert!(
        said.iter()
            .any(|m| m.starts_with("action cmd:sum,role:math at ")),
        "{said:?}"
    );
    assert!(said.contains(&"local client for role:math"), "{said:?}");
    assert!(
        said.contains(&"amqp listener on amqp://127.0.0.1, pins role:math,cmd:* | role:nobody"),
        "{said:?}"
    );
    let warnings: Vec<&str> = lines
        .iter()
        .filter(|l| l["log.level"] == "warn")
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("`cmd:sum,role:math`")
            && warnings[0].contains("`role:math`")
            && warnings[0].contains("never leave this process"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("`role:nobody` matches no action"),
        "{warnings:?}"
    );
    // The first node started in the process names it (here: whichever test came first).
    assert!(lines.iter().all(|l| l["service.instance.id"].is_string()));
}
