//! Reading the negotiated parameters out of the peers' human-readable reports.
//!
//! What each peer prints (OpenSSL 3.0, GnuTLS 3.7):
//! - `s_client`: `New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384` (or `Reused, …`) on stdout;
//!   with `-brief`: `Protocol version: TLSv1.3` and `Ciphersuite: …` on stderr.
//! - `s_server`: `CIPHER is …` and, on resumption, `Reused session-id` on stdout (no version);
//!   with `-brief`: `Protocol version:` / `Ciphersuite:` on stderr.
//! - `gnutls-cli`: `- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)`
//!   and, on resumption, `*** This is a resumed session`.
//! - `gnutls-serv`: the same Description plus `- Version: TLS1.3` and `- Cipher: AES-256-GCM`.

use crate::TlsVersion;

fn version_from(token: &str) -> Option<TlsVersion> {
    match token.trim() {
        "TLSv1.3" | "TLS1.3" => Some(TlsVersion::Tls13),
        "TLSv1.2" | "TLS1.2" => Some(TlsVersion::Tls12),
        _ => None,
    }
}

/// The protocol version the first connection report in `text` names.
pub fn negotiated_version(text: &str) -> Option<TlsVersion> {
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line
            .strip_prefix("New, ")
            .or_else(|| line.strip_prefix("Reused, "))
        {
            return version_from(rest.split(',').next()?);
        }
        if let Some(rest) = line
            .strip_prefix("Protocol version:")
            .or_else(|| line.strip_prefix("- Version:"))
        {
            return version_from(rest);
        }
        if let Some(d) = gnutls_description_of(line) {
            return version_from(d.trim_start_matches('(').split(['-', ')']).next()?);
        }
    }
    None
}

/// The cipher (suite) the first connection report in `text` names, in the peer's own naming:
/// OpenSSL gives suite names (`TLS_AES_128_GCM_SHA256`, `ECDHE-ECDSA-AES128-GCM-SHA256`),
/// GnuTLS only the cipher (`AES-128-GCM`).
pub fn cipher(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        if let Some((_, c)) = line.split_once("Cipher is ") {
            return Some(c.trim().to_owned());
        }
        if let Some(c) = line
            .strip_prefix("CIPHER is ")
            .or_else(|| line.strip_prefix("Ciphersuite:"))
            .or_else(|| line.strip_prefix("- Cipher:"))
        {
            return Some(c.trim().to_owned());
        }
        if let Some(d) = gnutls_description_of(line) {
            return Some(d.rsplit('(').next()?.trim_end_matches(')').to_owned());
        }
    }
    None
}

fn gnutls_description_of(line: &str) -> Option<&str> {
    line.strip_prefix("- Description:").map(str::trim)
}

/// GnuTLS's one-line summary, e.g. `(TLS1.2)-(ECDHE-X25519)-(RSA-SHA256)-(AES-128-GCM)`.
pub fn gnutls_description(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| gnutls_description_of(l.trim()))
        .map(str::to_owned)
}

/// Whether the report says the session was resumed (s_client `Reused,`, s_server
/// `Reused session-id`, gnutls-cli `This is a resumed session`).
pub fn resumed(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l.starts_with("Reused, ")
            || l.starts_with("Reused session-id")
            || l.contains("This is a resumed session")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_reports() {
        let t = "---\nNew, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384\nServer public key";
        assert_eq!(negotiated_version(t), Some(TlsVersion::Tls13));
        assert_eq!(cipher(t).as_deref(), Some("TLS_AES_256_GCM_SHA384"));
        assert!(!resumed(t));
        let t = "Reused, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256\n";
        assert_eq!(negotiated_version(t), Some(TlsVersion::Tls12));
        assert!(resumed(t));
        let t = "CONNECTION ESTABLISHED\nProtocol version: TLSv1.2\nCiphersuite: ECDHE-ECDSA-AES256-GCM-SHA384\n";
        assert_eq!(negotiated_version(t), Some(TlsVersion::Tls12));
        assert_eq!(cipher(t).as_deref(), Some("ECDHE-ECDSA-AES256-GCM-SHA384"));
        assert_eq!(
            cipher("Shared ciphers:x\nCIPHER is TLS_AES_128_GCM_SHA256\n").as_deref(),
            Some("TLS_AES_128_GCM_SHA256")
        );
    }

    #[test]
    fn gnutls_reports() {
        let t = "- Status: The certificate is trusted. \n- Description: (TLS1.3-X.509)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)\n";
        assert_eq!(negotiated_version(t), Some(TlsVersion::Tls13));
        assert_eq!(cipher(t).as_deref(), Some("AES-256-GCM"));
        let t = "- Description: (TLS1.2)-(ECDHE-X25519)-(RSA-SHA256)-(AES-128-GCM)\n";
        assert_eq!(negotiated_version(t), Some(TlsVersion::Tls12));
        assert_eq!(
            gnutls_description(t).as_deref(),
            Some("(TLS1.2)-(ECDHE-X25519)-(RSA-SHA256)-(AES-128-GCM)")
        );
        assert!(resumed("*** This is a resumed session\n"));
        assert_eq!(negotiated_version("nothing here"), None);
    }
}
