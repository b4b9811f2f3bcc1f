//! One module per subcommand.

pub mod act;
pub mod dlq;
pub mod emit;
pub mod introspect;
pub mod new;
pub mod probe;
pub mod repl;
