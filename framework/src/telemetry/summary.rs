//! The startup summary, at info level: what the service is, where its configuration came
//! from, what it serves, where it listens and whom it calls — and warnings for what looks like
//! a mistake.

use crate::config::{shown, Config, ListenConfig};
use crate::node::Node;
use crate::pattern::Pattern;

/// A bound listener, as the summary names it.
#[derive(Debug)]
pub(crate) struct Listening<'a> {
    pub(crate) config: &'a ListenConfig,
    pub(crate) address: &'a str,
}

/// Logs the summary of `node` started with `config` on `listeners`.
pub(crate) fn startup(
    node: &Node,
    config: &Config,
    listeners: &[Listening<'_>],
    admin: Option<std::net::SocketAddr>,
) {
    super::set_instance(node.instance());
    let service = node.name();
    tracing::info!(
        service,
        instance = node.instance(),
        version = env!("CARGO_PKG_VERSION"),
        "starting service `{service}`, instance {}, porticus {}",
        node.instance(),
        env!("CARGO_PKG_VERSION")
    );
    for file in config.files() {
        let file = shown(file);
        tracing::info!(%file, "configuration file {file}");
    }
    for (variable, value) in config.environment() {
        tracing::info!(%variable, %value, "configuration from the environment: {variable}={value}");
    }
    let (actions, clients) = node.overview();
    let (subscriptions, event_clients) = node.subscription_overview();
    for action in &actions {
        tracing::info!(pattern = %action.pattern, location = %action.at, "action {} at {}", action.pattern, action.at);
    }
    for subscription in &subscriptions {
        tracing::info!(pattern = %subscription.pattern, location = %subscription.at, "subscription {} at {}", subscription.pattern, subscription.at);
    }
    for listener in listeners {
        let pins = listener.config.pins().unwrap_or_default().join(" | ");
        let transport = listener.config.transport();
        let address = listener.address;
        let served = if pins.is_empty() {
            String::new()
        } else {
            format!(", pins {pins}")
        };
        tracing::info!(transport, address, pins = %pins, "{transport} listener on {address}{served}");
    }
    for client in &clients {
        tracing::info!(transport = %client.at, pin = %client.pattern, "{} client for {}", client.at, client.pattern);
    }
    for client in event_clients.iter().filter(|e| !clients.contains(e)) {
        tracing::info!(transport = %client.at, events = %client.pattern, "{} client for events {}", client.at, client.pattern);
    }
    if let Some(admin) = admin {
        let pages = if cfg!(feature = "metrics") {
            "/livez, /readyz, /metrics"
        } else {
            "/livez, /readyz"
        };
        tracing::info!(%admin, "admin endpoint on http://{admin} ({pages})");
    }
    if let Some(endpoint) = super::traces_endpoint() {
        let endpoint = crate::config::masked_url(endpoint);
        tracing::info!(%endpoint, "traces exported to {endpoint} (OTLP over HTTP)");
    }
    warn(node, &actions, &subscriptions, &clients, listeners);
}

fn warn(
    node: &Node,
    actions: &[crate::node::OverviewEntry],
    subscriptions: &[crate::node::OverviewEntry],
    clients: &[crate::node::OverviewEntry],
    listeners: &[Listening<'_>],
) {
    if actions.is_empty() && subscriptions.is_empty() && clients.is_empty() {
        tracing::warn!(
            "no action or subscription is registered and no client is configured: this service can do nothing. If its handlers live in a library crate, name that crate once in the binary with `porticus::link!(crate_name);`"
        );
    }
    for hidden in node.hidden_clients() {
        tracing::warn!(
            action = %hidden.action.pattern,
            location = %hidden.action.at,
            client = %hidden.client.pattern,
            transport = %hidden.client.at,
            "the local action `{}` ({}) answers acts that match the {} client's pin `{}`: those acts never leave this process",
            hidden.action.pattern, hidden.action.at, hidden.client.at, hidden.client.pattern
        );
    }
    for listener in listeners {
        for text in listener.config.pins().unwrap_or_default() {
            let Ok(pin) = Pattern::parse(&text) else {
                continue;
            };
            if !node.answers_some_of(&pin) {
                tracing::warn!(
                    transport = listener.config.transport(),
                    pin = %text,
                    "the {} listener's pin `{text}` matches no action registered in this service: the requests it takes will fail with act_not_found",
                    listener.config.transport()
                );
            }
        }
    }
}
