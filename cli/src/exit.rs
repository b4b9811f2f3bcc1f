//! How the command ends: the exit code, decided by the kind of failure, and what it prints.

use std::process::ExitCode;

use porticus::{ActError, Code};

/// A failed command.
#[derive(Debug)]
pub enum Exit {
    /// The act or emit failed with an `ActError`: exit 1, the error as JSON on stderr.
    Act(ActError),
    /// The transport could not reach the service (`transport_unavailable`): exit 2, the error
    /// as JSON on stderr.
    Connection(ActError),
    /// A usage or connection error: exit 2, the message on stderr.
    Usage(String),
    /// The command ran but did not do all it was asked (`dlq replay` left some letters):
    /// exit 1, the message on stderr.
    Failed(String),
}

impl Exit {
    /// A usage or connection error.
    pub fn usage(message: impl Into<String>) -> Exit {
        Exit::Usage(message.into())
    }

    /// Prints the failure and returns its exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Exit::Act(error) => {
                eprintln!("{}", serde_json::json!(error));
                ExitCode::from(1)
            }
            Exit::Connection(error) => {
                eprintln!("{}", serde_json::json!(error));
                ExitCode::from(2)
            }
            Exit::Usage(message) => {
                eprintln!("porticus: {message}");
                ExitCode::from(2)
            }
            Exit::Failed(message) => {
                eprintln!("porticus: {message}");
                ExitCode::from(1)
            }
        }
    }
}

impl From<ActError> for Exit {
    fn from(error: ActError) -> Exit {
        if error.code() == &Code::TRANSPORT_UNAVAILABLE {
            Exit::Connection(error)
        } else {
            Exit::Act(error)
        }
    }
}
