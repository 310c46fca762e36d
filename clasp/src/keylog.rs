//! SSLKEYLOGFILE: secrets in the NSS key log format, so Wireshark can decrypt clasp traffic.
//!
//! Each line is `<LABEL> <client_random hex> <secret hex>`. Logging is opt-in: it happens only
//! through an explicit [`KeyLog`] in the config (`with_key_log`), or `with_env_key_log()`, which
//! reads `SSLKEYLOGFILE` when the program asks for it. The library never reads the variable on its
//! own: a server that merely inherits it must not write every session secret to disk. The `clasp`
//! tools honour `SSLKEYLOGFILE` (as curl does) and `--keylog FILE`, and say on stderr whenever key
//! logging is on.
//!
//! The file is created owner-only (mode 0600 on Unix) and opened for appending; a file that
//! already exists keeps its permissions.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

/// Receives secrets as they are derived.
pub trait KeyLog: Send + Sync + fmt::Debug {
    /// Records `secret` under `label` (e.g. `CLIENT_HANDSHAKE_TRAFFIC_SECRET`) for the connection
    /// whose ClientHello.random is `client_random`.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

/// Appends NSS key log lines to a file.
pub struct KeyLogFile {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl KeyLogFile {
    /// Logs to the file named by `SSLKEYLOGFILE`, if the variable is set and non-empty.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("SSLKEYLOGFILE")?;
        if path.is_empty() {
            return None;
        }
        Some(Self::new(PathBuf::from(path)))
    }

    /// Logs to `path` (created owner-only if absent, appended to otherwise). The file is opened
    /// at the first secret; a file that cannot be opened then is skipped silently (a key log
    /// must never break a connection). Use [`Self::open`] to see such errors up front.
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            file: Mutex::new(None),
        }
    }

    /// Opens (or creates, owner-only) `path` for appending now, so that a bad path is reported
    /// to the caller instead of silently logging nothing.
    ///
    /// # Errors
    /// The error from opening the file (missing directory, permission denied, …).
    pub fn open(path: PathBuf) -> io::Result<Self> {
        let file = open_append(&path)?;
        Ok(Self {
            path,
            file: Mutex::new(Some(file)),
        })
    }

    /// The file being written.
    #[must_use]
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// Opens `path` for appending, creating it with mode 0600 on Unix: the secrets in it decrypt
/// every logged connection, so no other user may read it.
fn open_append(path: &std::path::Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Formats one NSS key log line.
#[must_use]
pub fn format_line(label: &str, client_random: &[u8], secret: &[u8]) -> String {
    let mut line =
        String::with_capacity(label.len() + 2 + 2 * (client_random.len() + secret.len()));
    line.push_str(label);
    line.push(' ');
    for b in client_random {
        line.push_str(&format!("{b:02x}"));
    }
    line.push(' ');
    for b in secret {
        line.push_str(&format!("{b:02x}"));
    }
    line.push('\n');
    line
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let Ok(mut guard) = self.file.lock() else {
            return;
        };
        if guard.is_none() {
            *guard = open_append(&self.path).ok();
        }
        if let Some(f) = guard.as_mut() {
            // A failing key log must never break the connection; the write is best effort.
            let _ = f.write_all(format_line(label, client_random, secret).as_bytes());
        }
    }
}

impl fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLogFile")
            .field("path", &self.path)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nss_line_format() {
        assert_eq!(
            format_line("CLIENT_RANDOM", &[0xab, 0x01], &[0xff]),
            "CLIENT_RANDOM ab01 ff\n"
        );
    }

    #[test]
    fn file_appends_lines() {
        let path = std::env::temp_dir().join(format!("clasp-keylog-{}.txt", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let k = KeyLogFile::new(path.clone());
        k.log("A", &[1], &[2]);
        k.log("B", &[3], &[4]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "A 01 02\nB 03 04\n");
        let _ = std::fs::remove_file(&path);
    }
}
