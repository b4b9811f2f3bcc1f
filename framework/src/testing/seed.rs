//! [`Seed`]: the one number every random choice of a test derives from, so that a failing run
//! can be replayed.

use std::fmt;

/// The environment variable that fixes the seed of every [`TestNode`](super::TestNode) of a
/// run: set it to the seed a failing test printed to replay that test's random choices.
pub const SEED_VAR: &str = "PORTICUS_TEST_SEED";

/// The seed of a test's random choices: seeded faults (latency, errors, drops, duplicates) and
/// shuffled event orders. Printed when a test that used it fails.
///
/// ```
/// use porticus::testing::Seed;
///
/// assert_eq!(Seed::new(42).value(), 42);
/// assert_eq!(Seed::new(42).to_string(), "42");
/// // From PORTICUS_TEST_SEED when it is set, else a fresh random one.
/// let _any = Seed::from_env();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seed(u64);

impl Seed {
    /// A fixed seed.
    pub const fn new(value: u64) -> Seed {
        Seed(value)
    }

    /// The seed in [`SEED_VAR`] (`PORTICUS_TEST_SEED`) when it is set to a number, else a random
    /// one.
    ///
    /// # Panics
    /// When the variable is set to something that is not a number: a replay must not silently
    /// run with another seed.
    pub fn from_env() -> Seed {
        match std::env::var(SEED_VAR) {
            Ok(text) => match text.trim().parse() {
                Ok(value) => Seed(value),
                Err(_) => panic!("{SEED_VAR} must be an unsigned 64-bit number, got `{text}`"),
            },
            Err(_) => Seed(fastrand::u64(..)),
        }
    }

    /// The number.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// How to replay a run with this seed, for a failure message.
    pub(crate) fn replay(self) -> String {
        format!("seed {self} (rerun with {SEED_VAR}={self})")
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
