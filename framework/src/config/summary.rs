//! A configuration as it may be shown (introspection's `info`, logs): every URL with its
//! password masked, every secret-looking key replaced, the free-form `[app]` section reduced
//! to its key names.

use serde_json::{json, Value};

use super::interpolate::Reference;
use super::key_path::{KeyPath, Segment};
use super::Config;

/// What a masked secret reads as.
const MASK: &str = "***";

/// Keys whose values are secrets wherever they appear.
pub(super) fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "token",
        "secret",
        "nkey",
        "creds",
        "credentials",
    ]
    .iter()
    .any(|s| key.contains(s))
}

/// `scheme://user:***@host/path`: the password (or a lone token) of a URL's user info
/// masked; a URL without user info, or a text that is not a URL, unchanged. What the
/// transports, the startup summary and introspection show of a URL — for a service's own logs
/// too.
///
/// ```
/// use porticus::config::masked_url;
///
/// assert_eq!(
///     masked_url("amqp://shop:hunter2@rabbit:5672/%2f"),
///     "amqp://shop:***@rabbit:5672/%2f"
/// );
/// assert_eq!(masked_url("nats://s3cr3t@127.0.0.1:4222"), "nats://***@127.0.0.1:4222");
/// assert_eq!(masked_url("http://127.0.0.1:10101/act"), "http://127.0.0.1:10101/act");
/// ```
pub fn masked_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:{MASK}@{host}{path}"),
            // `nats://token@host`: the user part is the secret.
            None if scheme.starts_with("nats") => format!("{scheme}://{MASK}@{host}{path}"),
            None => format!("{scheme}://{user}:{MASK}@{host}{path}"),
        },
        None => url.to_owned(),
    }
}

fn mask(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret(k) && !v.is_null() && *v != json!("") {
                    *v = json!(MASK);
                } else {
                    mask(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        // Any URL, whatever its key (`url`, `urls`, `[telemetry] endpoint`, …).
        Value::String(text) if text.contains("://") => {
            *text = super::masked_url(text);
        }
        _ => {}
    }
}

/// Shows each value that came from a `${…}` reference as the reference (`${SHOP_TOKEN}`), so
/// that the summary says where it came from without its value — except a URL, which keeps its
/// host and port (its password already masked), and a secret key, already `***`.
fn show_references(value: &mut Value, references: &[Reference]) {
    for reference in references {
        let Some(key) = reference.path.key() else {
            continue;
        };
        let Some(shown) = at_path(value, &reference.path) else {
            continue;
        };
        let url = shown.as_str().is_some_and(|u| u.contains("://"));
        if !url && !is_secret(key) {
            *shown = json!(reference.template);
        }
    }
}

/// The value at `path` in the JSON form of a configuration.
fn at_path<'a>(value: &'a mut Value, path: &KeyPath) -> Option<&'a mut Value> {
    path.0
        .iter()
        .try_fold(value, |value, segment| match segment {
            Segment::Key(k) => value.get_mut(k.as_str()),
            Segment::Index(i) => value.get_mut(*i),
        })
}

impl Config {
    /// This configuration as it may be shown (introspection's `info`): URLs with their
    /// passwords masked, secret keys (`password`, `token`, …) replaced by `***`, other values
    /// that came from `${…}` references shown as the references, and the `[app]` section
    /// reduced to its key names (its values are the application's own and may be secrets).
    ///
    /// ```
    /// use porticus::config::Config;
    ///
    /// let config = Config::from_toml_str(r#"
    ///     [[listen]]
    ///     type = "amqp"
    ///     url = "amqp://shop:hunter2@rabbit:5672/%2f"
    ///     pin = "role:math"
    ///     [nats]
    ///     password = "hunter2"
    ///     [app]
    ///     api_key = "hunter2"
    /// "#)?;
    /// let shown = config.summary();
    /// assert_eq!(shown["listen"][0]["url"], "amqp://shop:***@rabbit:5672/%2f");
    /// assert_eq!(shown["app"], serde_json::json!(["api_key"]));
    /// assert!(!shown.to_string().contains("hunter2"));
    /// assert!(!format!("{config:?}").contains("hunter2"));
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn summary(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        mask(&mut value);
        show_references(&mut value, &self.sources.references);
        if let Some(map) = value.as_object_mut() {
            let keys: Vec<&String> = self.app.keys().collect();
            map.insert("app".into(), json!(keys));
        }
        value
    }
}

/// The [`summary`](Config::summary), so that a configuration printed for debugging shows no
/// secret either.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let summary = self.summary();
        if f.alternate() {
            write!(f, "Config {summary:#}")
        } else {
            write!(f, "Config {summary}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            masked_url("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(masked_url("amqp://127.0.0.1"), "amqp://127.0.0.1");
        assert_eq!(
            masked_url("nats://s3cr3t@127.0.0.1:4222"),
            "nats://***@127.0.0.1:4222"
        );
        assert_eq!(masked_url("not a url"), "not a url");
    }

    #[test]
    fn secrets_are_masked_wherever_they_are() {
        let mut value = json!({
            "nats": {"password": "p", "token": "", "user": "u"},
            "client": [{"url": "http://a:b@h/act", "urls": ["nats://u:p@h"]}],
            "telemetry": {"endpoint": "http://otel:pw@collector:4318", "service_name": "a:b@c"},
        });
        mask(&mut value);
        assert_eq!(
            value,
            json!({
                "nats": {"password": "***", "token": "", "user": "u"},
                "client": [{"url": "http://a:***@h/act", "urls": ["nats://u:***@h"]}],
                "telemetry": {"endpoint": "http://otel:***@collector:4318", "service_name": "a:b@c"},
            })
        );
    }
}
