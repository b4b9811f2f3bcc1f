//! Validation of decoded inputs with `garde` (feature `validate`): every failing field in one
//! `act_invalid_msg`.

use serde_json::{json, Value};

use crate::error::{ActError, Code};

/// Checks `input` with its `garde` rules; on failure, one `act_invalid_msg` error naming every
/// failing field (not only the first) in `details.errors`, each `{field, message}` in
/// `garde`'s order (by path), and the
/// first one in `details.field` as decoding errors do.
///
/// `#[action("…", validate)]` calls this between decoding the input and running the handler;
/// calling it by hand is only useful in a handler that decodes its own input.
///
/// ```
/// use porticus::garde::{self, Validate};
///
/// #[derive(Validate)]
/// struct Charge {
///     #[garde(length(min = 1))]
///     order: String,
///     #[garde(range(min = 1))]
///     amount: u64,
/// }
///
/// let err = porticus::validate(&Charge { order: String::new(), amount: 0 }, "role:pay,cmd:charge")
///     .unwrap_err();
/// assert_eq!(err.code().as_str(), "act_invalid_msg");
/// let fields: Vec<_> = err.details()["errors"].as_array().unwrap().iter()
///     .map(|e| e["field"].as_str().unwrap().to_owned()).collect();
/// assert_eq!(fields, ["amount", "order"]);
/// assert!(porticus::validate(&Charge { order: "o1".into(), amount: 5 }, "role:pay").is_ok());
/// ```
pub fn validate<T: garde::Validate<Context = ()> + ?Sized>(
    input: &T,
    pattern: &str,
) -> Result<(), ActError> {
    match input.validate() {
        Ok(()) => Ok(()),
        Err(report) => Err(invalid(pattern, &report)),
    }
}

/// The error for a failed validation.
fn invalid(pattern: &str, report: &garde::Report) -> ActError {
    let errors: Vec<Value> = report
        .iter()
        .map(|(path, error)| json!({ "field": field(&path.to_string()), "message": error.message() }))
        .collect();
    let listed: Vec<String> = errors
        .iter()
        .map(|e| {
            format!(
                "`{}`: {}",
                e["field"].as_str().unwrap_or("."),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    let first = errors
        .first()
        .map_or_else(|| json!("."), |e| e["field"].clone());
    ActError::new(
        Code::ACT_INVALID_MSG,
        format!("invalid message for `{pattern}`: {}", listed.join("; ")),
    )
    .with_details(json!({
        "pattern": pattern,
        "field": first,
        "errors": errors,
    }))
}

/// A field path as decoding errors write it: `.` for the value itself.
fn field(path: &str) -> &str {
    if path.is_empty() {
        "."
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use garde::Validate;

    use super::*;

    #[derive(Validate)]
    struct Line {
        #[garde(length(min = 1))]
        sku: String,
        #[garde(range(min = 1, max = 99))]
        qty: u32,
    }

    #[derive(Validate)]
    struct Order {
        #[garde(length(min = 1))]
        id: String,
        #[garde(length(min = 1), dive)]
        lines: Vec<Line>,
    }

    #[test]
    fn every_failing_field_is_listed_with_its_path() {
        let order = Order {
            id: String::new(),
            lines: vec![
                Line {
                    sku: "a".into(),
                    qty: 1,
                },
                Line {
                    sku: String::new(),
                    qty: 100,
                },
            ],
        };
        let err = validate(&order, "role:order,cmd:place").unwrap_err();
        assert_eq!(err.code(), &Code::ACT_INVALID_MSG);
        let details = err.details();
        let fields: Vec<&str> = details["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["id", "lines[1].qty", "lines[1].sku"]);
        assert_eq!(details["field"], "id");
        assert_eq!(details["pattern"], "role:order,cmd:place");
        assert!(
            err.message().contains("`lines[1].qty`: "),
            "{}",
            err.message()
        );
    }

    #[test]
    fn a_valid_input_passes() {
        let order = Order {
            id: "o1".into(),
            lines: vec![Line {
                sku: "a".into(),
                qty: 3,
            }],
        };
        assert!(validate(&order, "role:order").is_ok());
    }
}
