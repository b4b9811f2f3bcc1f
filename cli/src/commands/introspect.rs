//! `porticus ping|info|stats`: a service's built-in introspection actions
//! (`role:porticus,service:<name>,cmd:ping|info|stats`), as a table or as JSON.

use serde_json::{json, Map, Value};

use crate::exit::Exit;
use crate::output::{self, cell, table};
use crate::target::Via;

/// The options of `ping`, `info` and `stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The service to ask: its `[service] name`.
    #[arg(long, value_name = "NAME")]
    pub service: String,
    /// Print the reply as JSON (the default when stdout is not a terminal).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub via: Via,
}

/// Which introspection command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// Who answers: instance, versions, uptime.
    Ping,
    /// What it serves and calls.
    Info,
    /// What it has done since it started.
    Stats,
}

impl Cmd {
    /// The command's name, the value of `cmd`.
    pub fn name(self) -> &'static str {
        match self {
            Cmd::Ping => "ping",
            Cmd::Info => "info",
            Cmd::Stats => "stats",
        }
    }

    /// The command named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Cmd> {
        [Cmd::Ping, Cmd::Info, Cmd::Stats]
            .into_iter()
            .find(|cmd| cmd.name() == name)
    }
}

/// The pin that routes a service's introspection acts (`role:porticus,service:<name>`): the
/// client's pin, from which an AMQP client takes the routing key its listener binds.
pub fn pin(service: &str) -> String {
    format!("role:porticus,service:{service}")
}

/// The message asking `service` for `cmd`.
pub fn message(service: &str, cmd: Cmd) -> Value {
    json!({ "role": "porticus", "service": service, "cmd": cmd.name() })
}

/// Runs `ping`, `info` or `stats`.
pub async fn run(cmd: Cmd, args: Args) -> Result<(), Exit> {
    let node = args.via.node(&pin(&args.service)).await?;
    let reply = node
        .act(message(&args.service, cmd))
        .await
        .map_err(Exit::from);
    node.close();
    print(cmd, &reply?, args.json);
    Ok(())
}

/// Prints a reply: JSON when asked or when stdout is not a terminal, else a table.
pub fn print(cmd: Cmd, reply: &Value, as_json: bool) {
    if as_json || !output::to_terminal() {
        output::json(reply);
    } else {
        println!("{}", render(cmd, reply));
    }
}

/// A reply as text for people: key/value lines, then one table per list.
pub fn render(cmd: Cmd, reply: &Value) -> String {
    let empty = Map::new();
    let fields = reply.as_object().unwrap_or(&empty);
    let get = |key: &str| fields.get(key).unwrap_or(&Value::Null);
    let mut head = vec![
        row(["service", &cell(get("service"))]),
        row(["instance", &cell(get("instance"))]),
    ];
    if cmd != Cmd::Stats {
        head.push(row(["porticus", &cell(&get("version")["porticus"])]));
        head.push(row(["version", &cell(&get("version")["app"])]));
    }
    let mut sections = Vec::new();
    match cmd {
        Cmd::Ping => head.push(row(["uptime_ms", &cell(get("uptime_ms"))])),
        Cmd::Info => {
            head.push(row(["introspection", &cell(get("introspection"))]));
            sections.push(section(
                "ACTIONS",
                get("actions"),
                &["pattern", "transport", "location", "input", "output"],
            ));
            sections.push(section(
                "SUBSCRIPTIONS",
                get("subscriptions"),
                &["pattern", "transport", "location", "input"],
            ));
            sections.push(section(
                "LISTENERS",
                get("listeners"),
                &["transport", "address", "pins"],
            ));
            sections.push(section(
                "CLIENTS",
                get("clients"),
                &["transport", "pin", "acts"],
            ));
        }
        Cmd::Stats => {
            let events = get("events");
            head.push(row(["uptime_ms", &cell(get("uptime_ms"))]));
            head.push(row(["not_found", &cell(get("not_found"))]));
            head.push(row(["emitted", &cell(&events["emitted"])]));
            head.push(row(["received", &cell(&events["received"])]));
            let columns = [
                "pattern",
                "transport",
                "count",
                "ok",
                "errors",
                "in_flight",
                "p50_ms",
                "p99_ms",
            ];
            sections.push(section("ACTS", get("acts"), &columns));
            sections.push(section("EVENTS HANDLED", &events["handled"], &columns));
        }
    }
    let mut text = table(&["", ""], &head).trim_start().to_owned();
    for (title, body) in sections {
        text.push_str(&format!("\n\n{title}\n{body}"));
    }
    text
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// A list of objects as a table of `columns` (or `(none)`).
fn section(title: &'static str, list: &Value, columns: &[&str]) -> (&'static str, String) {
    let items = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return (title, "(none)".to_owned());
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| columns.iter().map(|c| cell(&item[*c])).collect())
        .collect();
    let headers: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    (title, table(&headers, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_render_as_aligned_tables() {
        let reply = json!({
            "service": "math", "instance": "math-1", "uptime_ms": 7, "not_found": 0,
            "acts": [
                { "pattern": "cmd:sum,role:math", "transport": "in-process", "count": 2,
                  "ok": 1, "errors": { "act_invalid_msg": 1 }, "in_flight": 0,
                  "p50_ms": 0.005, "p99_ms": null }
            ],
            "events": { "emitted": 0, "received": 0, "handled": [] }
        });
        let text = render(Cmd::Stats, &reply);
        assert!(text.starts_with("service    math\n"), "{text}");
        assert!(
            text.contains("PATTERN            TRANSPORT   COUNT  OK  ERRORS"),
            "{text}"
        );
        assert!(text.contains("act_invalid_msg:1"), "{text}");
        assert!(text.contains("EVENTS HANDLED\n(none)"), "{text}");
        assert_eq!(pin("math"), "role:porticus,service:math");
        assert_eq!(Cmd::parse("info"), Some(Cmd::Info));
    }
}
