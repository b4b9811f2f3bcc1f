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

    /// Prints the failure on stderr: an `ActError` as JSON, anything else as a sentence.
    pub fn print(&self) {
        match self {
            Exit::Act(error) | Exit::Connection(error) => {
                eprintln!("{}", serde_json::json!(error));
            }
            Exit::Usage(message) | Exit::Failed(message) => eprintln!("porticus: {message}"),
        }
    }

    /// Prints the failure and returns its exit code.
    pub fn report(self) -> ExitCode {
        self.print();
        match self {
            Exit::Act(_) | Exit::Failed(_) => ExitCode::from(1),
            Exit::Connection(_) | Exit::Usage(_) => ExitCode::from(2),
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
