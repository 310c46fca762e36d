//! The key-exchange and algorithm knobs shared by `clasp client`, `clasp server` and
//! `clasp demo` (`--groups`, `--suites`, `--sigalgs`): names as IANA spells them, checked
//! against what this build supports, so a typo is a usage error that lists the valid choices.

use std::sync::Arc;

use clasp::crypto::{aws_lc, KeyKind, RsaDecrypter, Signer, SigningKey};
use clasp::msgs::enums::{CipherSuite, NamedGroup, SignatureScheme};
use clasp::sign::{CertifiedKey, SingleCert};
use clasp::suites::{KeyExchange, ALL_SUITES};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer};

use crate::escape::printable;

/// The hash of an external PSK (`--psk-hash`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PskHash {
    /// SHA-256 (what OpenSSL's and GnuTLS's `-psk`/`--pskkey` use).
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
}

/// External PSK flags shared by `clasp client` and `clasp server` (TLS 1.3, RFC 8446 §4.2.11).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PskArgs {
    /// External PSK identity (TLS 1.3; sent in clear in the ClientHello); needs --psk-key
    /// (e.g. `--psk-identity client1`).
    #[arg(long, value_name = "ID", requires = "psk_key")]
    pub psk_identity: Option<String>,
    /// External PSK as hex, at least 16 bytes (e.g. `--psk-key $(openssl rand -hex 32)`); use
    /// one key per client and server pair: a key shared by several servers lets each of them
    /// impersonate the others.
    #[arg(long, value_name = "HEX", requires = "psk_identity")]
    pub psk_key: Option<String>,
    /// Hash the PSK is used with: sha256 (default, as OpenSSL and GnuTLS) or sha384.
    #[arg(long, value_enum, value_name = "HASH", default_value = "sha256")]
    pub psk_hash: PskHash,
    /// Use the PSK without (EC)DHE (psk_ke). NO FORWARD SECRECY: whoever learns the key later
    /// decrypts every recorded session. Both sides must ask for it.
    #[arg(long, requires = "psk_identity")]
    pub psk_ke_only: bool,
}

impl PskArgs {
    /// The external PSK, if one was given.
    ///
    /// # Errors
    /// A usage message for a key that is not hex or too short or long.
    pub fn external_psk(&self) -> Result<Option<clasp::psk::ExternalPsk>, String> {
        let (Some(id), Some(hex)) = (&self.psk_identity, &self.psk_key) else {
            return Ok(None);
        };
        let key = parse_hex(hex).ok_or_else(|| {
            "--psk-key: give the key as hex digits (e.g. --psk-key $(openssl rand -hex 32))"
                .to_string()
        })?;
        let hash = match self.psk_hash {
            PskHash::Sha256 => clasp::crypto::HashAlgorithm::Sha256,
            PskHash::Sha384 => clasp::crypto::HashAlgorithm::Sha384,
        };
        clasp::psk::ExternalPsk::new(id.as_bytes(), key, hash)
            .map(Some)
            .map_err(|e| format!("--psk-identity/--psk-key: {e}"))
    }

    /// psk_key_exchange_modes for the builders (RFC 8446 §4.2.9).
    #[must_use]
    pub fn modes(&self) -> Vec<clasp::msgs::enums::PskKeyExchangeMode> {
        use clasp::msgs::enums::PskKeyExchangeMode;
        if self.psk_ke_only {
            vec![PskKeyExchangeMode::PskKe]
        } else {
            vec![PskKeyExchangeMode::PskDheKe]
        }
    }
}

/// Hex digits (an even number of them, upper or lower case) as bytes.
fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() || s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A comma-separated list flag (`--groups x25519,secp256r1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameList(pub Vec<String>);

/// clap value parser: splits on commas, trims, refuses an empty list or an empty name.
///
/// # Errors
/// A message naming the problem.
pub fn parse_list(s: &str) -> Result<NameList, String> {
    let names: Vec<String> = s.split(',').map(|n| n.trim().to_string()).collect();
    if names.iter().any(String::is_empty) {
        return Err(format!(
            "'{}': give names separated by commas, e.g. x25519,secp256r1",
            printable(s)
        ));
    }
    Ok(NameList(names))
}

/// Whether a group can only be used in TLS 1.3 (the ML-KEM hybrids and ML-KEM itself:
/// draft-ietf-tls-ecdhe-mlkem §3 defines them for TLS 1.3 key_share only).
fn tls13_only(g: NamedGroup) -> bool {
    g.name().is_some_and(|n| n.contains("MLKEM"))
}

/// The groups this build can use, as IANA names.
fn group_names() -> Vec<&'static str> {
    aws_lc::default_provider()
        .kx_groups
        .iter()
        .filter_map(|g| g.name().name())
        .collect()
}

/// Parses `--groups`: each name must be a group this build supports; with `tls12_only`, a
/// TLS 1.3-only group is refused too.
///
/// # Errors
/// A usage message that lists the valid names.
pub fn groups(list: &NameList, tls12_only: bool) -> Result<Vec<NamedGroup>, String> {
    let known = group_names();
    list.0
        .iter()
        .map(|name| {
            let g = crate::demo::parse_group(name)
                .filter(|g| g.name().is_some_and(|n| known.contains(&n)));
            match g {
                None => Err(format!(
                    "--groups: unknown group '{}'; valid: {}",
                    printable(name),
                    known.join(", ")
                )),
                Some(g) if tls12_only && tls13_only(g) => Err(format!(
                    "--groups: {g} is a TLS 1.3-only group and --tls12 was given; for TLS 1.2 \
                     use: {}",
                    known
                        .iter()
                        .filter(|n| !n.contains("MLKEM"))
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(g) => Ok(g),
            }
        })
        .collect()
}

/// Parses `--suites` (IANA names, e.g. TLS_AES_128_GCM_SHA256,
/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256). A TLS 1.3 suite with `tls12_only` (or a TLS 1.2
/// suite with `tls13_only`) is refused: it could never be used.
///
/// # Errors
/// A usage message that lists the valid names.
pub fn suites(
    list: &NameList,
    tls12_only: bool,
    tls13_only: bool,
) -> Result<Vec<CipherSuite>, String> {
    let all = || {
        ALL_SUITES
            .iter()
            .map(|s| s.suite.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    list.0
        .iter()
        .map(|name| {
            let Some(info) = ALL_SUITES
                .iter()
                .find(|s| s.suite.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            else {
                return Err(format!(
                    "--suites: unknown cipher suite '{}'; valid: {}",
                    printable(name),
                    all()
                ));
            };
            let is13 = info.kx == KeyExchange::Tls13;
            if tls12_only && is13 {
                return Err(format!(
                    "--suites: {} is a TLS 1.3 suite and --tls12 was given",
                    info.suite
                ));
            }
            if tls13_only && !is13 {
                return Err(format!(
                    "--suites: {} is a TLS 1.2 suite and --tls13 was given",
                    info.suite
                ));
            }
            Ok(info.suite)
        })
        .collect()
}

/// Whether `--suites` leaves a TLS 1.2 suite with this key exchange (the flags that enable it
/// must then be on too).
pub fn needs(list: &[CipherSuite], kx: KeyExchange) -> Option<CipherSuite> {
    list.iter()
        .copied()
        .find(|s| ALL_SUITES.iter().any(|i| i.suite == *s && i.kx == kx))
}

/// Parses `--sigalgs` (IANA names, e.g. ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256).
///
/// # Errors
/// A usage message that lists the valid names.
pub fn sigalgs(list: &NameList) -> Result<Vec<SignatureScheme>, String> {
    let known: Vec<SignatureScheme> = aws_lc::default_provider()
        .verifiers
        .supported_schemes()
        .to_vec();
    list.0
        .iter()
        .map(|name| {
            known
                .iter()
                .copied()
                .find(|s| s.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
                .ok_or_else(|| {
                    format!(
                        "--sigalgs: unknown signature scheme '{}'; valid: {}",
                        printable(name),
                        known
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        })
        .collect()
}

/// `clasp server --sigalgs`: the server's key, signing only with the listed schemes (the
/// client's offer, in its preference order, narrowed to them: RFC 8446 §4.4.3 lets the server
/// pick any offered scheme its key supports).
#[derive(Debug)]
struct OnlySchemesKey {
    inner: Arc<dyn SigningKey>,
    schemes: Vec<SignatureScheme>,
}

impl SigningKey for OnlySchemesKey {
    fn kind(&self) -> KeyKind {
        self.inner.kind()
    }

    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let allowed: Vec<SignatureScheme> = offered
            .iter()
            .copied()
            .filter(|s| self.schemes.contains(s))
            .collect();
        self.inner.choose_scheme(&allowed)
    }

    fn rsa_decrypter(&self) -> Option<&dyn RsaDecrypter> {
        self.inner.rsa_decrypter()
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'static>> {
        self.inner.public_key()
    }
}

/// The server's certificate whose key signs only with `schemes` (`--sigalgs`).
///
/// # Errors
/// The key cannot be loaded or does not match the certificate, said for a person.
pub fn cert_with_schemes(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    schemes: Vec<SignatureScheme>,
) -> Result<SingleCert, String> {
    let provider = aws_lc::default_provider();
    let ck = CertifiedKey::from_der(chain, key, &provider)
        .map_err(|e| format!("--sigalgs: cannot use the certificate and key: {e}"))?;
    let key = Arc::new(OnlySchemesKey {
        inner: ck.key,
        schemes,
    });
    Ok(SingleCert(Arc::new(CertifiedKey { cert: ck.cert, key })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> NameList {
        parse_list(s).unwrap()
    }

    #[test]
    fn names_parse_and_typos_list_the_choices() {
        assert_eq!(
            groups(&l("x25519, P-256"), false).unwrap(),
            vec![NamedGroup::X25519, NamedGroup::secp256r1]
        );
        let e = groups(&l("curve9"), false).unwrap_err();
        assert!(
            e.contains("unknown group 'curve9'") && e.contains("x25519"),
            "{e}"
        );
        let e = groups(&l("X25519MLKEM768"), true).unwrap_err();
        assert!(e.contains("TLS 1.3-only"), "{e}");
        assert_eq!(
            suites(&l("tls_aes_128_gcm_sha256"), false, false).unwrap(),
            vec![CipherSuite::TLS_AES_128_GCM_SHA256]
        );
        assert!(suites(&l("TLS_AES_128_GCM_SHA256"), true, false).is_err());
        assert!(parse_list("a,,b").is_err());
        assert!(sigalgs(&l("ed25519")).is_ok());
        assert!(sigalgs(&l("dsa")).unwrap_err().contains("valid:"));
    }
}
