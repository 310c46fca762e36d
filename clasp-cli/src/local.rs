//! Local input of the tools: certificate, key and CA files, and the key log.
//!
//! Every problem with a file the user named is a clear message (STYLE: Display, never Debug;
//! name the file; say what to do next), returned as `Err(String)` for the caller to print with
//! its tool name and exit 2. The files are read and classified here, before the library sees
//! them, so that a DER file, an encrypted key or a key where a certificate belongs is named as
//! such, with the `openssl` command that fixes it.

use std::io;
use std::path::Path;
use std::sync::Arc;

use clasp::crypto::CryptoProvider;
use clasp::error::{ConfigError, Error};
use clasp::keylog::{KeyLog, KeyLogFile};
use clasp::sign::CertifiedKey;
use clasp::verify::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::escape::printable;

/// A flag and the file it named, for messages: `--cert /path/cert.pem`.
fn named(flag: &str, path: &Path) -> String {
    format!("{flag} {}", printable(&path.display().to_string()))
}

/// Reads a file the user named, turning each way it can fail into advice.
fn read(flag: &str, path: &Path, expected: &str) -> Result<Vec<u8>, String> {
    let what = named(flag, path);
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(format!("{what}: no such file; check the path"));
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(format!(
                "{what}: cannot read the file: permission denied; check its permissions \
                 (ls -l) or run as a user who may read it"
            ));
        }
        Err(_) if path.is_dir() => {
            return Err(format!(
                "{what}: is a directory; give the {expected} PEM file instead"
            ));
        }
        Err(e) => return Err(format!("{what}: cannot read the file: {e}")),
    };
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err(format!(
            "{what}: the file is empty; expected a PEM file with a {expected} \
             (-----BEGIN {expected}-----)"
        ));
    }
    Ok(data)
}

/// The labels of every `-----BEGIN LABEL-----` line, in order.
fn labels(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("-----BEGIN ")?
                .strip_suffix("-----")
                .map(|s| printable(s.trim()))
        })
        .collect()
}

/// Whether `data` looks like binary DER rather than PEM text: a DER SEQUENCE and no BEGIN line.
fn looks_like_der(data: &[u8]) -> bool {
    data.first() == Some(&0x30) && !String::from_utf8_lossy(data).contains("-----BEGIN ")
}

/// "a PRIVATE KEY", "CERTIFICATE REQUEST, X509 CRL", … for "holds …".
fn found(labels: &[String]) -> String {
    match labels {
        [] => "no PEM section (no -----BEGIN line)".to_string(),
        [one] => format!("only a {one} section"),
        many => format!("only {} sections", many.join(", ")),
    }
}

/// A PEM parse error, in words.
fn pem_problem(e: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error as P;
    match e {
        P::MissingSectionEnd { .. } => {
            "a PEM section has no -----END line (truncated file?)".into()
        }
        P::IllegalSectionStart { .. } => "a -----BEGIN line is malformed".into(),
        P::Base64Decode(_) => "a PEM section is not valid base64 (damaged file?)".into(),
        P::SectionTooLarge => "a PEM section is too large".into(),
        other => format!("the PEM does not parse ({other})"),
    }
}

/// Loads a certificate chain (every CERTIFICATE section, end-entity first).
///
/// # Errors
/// A message naming the flag and file and saying what to do.
pub fn load_certs(flag: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let data = read(flag, path, "CERTIFICATE")?;
    let what = named(flag, path);
    if looks_like_der(&data) {
        let p = printable(&path.display().to_string());
        return Err(format!(
            "{what}: this is a binary (DER) file, not PEM; convert it with \
             `openssl x509 -inform der -in {p} -out cert.pem` (for a .p12/.pfx bundle: \
             `openssl pkcs12 -in {p} -nodes -out bundle.pem`)"
        ));
    }
    let l = labels(&data);
    if !l.iter().any(|s| s == "CERTIFICATE") {
        let hint = if l.iter().any(|s| s.contains("PRIVATE KEY")) {
            "; did you swap the certificate and the key?"
        } else {
            "; give a PEM file with -----BEGIN CERTIFICATE-----"
        };
        return Err(format!(
            "{what}: holds {}, not a CERTIFICATE{hint}",
            found(&l)
        ));
    }
    CertificateDer::pem_slice_iter(&data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: {}", pem_problem(&e)))
}

/// Loads CA certificates into a root store (for `--ca`, `--client-auth`).
///
/// # Errors
/// As [`load_certs`], plus a certificate that does not parse as X.509.
pub fn load_roots(flag: &str, path: &Path) -> Result<RootCertStore, String> {
    let certs = load_certs(flag, path)?;
    let mut roots = RootCertStore::empty();
    for (i, c) in certs.iter().enumerate() {
        roots.add(c).map_err(|e| {
            format!(
                "{}: certificate {} of {} is not a usable CA certificate ({e}); check the file \
                 with `openssl x509 -noout -text -in FILE`",
                named(flag, path),
                i + 1,
                certs.len()
            )
        })?;
    }
    Ok(roots)
}

/// Loads a private key (PKCS#8 PRIVATE KEY, SEC1 EC PRIVATE KEY or PKCS#1 RSA PRIVATE KEY).
///
/// # Errors
/// A message naming the flag and file; an encrypted key or a DER file names the `openssl`
/// command that converts it.
pub fn load_key(flag: &str, path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let data = read(flag, path, "PRIVATE KEY")?;
    let what = named(flag, path);
    let p = printable(&path.display().to_string());
    if looks_like_der(&data) {
        return Err(format!(
            "{what}: this is a binary (DER) key, not PEM; convert it with \
             `openssl pkey -inform der -in {p} -out key.pem`"
        ));
    }
    let l = labels(&data);
    let text = String::from_utf8_lossy(&data);
    // RFC 5958 §3 EncryptedPrivateKeyInfo, or OpenSSL's legacy "Proc-Type: 4,ENCRYPTED" header.
    if l.iter().any(|s| s == "ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "{what}: the key is encrypted (password-protected); clasp needs an unencrypted key: \
             `openssl pkey -in {p} -out key-plain.pem` (asks for the password; keep the result \
             private, e.g. chmod 600)"
        ));
    }
    if l.iter().any(|s| s == "OPENSSH PRIVATE KEY") {
        return Err(format!(
            "{what}: this is an OpenSSH key, not a PEM private key; make a copy and convert \
             it with `ssh-keygen -p -m PKCS8 -f COPY`"
        ));
    }
    let known = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"];
    if !l.iter().any(|s| known.contains(&s.as_str())) {
        let hint = if l.iter().any(|s| s.ends_with("PRIVATE KEY")) {
            "; that key type is not supported: use an ECDSA (P-256, P-384), Ed25519 or RSA key"
        } else if l.iter().any(|s| s == "CERTIFICATE") {
            "; did you swap the certificate and the key?"
        } else {
            "; give a PEM file with -----BEGIN PRIVATE KEY-----"
        };
        return Err(format!(
            "{what}: holds {}, not a PRIVATE KEY{hint}",
            found(&l)
        ));
    }
    PrivateKeyDer::from_pem_slice(&data).map_err(|e| format!("{what}: {}", pem_problem(&e)))
}

/// Loads a certificate chain and its key and checks that they belong together.
///
/// # Errors
/// As [`load_certs`] and [`load_key`], plus an unsupported key type or a key that is not the
/// certificate's.
pub fn load_identity(
    (cert_flag, cert): (&str, &Path),
    (key_flag, key): (&str, &Path),
    provider: &CryptoProvider,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = load_certs(cert_flag, cert)?;
    let der = load_key(key_flag, key)?;
    let (c, k) = (named(cert_flag, cert), named(key_flag, key));
    match CertifiedKey::from_der(chain.clone(), der.clone_key(), provider) {
        Ok(_) => Ok((chain, der)),
        Err(Error::InvalidConfig(ConfigError::KeyMismatch)) => Err(format!(
            "{k} is not the private key of the certificate in {c}; give the key the \
             certificate was issued for (compare `openssl x509 -noout -pubkey -in CERT` with \
             `openssl pkey -pubout -in KEY`)"
        )),
        Err(Error::InvalidConfig(ConfigError::BadPrivateKey)) => Err(format!(
            "{k}: unsupported or malformed private key; clasp signs with ECDSA (P-256, P-384, \
             P-521), Ed25519 and RSA (2048 bits or more) keys"
        )),
        Err(Error::InvalidConfig(ConfigError::BadCertificateChain)) => Err(format!(
            "{c}: the first certificate does not parse as X.509; check the file with \
             `openssl x509 -noout -text -in CERT`"
        )),
        Err(e) => Err(format!("{c} with {k}: {e}")),
    }
}

/// The key log a tool should use: `--keylog FILE`, else the file named by `SSLKEYLOGFILE`
/// (as curl does), else none. The file is opened now (owner-only, appended to) so that a bad
/// path is a usage error, and a warning naming it goes to stderr: anyone who can read it can
/// decrypt the logged connections.
///
/// # Errors
/// The file cannot be opened.
pub fn key_log(tool: &str, flag: Option<&Path>) -> Result<Option<Arc<dyn KeyLog>>, String> {
    let (path, source) = match flag {
        Some(p) => (p.to_path_buf(), "--keylog"),
        None => match std::env::var_os("SSLKEYLOGFILE") {
            Some(p) if !p.is_empty() => (p.into(), "SSLKEYLOGFILE"),
            _ => return Ok(None),
        },
    };
    let shown = printable(&path.display().to_string());
    let file = KeyLogFile::open(path).map_err(|e| {
        let fix = if source == "--keylog" {
            "check that the directory exists and is writable"
        } else {
            "unset SSLKEYLOGFILE or point it at a writable file"
        };
        format!("{source} {shown}: cannot open the key log for writing: {e}; {fix}")
    })?;
    eprintln!(
        "{tool}: warning: logging TLS secrets to {shown} ({source}); anyone who can read this \
         file can decrypt these connections"
    );
    Ok(Some(Arc::new(file)))
}
