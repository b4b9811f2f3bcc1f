//! One module per subcommand.

pub mod act;
pub mod dlq;
pub mod emit;
pub mod new;
