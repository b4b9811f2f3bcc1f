//! [`Node::asyncapi`]: an AsyncAPI 3.0 document describing a service's channels and operations
//! on each configured listener, with the JSON Schemas of its messages (feature `schema`,
//! `docs/contracts.md`).

mod payload;

use serde_json::{json, Map, Value};

use crate::action::Kind;
use crate::config::{Config, ListenConfig};
use crate::error::Result;
use crate::node::{Contract, Node};
use crate::pattern::Pattern;

/// The AsyncAPI version written.
const ASYNCAPI: &str = "3.0.0";

/// A name usable as a key of the document: the canonical pattern with `:` and `,` replaced.
fn id(pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn reference(path: &str) -> Value {
    json!({ "$ref": path })
}

/// A pattern's pairs as the message they describe (what routing keys are computed from).
fn as_message(pattern: &str) -> Value {
    let pattern = Pattern::parse(pattern).unwrap_or_else(|_| Pattern::empty());
    let map: Map<String, Value> = pattern
        .iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    Value::Object(map)
}

/// `host[:port]` of a broker URL, without its credentials, and its path (the vhost).
fn host_of(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    match rest.split_once('/') {
        Some((host, path)) => (host.to_owned(), format!("/{path}")),
        None => (rest.to_owned(), String::new()),
    }
}

/// The document being built.
struct Document {
    servers: Map<String, Value>,
    channels: Map<String, Value>,
    operations: Map<String, Value>,
}

impl Document {
    /// Adds a request/reply operation `op` receiving `contract`'s request on `channel` and
    /// answering on `reply` (both already added).
    fn request_reply(
        &mut self,
        op: String,
        contract: &Contract,
        channel: &str,
        reply: &str,
        bindings: Option<Value>,
    ) {
        let name = id(&contract.pattern);
        let mut operation = json!({
            "action": "receive",
            "title": contract.pattern,
            "summary": format!("act `{}`: one reply or an error", contract.pattern),
            "channel": reference(&format!("#/channels/{channel}")),
            "messages": [reference(&format!("#/channels/{channel}/messages/{name}.request"))],
            "reply": {
                "channel": reference(&format!("#/channels/{reply}")),
                "messages": [reference(&format!("#/channels/{reply}/messages/{name}.reply"))],
            },
        });
        if let Some(bindings) = bindings {
            operation["bindings"] = bindings;
        }
        self.operations.insert(op, operation);
    }

    /// Adds an event subscription `op` receiving `contract`'s event on `channel`.
    fn subscription(&mut self, op: String, contract: &Contract, channel: &str) {
        let name = id(&contract.pattern);
        self.operations.insert(
            op,
            json!({
                "action": "receive",
                "title": contract.pattern,
                "summary": format!("event `{}`: every subscribing service gets it", contract.pattern),
                "channel": reference(&format!("#/channels/{channel}")),
                "messages": [reference(&format!("#/channels/{channel}/messages/{name}.event"))],
            }),
        );
    }

    /// The reply channel of server `server`: the caller's own address (HTTP response, AMQP
    /// `reply_to` queue, NATS inbox), so no fixed address.
    fn reply_channel(&mut self, server: &str, actions: &[&Contract], description: &str) -> String {
        let key = format!("{server}.reply");
        let messages = message_refs(actions, "reply");
        self.channels.insert(
            key.clone(),
            json!({
                "address": null,
                "description": description,
                "servers": [reference(&format!("#/servers/{server}"))],
                "messages": messages,
            }),
        );
        key
    }

    /// Adds a channel `key` at `address` carrying one message of `contract`.
    fn channel(
        &mut self,
        key: &str,
        server: &str,
        address: &str,
        contract: &Contract,
        bindings: Value,
    ) {
        let name = format!(
            "{}.{}",
            id(&contract.pattern),
            if contract.kind == Kind::Action {
                "request"
            } else {
                "event"
            }
        );
        let path = format!("#/components/messages/{name}");
        self.channels.insert(
            key.to_owned(),
            json!({
                "address": address,
                "servers": [reference(&format!("#/servers/{server}"))],
                "messages": { name: reference(&path) },
                "bindings": bindings,
            }),
        );
    }
}

/// References to the `<pattern id>.<suffix>` component message of each of `contracts`.
fn message_refs(contracts: &[&Contract], suffix: &str) -> Map<String, Value> {
    contracts
        .iter()
        .map(|c| {
            let name = format!("{}.{suffix}", id(&c.pattern));
            let path = format!("#/components/messages/{name}");
            (name, reference(&path))
        })
        .collect()
}

/// The listener's pins, parsed (the bad ones left out: the listener refuses them at start).
fn pins(listen: &ListenConfig) -> Vec<Pattern> {
    listen
        .pins()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| Pattern::parse(p).ok())
        .collect()
}

fn http(
    doc: &mut Document,
    server: &str,
    config: &crate::config::HttpListenConfig,
    actions: &[&Contract],
) {
    doc.servers.insert(
        server.to_owned(),
        json!({ "host": config.bind, "protocol": "http", "description": "Seneca's web wire format: the message as the body, the bare reply back" }),
    );
    let channel = format!("{server}.act");
    let messages = message_refs(actions, "request");
    doc.channels.insert(
        channel.clone(),
        json!({
            "address": config.path,
            "description": "every act: the most specific action matching the message answers",
            "servers": [reference(&format!("#/servers/{server}"))],
            "messages": messages,
        }),
    );
    let reply = doc.reply_channel(
        server,
        actions,
        "the HTTP response: 2xx with the reply, or non-2xx with the error object",
    );
    for contract in actions {
        let op = format!("{server}.{}", id(&contract.pattern));
        let bindings = json!({ "http": { "method": "POST", "bindingVersion": "0.3.0" } });
        doc.request_reply(op, contract, &channel, &reply, Some(bindings));
    }
}

#[cfg(feature = "amqp")]
fn amqp(
    doc: &mut Document,
    server: &str,
    config: &crate::config::AmqpListenConfig,
    listen: &ListenConfig,
    contracts: &[Contract],
) {
    use crate::transport::amqp::described;

    // A cluster (`urls`) is described by its first node, as for NATS.
    let (host, vhost) = host_of(config.urls.first().unwrap_or(&config.url));
    let vhost = match vhost.as_str() {
        "" | "/" | "/%2f" | "/%2F" => "/".to_owned(),
        other => other.trim_start_matches('/').to_owned(),
    };
    doc.servers.insert(
        server.to_owned(),
        json!({ "host": host, "protocol": "amqp", "description": "seneca-amqp-transport's topology and envelope: requests on a topic exchange, replies through reply_to and correlation_id" }),
    );
    let pins = pins(listen);
    let queue = described::request_queue(config, &listen.pins().unwrap_or_default());
    let actions: Vec<&Contract> = contracts
        .iter()
        .filter(|c| {
            c.kind == Kind::Action && pins.iter().any(|p| p.matches(&as_message(&c.pattern)))
        })
        .collect();
    let reply = doc.reply_channel(
        server,
        &actions,
        "the caller's reply queue (`reply_to`), matched by `correlation_id`",
    );
    for contract in &actions {
        let Some(key) = described::act_key(&pins, &as_message(&contract.pattern)) else {
            continue;
        };
        let channel = format!("{server}.{}", id(&contract.pattern));
        let binding = json!({
            "is": "routingKey",
            "exchange": { "name": config.exchange, "type": "topic", "durable": true, "autoDelete": config.exchange_auto_delete, "vhost": vhost },
            "bindingVersion": "0.3.0",
        });
        doc.channel(&channel, server, &key, contract, json!({ "amqp": binding }));
        // A routing-key binding cannot name its queue: the description does.
        if let Some(queue) = &queue {
            doc.channels[&channel]["description"] = json!(format!(
                "routing key `{key}` on exchange `{}`, consumed from queue `{queue}`",
                config.exchange
            ));
        }
        let bindings = json!({ "amqp": { "ack": true, "bindingVersion": "0.3.0" } });
        doc.request_reply(channel.clone(), contract, &channel, &reply, Some(bindings));
    }
    for contract in contracts.iter().filter(|c| c.kind == Kind::Event) {
        let Some(key) = described::event_key(&as_message(&contract.pattern)) else {
            continue;
        };
        let channel = format!("{server}.{}", id(&contract.pattern));
        let binding = json!({
            "is": "routingKey",
            "exchange": { "name": config.events_exchange, "type": "topic", "durable": true, "autoDelete": false, "vhost": vhost },
            "bindingVersion": "0.3.0",
        });
        doc.channel(&channel, server, &key, contract, json!({ "amqp": binding }));
        doc.subscription(channel.clone(), contract, &channel);
    }
}

#[cfg(feature = "nats")]
fn nats(
    doc: &mut Document,
    server: &str,
    config: &crate::config::NatsListenConfig,
    listen: &ListenConfig,
    service: &str,
    contracts: &[Contract],
) {
    use crate::transport::nats::described;

    let url = config.urls.first().unwrap_or(&config.url);
    let (host, _) = host_of(url);
    doc.servers.insert(
        server.to_owned(),
        json!({ "host": host, "protocol": "nats", "description": "core request/reply for acts, JetStream for events" }),
    );
    let pins = pins(listen);
    let group = if config.queue_group.is_empty() {
        service.to_owned()
    } else {
        config.queue_group.clone()
    };
    let actions: Vec<&Contract> = contracts
        .iter()
        .filter(|c| {
            c.kind == Kind::Action && pins.iter().any(|p| p.matches(&as_message(&c.pattern)))
        })
        .collect();
    let reply = doc.reply_channel(
        server,
        &actions,
        "the caller's inbox (the request's reply subject)",
    );
    for contract in &actions {
        let Some(subject) = described::act_subject(
            &config.subject_prefix,
            &pins,
            &as_message(&contract.pattern),
        ) else {
            continue;
        };
        let channel = format!("{server}.{}", id(&contract.pattern));
        doc.channel(&channel, server, &subject, contract, json!({}));
        let bindings = json!({ "nats": { "queue": group, "bindingVersion": "0.1.0" } });
        doc.request_reply(channel.clone(), contract, &channel, &reply, Some(bindings));
    }
    for contract in contracts.iter().filter(|c| c.kind == Kind::Event) {
        let subject =
            described::event_subject(&config.subject_prefix, &as_message(&contract.pattern));
        let channel = format!("{server}.{}", id(&contract.pattern));
        doc.channel(&channel, server, &subject, contract, json!({}));
        doc.subscription(channel.clone(), contract, &channel);
    }
}

/// The message objects of every contract, and the definitions their payloads share.
fn components(contracts: &[Contract]) -> Value {
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for contract in contracts {
        let name = id(&contract.pattern);
        let (first, summary) = match contract.kind {
            Kind::Action => (
                "request",
                "the act's message (pattern keys and directives aside)",
            ),
            _ => ("event", "the event"),
        };
        messages.insert(
            format!("{name}.{first}"),
            json!({
                "name": format!("{name}.{first}"),
                "title": contract.pattern,
                "summary": summary,
                "contentType": "application/json",
                "payload": payload::payload(contract.schemas.input(), &mut schemas),
            }),
        );
        if let Some(output) = contract.schemas.output() {
            messages.insert(
                format!("{name}.reply"),
                json!({
                    "name": format!("{name}.reply"),
                    "title": format!("reply of {}", contract.pattern),
                    "summary": "the reply on success; an error is `{code, message, details}`",
                    "contentType": "application/json",
                    "payload": payload::payload(output, &mut schemas),
                }),
            );
        }
    }
    json!({ "messages": messages, "schemas": schemas })
}

impl Node {
    /// An [AsyncAPI 3.0](https://www.asyncapi.com/docs/reference/specification/v3.0.0)
    /// document of this service as `config` deploys it: one server per `[[listen]]` entry,
    /// channels and `receive` operations for its actions (request/reply: HTTP `POST /act`,
    /// AMQP routing keys on the request exchange with the request queue, NATS subjects) and
    /// its event subscriptions (AMQP events exchange, NATS event subjects), with the JSON
    /// Schemas of every message from handlers registered with `schema`. Handlers without
    /// schemas are left out. See `docs/contracts.md` for publishing it.
    ///
    /// # Errors
    ///
    /// A listener whose transport's cargo feature is off, named with the feature.
    ///
    /// ```
    /// use porticus::config::Config;
    /// use porticus::{ActError, Node};
    /// use porticus::schemars::{self, JsonSchema};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Sum { left: i64, right: i64 }
    ///
    /// #[porticus::action("role:math,cmd:sum", schema)]
    /// async fn sum(req: Sum) -> Result<i64, ActError> { Ok(req.left + req.right) }
    ///
    /// # fn main() -> Result<(), porticus::Error> {
    /// let config = Config::from_toml_str(r#"
    ///     [service]
    ///     name = "math"
    ///     [[listen]]
    ///     type = "http"
    ///     bind = "127.0.0.1:8080"
    /// "#)?;
    /// let node = Node::builder().name("math").build()?;
    /// let doc = node.asyncapi(&config)?;
    /// assert_eq!(doc["asyncapi"], "3.0.0");
    /// assert_eq!(doc["channels"]["http.act"]["address"], "/act");
    /// assert_eq!(doc["operations"]["http.cmd_sum_role_math"]["action"], "receive");
    /// # Ok(()) }
    /// ```
    pub fn asyncapi(&self, config: &Config) -> Result<Value> {
        let contracts = self.schemas();
        let actions: Vec<&Contract> = contracts
            .iter()
            .filter(|c| c.kind == Kind::Action)
            .collect();
        let mut doc = Document {
            servers: Map::new(),
            channels: Map::new(),
            operations: Map::new(),
        };
        let mut seen = std::collections::HashMap::<&str, usize>::new();
        for listen in &config.listen {
            let transport = listen.transport();
            let n = seen.entry(transport).or_default();
            let server = if *n == 0 {
                transport.to_owned()
            } else {
                format!("{transport}{n}")
            };
            *n += 1;
            match listen {
                #[cfg(feature = "http")]
                ListenConfig::Http(c) => http(&mut doc, &server, c, &actions),
                #[cfg(feature = "amqp")]
                ListenConfig::Amqp(c) => amqp(&mut doc, &server, c, listen, &contracts),
                #[cfg(feature = "nats")]
                ListenConfig::Nats(c) => {
                    nats(&mut doc, &server, c, listen, self.name(), &contracts)
                }
                #[allow(unreachable_patterns)]
                other => {
                    return Err(crate::transport::configured::feature_off(
                        other.transport(),
                        other.transport(),
                    ))
                }
            }
        }
        Ok(json!({
            "asyncapi": ASYNCAPI,
            "info": {
                "title": self.name(),
                "version": crate::node::app_version(self),
                "description": format!("The messages of service `{}` (Porticus {}).", self.name(), env!("CARGO_PKG_VERSION")),
            },
            "defaultContentType": "application/json",
            "servers": doc.servers,
            "channels": doc.channels,
            "operations": doc.operations,
            "components": components(&contracts),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_hosts() {
        assert_eq!(id("cmd:charge,role:payment"), "cmd_charge_role_payment");
        assert_eq!(
            host_of("amqp://guest:secret@127.0.0.1:5672/%2f"),
            ("127.0.0.1:5672".to_owned(), "/%2f".to_owned())
        );
        assert_eq!(
            host_of("nats://127.0.0.1:4222"),
            ("127.0.0.1:4222".to_owned(), String::new())
        );
    }
}
