//! Where a value sits in a configuration — `listen[0].url` — as errors name it and as the
//! summary finds it again.

use std::fmt;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A table's key.
    Key(String),
    /// An array's index.
    Index(usize),
}

/// Where a value sits in the configuration: `listen[0].url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(pub(crate) Vec<Segment>);

impl KeyPath {
    /// The last table key on the path (`urls` for `listen[0].urls[1]`).
    pub(crate) fn key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
    }

    /// Whether `prefix` (table keys, as a `PORTICUS__A__B` variable names them) leads here.
    pub(crate) fn starts_with_keys(&self, prefix: &[String]) -> bool {
        prefix.len() <= self.0.len()
            && prefix.iter().zip(&self.0).all(|(p, s)| match s {
                Segment::Key(k) => k == p,
                Segment::Index(i) => i.to_string() == *p,
            })
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_read_as_written_and_match_variable_prefixes() {
        let path = KeyPath(vec![
            Segment::Key("listen".into()),
            Segment::Index(0),
            Segment::Key("urls".into()),
            Segment::Index(2),
        ]);
        assert_eq!(path.to_string(), "listen[0].urls[2]");
        assert_eq!(path.key(), Some("urls"));
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(path.starts_with_keys(&keys(&["listen"])));
        assert!(path.starts_with_keys(&keys(&["listen", "0", "urls"])));
        assert!(!path.starts_with_keys(&keys(&["client"])));
        assert!(!path.starts_with_keys(&keys(&["listen", "0", "urls", "2", "x"])));
    }
}
