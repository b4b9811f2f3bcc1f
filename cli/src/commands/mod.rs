//! One module per subcommand.

pub mod act;
pub mod emit;
pub mod introspect;
pub mod repl;
