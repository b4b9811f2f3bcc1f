//! [`Node::schemas`]: the JSON Schemas of every handler that carries them, as a list of
//! [`Contract`]s; `cmd:schema` and the AsyncAPI document are built from it.

use serde_json::{json, Value};

use super::route::{Route, Target};
use super::Node;
use crate::action::{Kind, Schemas};

/// One pattern this node handles and the schemas of its messages.
///
/// ```
/// use porticus::{Contract, Kind};
///
/// fn describe(contract: &Contract) -> String {
///     let kind = if contract.kind == Kind::Action { "action" } else { "event" };
///     format!("{kind} {}", contract.pattern)
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Contract {
    /// The canonical pattern (`cmd:charge,role:payment`).
    pub pattern: String,
    /// An action (request/reply) or an event subscriber (publish/subscribe).
    pub kind: Kind,
    /// The schemas of its input and, for an action, its output.
    pub schemas: Schemas,
}

impl Contract {
    /// As JSON: `{pattern, kind: "action"|"event", input, output?}` (`cmd:schema`).
    ///
    /// ```
    /// use porticus::{ActError, Node, Schemas};
    /// # let _ = (ActError::execute(""), Schemas::new(serde_json::Value::Null, None));
    /// let node = Node::builder().without_registered().build()?;
    /// assert!(node.schemas().iter().all(|c| c.to_json()["pattern"].is_string()));
    /// # Ok::<_, porticus::Error>(())
    /// ```
    pub fn to_json(&self) -> Value {
        let kind = match self.kind {
            Kind::Action => "action",
            Kind::Event => "event",
        };
        let mut value = json!({
            "pattern": self.pattern,
            "kind": kind,
            "input": self.schemas.input(),
        });
        if let Some(output) = self.schemas.output() {
            value["output"] = output.clone();
        }
        value
    }
}

fn contract(route: &Route) -> Option<Contract> {
    let Target::Handler { handler, .. } = &route.target else {
        return None;
    };
    Some(Contract {
        pattern: route.canonical.to_string(),
        kind: route.kind,
        schemas: handler.schemas()?.clone(),
    })
}

impl Node {
    /// The schemas of every action and subscriber of this node registered with `schema`
    /// (`#[action("…", schema)]`, feature `schema`), actions first, each sorted by pattern.
    /// Handlers without schemas are left out.
    ///
    /// ```
    /// # #[cfg(feature = "schema")] mod example {
    /// use porticus::{ActError, Kind, Node};
    /// use porticus::schemars::{self, JsonSchema};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Sum { left: i64, right: i64 }
    ///
    /// #[porticus::action("role:math,cmd:sum", schema)]
    /// async fn sum(req: Sum) -> Result<i64, ActError> { Ok(req.left + req.right) }
    ///
    /// pub fn check() -> Result<(), porticus::Error> {
    ///     let node = Node::builder().build()?;
    ///     let schemas = node.schemas();
    ///     assert_eq!(schemas[0].pattern, "cmd:sum,role:math");
    ///     assert_eq!(schemas[0].kind, Kind::Action);
    ///     assert_eq!(schemas[0].schemas.input()["required"], serde_json::json!(["left", "right"]));
    ///     assert_eq!(schemas[0].schemas.output().unwrap()["type"], "integer");
    ///     Ok(())
    /// }
    /// # }
    /// # #[cfg(feature = "schema")] fn main() -> Result<(), porticus::Error> { example::check() }
    /// # #[cfg(not(feature = "schema"))] fn main() {}
    /// ```
    pub fn schemas(&self) -> Vec<Contract> {
        let router = &self.inner.router;
        let mut actions: Vec<Contract> = router.routes.iter().filter_map(|r| contract(r)).collect();
        let mut events: Vec<Contract> = router
            .subscribers
            .iter()
            .filter_map(|r| contract(r))
            .collect();
        actions.sort_by(|a, b| a.pattern.cmp(&b.pattern));
        events.sort_by(|a, b| a.pattern.cmp(&b.pattern));
        actions.extend(events);
        actions
    }
}
