//! Errors: [`Error`] for local failures (building a node, config, transports), and
//! [`ActError`] for the outcome of an act, which crosses every transport unchanged.

mod act;

use std::fmt;

pub use act::{ActError, Code};

/// A `Result` whose error defaults to [`Error`].
///
/// ```
/// use porticus::Node;
///
/// fn build() -> porticus::Result<Node> {
///     Node::builder().without_registered().name("billing").build()
/// }
///
/// assert_eq!(build().unwrap().name(), "billing");
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of local failure an [`Error`] is.
///
/// ```
/// use porticus::{config::Config, ErrorKind};
///
/// let err = Config::from_toml_str("[service]\nnmae = \"typo\"").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Config);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Handlers could not be registered: a malformed pattern, or the same pattern twice.
    Registration,
    /// The configuration is missing, malformed or names something unavailable.
    Config,
    /// A transport could not be set up.
    Transport,
}

/// A local failure: building a node, reading config, starting a transport.
///
/// Failures of individual acts are [`ActError`]s instead.
///
/// ```
/// use porticus::{ErrorKind, Node};
///
/// let err = Node::builder()
///     .without_registered()
///     .add("role:math,cmd:", |v: serde_json::Value| async move { Ok::<_, porticus::ActError>(v) })
///     .build()
///     .unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Registration);
/// ```
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` saying `message`.
    ///
    /// ```
    /// use porticus::{Error, ErrorKind};
    ///
    /// let err = Error::new(ErrorKind::Config, "no `[service]` name");
    /// assert_eq!(err.to_string(), "no `[service]` name");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause, reported through [`std::error::Error::source`].
    ///
    /// ```
    /// use porticus::{Error, ErrorKind};
    /// use std::error::Error as _;
    ///
    /// let io = std::io::Error::other("disk on fire");
    /// let err = Error::new(ErrorKind::Config, "cannot read `config/default.toml`").with_source(io);
    /// assert_eq!(err.source().map(|s| s.to_string()).as_deref(), Some("disk on fire"));
    /// ```
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The same error, its message prefixed by where it happened (`[[listen]] 1 (http)`).
    #[must_use]
    pub(crate) fn context(mut self, at: &str) -> Self {
        self.message = format!("{at}: {}", self.message);
        self
    }

    /// The kind of failure.
    ///
    /// ```
    /// use porticus::{Error, ErrorKind};
    ///
    /// assert_eq!(Error::new(ErrorKind::Transport, "refused").kind(), ErrorKind::Transport);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// Reads like [`Display`](fmt::Display), prefixed by the kind — what `main` returning
/// `porticus::Result` prints on failure (`Error: Config error: …`); `{:#?}` shows the fields.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("Error")
                .field("kind", &self.kind)
                .field("message", &self.message)
                .field("source", &self.source)
                .finish();
        }
        write!(f, "{:?} error: {}", self.kind, self.message)?;
        if let Some(source) = &self.source {
            let cause = source.to_string();
            if !self.message.contains(&cause) {
                write!(f, " (caused by: {cause})")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_reads_like_the_message_for_main() {
        let io = std::io::Error::other("disk on fire");
        let err =
            Error::new(ErrorKind::Config, "invalid configuration in `x.toml`").with_source(io);
        assert_eq!(
            format!("{err:?}"),
            "Config error: invalid configuration in `x.toml` (caused by: disk on fire)"
        );
        assert!(format!("{err:#?}").contains("kind: Config"));
        let err = Error::new(ErrorKind::Transport, "cannot connect: refused")
            .with_source(std::io::Error::other("refused"));
        assert_eq!(
            format!("{err:?}"),
            "Transport error: cannot connect: refused"
        );
    }
}
