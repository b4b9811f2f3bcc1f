//! A one-line progress count on stderr, shown only on a terminal.

use std::io::{IsTerminal, Write};

/// `replayed 120/2000` redrawn in place.
#[derive(Debug)]
pub struct Progress {
    what: &'static str,
    total: u64,
    shown: bool,
}

impl Progress {
    /// A progress line, drawn when stderr is a terminal.
    pub fn new(what: &'static str, total: u64) -> Progress {
        Progress {
            what,
            total,
            shown: std::io::stderr().is_terminal(),
        }
    }

    /// Redraws it at `done`.
    pub fn set(&mut self, done: u64) {
        if self.shown {
            let width = 30usize;
            let filled = (done * width as u64)
                .checked_div(self.total)
                .map_or(width, |f| f as usize)
                .min(width);
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r[{}{}] {} {done}/{}",
                "#".repeat(filled),
                " ".repeat(width - filled),
                self.what,
                self.total
            );
            let _ = err.flush();
        }
    }

    /// Ends the line.
    pub fn finish(&mut self) {
        if self.shown {
            eprintln!();
            self.shown = false;
        }
    }
}
