//! One module per subcommand.

pub mod act;
pub mod emit;
pub mod new;
