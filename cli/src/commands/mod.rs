//! One module per subcommand.

pub mod act;
pub mod emit;
