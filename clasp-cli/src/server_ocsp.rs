//! `clasp server --ocsp FILE`: the DER OCSP response to staple, reloaded when the file changes.
//!
//! The file's modification time is looked at when a client asks for a staple, at most once per
//! [`CHECK_EVERY`]; a changed file is read (at most [`MAX_FILE`] bytes) and checked to be a DER
//! OCSPResponse before it replaces the one being served. A missing, oversized or unparsable file
//! keeps the previous response and is logged, so a renewal job that writes a bad file does not
//! take stapling down.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use clasp::ocsp::OcspResponder;
use clasp::Error;
use rustls_pki_types::CertificateDer;
use x509_cert::der::Decode;

use crate::escape::printable;

/// How often the file's modification time is checked, at most.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Largest file read: what the library staples at most (RFC 6066 §8 allows 16 MiB; real
/// responses are a few KiB).
pub const MAX_FILE: u64 = 64 * 1024;

/// A stapled response read from a file and refreshed when the file changes.
#[derive(Debug)]
pub struct OcspFile {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    der: Arc<Vec<u8>>,
    mtime: Option<SystemTime>,
    checked: Instant,
}

/// Reads and checks the file: its modification time and bytes.
fn read(path: &Path) -> Result<(Option<SystemTime>, Vec<u8>), String> {
    let name = path.display();
    let meta = fs::metadata(path).map_err(|e| format!("--ocsp {name}: {e}"))?;
    if meta.len() > MAX_FILE {
        return Err(format!(
            "--ocsp {name}: {} bytes is more than the {MAX_FILE} bytes a staple may have",
            meta.len()
        ));
    }
    let der = fs::read(path).map_err(|e| format!("--ocsp {name}: {e}"))?;
    if der.is_empty() || der.len() > clasp::msgs::extensions::MAX_OCSP_RESPONSE_SIZE {
        return Err(format!("--ocsp {name}: empty or too large"));
    }
    x509_ocsp::OcspResponse::from_der(&der).map_err(|e| {
        format!(
            "--ocsp {name}: not a DER OCSP response ({e}); make one with \
             `openssl ocsp ... -respout FILE`"
        )
    })?;
    Ok((meta.modified().ok(), der))
}

impl OcspFile {
    /// Loads `path` now.
    ///
    /// # Errors
    /// A message naming the file when it cannot be read or is not a DER OCSP response.
    pub fn load(path: &Path) -> Result<Self, String> {
        let (mtime, der) = read(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            state: Mutex::new(State {
                der: Arc::new(der),
                mtime,
                checked: Instant::now(),
            }),
        })
    }

    /// The response being served now, after a reload if the file changed (checked at most
    /// every [`CHECK_EVERY`]).
    pub fn current(&self) -> Arc<Vec<u8>> {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if st.checked.elapsed() >= CHECK_EVERY {
            st.checked = Instant::now();
            let mtime = fs::metadata(&self.path)
                .ok()
                .and_then(|m| m.modified().ok());
            if mtime.is_none() || mtime != st.mtime {
                match read(&self.path) {
                    Ok((_, der)) => {
                        eprintln!(
                            "clasp server: --ocsp {}: reloaded ({} bytes)",
                            printable(&self.path.display().to_string()),
                            der.len()
                        );
                        st.der = Arc::new(der);
                    }
                    Err(e) => eprintln!(
                        "clasp server: {}; still stapling the previous response",
                        printable(&e)
                    ),
                }
                // A bad file is reported once, not at every check: wait for it to change.
                st.mtime = mtime.or(st.mtime);
            }
        }
        Arc::clone(&st.der)
    }
}

impl OcspResponder for OcspFile {
    fn ocsp_response(&self, _: &CertificateDer<'_>) -> Result<Option<Vec<u8>>, Error> {
        Ok(Some(self.current().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal DER OCSPResponse: `SEQUENCE { ENUMERATED tryLater(3) }` (RFC 6960 §4.2.1).
    const TRY_LATER: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x03];
    /// `SEQUENCE { ENUMERATED internalError(2) }`.
    const INTERNAL_ERROR: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x02];

    fn backdate(f: &OcspFile) {
        let mut st = f.state.lock().unwrap();
        st.checked = Instant::now().checked_sub(CHECK_EVERY).unwrap();
    }

    #[test]
    fn reloads_a_changed_file_and_keeps_the_old_one_when_it_turns_bad() {
        let dir = std::env::temp_dir().join(format!("clasp-ocsp-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("staple.der");
        fs::write(&path, TRY_LATER).unwrap();
        let f = OcspFile::load(&path).unwrap();
        assert_eq!(f.current().as_slice(), TRY_LATER);

        // Within CHECK_EVERY nothing is looked at, even if the file changed.
        fs::write(&path, INTERNAL_ERROR).unwrap();
        assert_eq!(f.current().as_slice(), TRY_LATER);
        // Force a different mtime, whatever the filesystem's granularity.
        let later = SystemTime::now() + Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        backdate(&f);
        assert_eq!(f.current().as_slice(), INTERNAL_ERROR);

        // A bad file keeps the previous response; so does a missing one.
        fs::write(&path, b"not der").unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later + Duration::from_secs(5))
            .unwrap();
        backdate(&f);
        assert_eq!(f.current().as_slice(), INTERNAL_ERROR);
        fs::remove_file(&path).unwrap();
        backdate(&f);
        assert_eq!(f.current().as_slice(), INTERNAL_ERROR);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn load_refuses_what_is_not_an_ocsp_response() {
        let dir = std::env::temp_dir().join(format!("clasp-ocsp-bad-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.der");
        fs::write(&path, b"hello").unwrap();
        let e = OcspFile::load(&path).unwrap_err();
        assert!(e.contains("not a DER OCSP response"), "{e}");
        assert!(OcspFile::load(&dir.join("missing.der")).is_err());
        fs::write(&path, vec![0x30; 70_000]).unwrap();
        assert!(OcspFile::load(&path).unwrap_err().contains("more than"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
