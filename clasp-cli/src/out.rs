//! Writing to stdout when its reader may be gone (`clasp server | head -1`).
//!
//! Rust ignores SIGPIPE, so a closed pipe shows up as an `EPIPE` write error; `println!` would
//! panic on it (exit 101). Every stdout write of the tool goes through here instead: a failed
//! write to stdout ends the program quietly with [`exit::OK`] (the reader asked for no more,
//! as `head -1` does), documented in `--help`.

use std::fmt;
use std::io::{self, Write};

use crate::exit;

/// Ends the program because stdout can no longer be written: quietly, exit 0.
pub fn closed() -> ! {
    std::process::exit(i32::from(exit::OK))
}

/// Writes `bytes` to stdout and flushes; on any error, [`closed`].
pub fn write_all(bytes: &[u8]) {
    let mut o = io::stdout().lock();
    if o.write_all(bytes).and_then(|()| o.flush()).is_err() {
        closed();
    }
}

/// Writes formatted text to stdout; on any error, [`closed`].
pub fn print(args: fmt::Arguments<'_>) {
    let mut o = io::stdout().lock();
    if o.write_fmt(args).and_then(|()| o.flush()).is_err() {
        closed();
    }
}

/// `println!` that ends the program quietly when stdout is closed.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::out::print(format_args!("{}\n", format_args!($($t)*)))
    };
}
pub(crate) use outln;
