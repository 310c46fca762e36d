//! Display-only summary of X.509 certificates (subject, issuer, validity, key type, SANs),
//! parsed with `x509-parser`.
//!
//! This is for showing a certificate to a person, never for trusting it: verification is done
//! by the library (rustls-webpki behind `clasp::verify`). A certificate that does not parse
//! gives `None` (callers show "(unparsed)"). Names are the peer's bytes, lossily decoded and NOT
//! escaped here: every caller escapes them for its medium (terminal or HTML).

/// What the tool shows about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject distinguished name, e.g. "CN=localhost, O=clasp demo".
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// notBefore, as "YYYY-MM-DD HH:MM:SS UTC".
    pub not_before: String,
    /// notAfter.
    pub not_after: String,
    /// "ECDSA P-256", "RSA 2048", "Ed25519", …
    pub key: String,
    /// subjectAltName entries as received ("DNS:localhost", "IP:127.0.0.1", …); the text is
    /// the peer's, to be escaped before printing.
    pub sans: Vec<String>,
}

use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_PKCS1_RSASSAPSS, OID_SIG_ED25519, OID_SIG_ED448,
    OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME, OID_X509_LOCALITY_NAME,
    OID_X509_ORGANIZATIONAL_UNIT, OID_X509_ORGANIZATION_NAME, OID_X509_STATE_OR_PROVINCE_NAME,
};
use x509_parser::prelude::{ASN1Time, FromDer, SubjectPublicKeyInfo, X509Certificate, X509Name};
use x509_parser::public_key::RSAPublicKey;

/// "CN=…, O=…" in DER order; values are the raw bytes, lossily decoded (escaped by the caller).
fn name(n: &X509Name<'_>) -> String {
    let labels = [
        (OID_X509_COMMON_NAME, "CN"),
        (OID_X509_COUNTRY_NAME, "C"),
        (OID_X509_LOCALITY_NAME, "L"),
        (OID_X509_STATE_OR_PROVINCE_NAME, "ST"),
        (OID_X509_ORGANIZATION_NAME, "O"),
        (OID_X509_ORGANIZATIONAL_UNIT, "OU"),
    ];
    let parts: Vec<String> = n
        .iter_attributes()
        .map(|atv| {
            let label = labels
                .iter()
                .find(|(oid, _)| oid == atv.attr_type())
                .map_or("?", |(_, l)| l);
            let value = String::from_utf8_lossy(atv.attr_value().data);
            format!("{label}={value}")
        })
        .collect();
    if parts.is_empty() {
        "(empty)".to_string()
    } else {
        parts.join(", ")
    }
}

/// RFC 5280 §4.1.2.5 (UTCTime or GeneralizedTime) as "YYYY-MM-DD HH:MM:SS UTC".
fn time(t: ASN1Time) -> String {
    let d = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

fn key_type(spki: &SubjectPublicKeyInfo<'_>) -> String {
    let oid = &spki.algorithm.algorithm;
    if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == OID_EC_P256 => "ECDSA P-256",
            Some(c) if c == OID_NIST_EC_P384 => "ECDSA P-384",
            Some(c) if c == OID_NIST_EC_P521 => "ECDSA P-521",
            _ => "ECDSA (other curve)",
        }
        .into();
    }
    if *oid == OID_PKCS1_RSAENCRYPTION || *oid == OID_PKCS1_RSASSAPSS {
        let name = if *oid == OID_PKCS1_RSAENCRYPTION {
            "RSA"
        } else {
            "RSA-PSS"
        };
        // RFC 8017 §A.1.1 RSAPublicKey; the size is the modulus without its leading zeros
        // (x509-parser's key_size() assumes exactly one).
        return match RSAPublicKey::from_der(&spki.subject_public_key.data) {
            Ok((_, k)) => {
                let m = k.modulus;
                let zeros = m.iter().take_while(|b| **b == 0).count();
                format!("{name} {}", (m.len() - zeros) * 8)
            }
            Err(_) => name.to_string(),
        };
    }
    if *oid == OID_SIG_ED25519 {
        "Ed25519".into()
    } else if *oid == OID_SIG_ED448 {
        "Ed448".into()
    } else {
        "unknown".into()
    }
}

/// The subjectAltName entries (RFC 5280 §4.2.1.6), if any.
fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::RFC822Name(s) => format!("email:{s}"),
            GeneralName::DNSName(s) => format!("DNS:{s}"),
            GeneralName::URI(s) => format!("URI:{s}"),
            GeneralName::IPAddress(b) => {
                match (<[u8; 4]>::try_from(*b), <[u8; 16]>::try_from(*b)) {
                    (Ok(v4), _) => format!("IP:{}", std::net::Ipv4Addr::from(v4)),
                    (_, Ok(v6)) => format!("IP:{}", std::net::Ipv6Addr::from(v6)),
                    _ => "IP:(malformed)".to_string(),
                }
            }
            // The GeneralName CHOICE tag, as the DER walk this replaced printed it.
            other => {
                let tag: u8 = match other {
                    GeneralName::OtherName(..) => 0xa0,
                    GeneralName::X400Address(_) => 0xa3,
                    GeneralName::DirectoryName(_) => 0xa4,
                    GeneralName::EDIPartyName(_) => 0xa5,
                    _ => 0x88,
                };
                format!("(other name, tag 0x{tag:02x})")
            }
        })
        .collect()
}

/// Summarises a DER certificate for display; `None` if it does not parse.
pub fn summarize(der: &[u8]) -> Option<CertSummary> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(CertSummary {
        subject: name(cert.subject()),
        issuer: name(cert.issuer()),
        not_before: time(cert.validity().not_before),
        not_after: time(cert.validity().not_after),
        key: key_type(cert.public_key()),
        sans: sans(&cert),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_rcgen_certificate() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "demo leaf");
        p.distinguished_name
            .push(rcgen::DnType::OrganizationName, "clasp");
        p.not_before = rcgen::date_time_ymd(2024, 1, 2);
        p.not_after = rcgen::date_time_ymd(2034, 3, 4);
        let cert = p.self_signed(&key).unwrap();
        let s = summarize(cert.der()).unwrap();
        assert!(s.subject.contains("CN=demo leaf"), "{s:?}");
        assert!(s.subject.contains("O=clasp"), "{s:?}");
        assert_eq!(s.subject, s.issuer);
        assert_eq!(s.not_before, "2024-01-02 00:00:00 UTC");
        assert_eq!(s.not_after, "2034-03-04 00:00:00 UTC");
        assert_eq!(s.key, "ECDSA P-256");
        assert_eq!(s.sans, vec!["DNS:localhost".to_string()]);
    }

    #[test]
    fn names_every_key_type() {
        let shown = |key: &rcgen::KeyPair| {
            let p = rcgen::CertificateParams::new(vec!["k.example".to_string()]).unwrap();
            summarize(p.self_signed(key).unwrap().der()).unwrap().key
        };
        for (alg, want) in [
            (&rcgen::PKCS_ECDSA_P384_SHA384, "ECDSA P-384"),
            (&rcgen::PKCS_ED25519, "Ed25519"),
            (&rcgen::PKCS_RSA_SHA256, "RSA 2048"),
        ] {
            assert_eq!(shown(&rcgen::KeyPair::generate_for(alg).unwrap()), want);
        }
        let rsa3072 =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
                .unwrap();
        assert_eq!(shown(&rsa3072), "RSA 3072");
    }

    #[test]
    fn lists_every_kind_of_subject_alt_name() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["a.example".to_string()]).unwrap();
        p.subject_alt_names.extend([
            rcgen::SanType::IpAddress("127.0.0.1".parse().unwrap()),
            rcgen::SanType::IpAddress("::1".parse().unwrap()),
            rcgen::SanType::Rfc822Name("me@a.example".try_into().unwrap()),
            rcgen::SanType::URI("https://a.example/".try_into().unwrap()),
        ]);
        let cert = p.self_signed(&key).unwrap();
        let s = summarize(cert.der()).unwrap();
        assert_eq!(
            s.sans,
            vec![
                "DNS:a.example",
                "IP:127.0.0.1",
                "IP:::1",
                "email:me@a.example",
                "URI:https://a.example/"
            ]
        );
    }

    #[test]
    fn hostile_names_come_through_raw_and_callers_escape_them() {
        // A CN with terminal escapes and a newline, a BMPString O whose bytes are not UTF-8
        // ("é" in UCS-2 is 00 E9), and a DNS SAN with an escape.
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "evil\x1b]0;pwned\x07\nCN=fake");
        p.distinguished_name.push(
            rcgen::DnType::OrganizationName,
            rcgen::DnValue::BmpString(rcgen::BmpString::from_utf16be(vec![0, 0xe9]).unwrap()),
        );
        p.subject_alt_names.push(rcgen::SanType::DnsName(
            "a\x1b[31m.example".try_into().unwrap(),
        ));
        let cert = p.self_signed(&key).unwrap();
        let s = summarize(cert.der()).unwrap();
        // This module hands over the peer's text as is (invalid UTF-8 replaced)...
        assert_eq!(s.subject, "CN=evil\x1b]0;pwned\x07\nCN=fake, O=\0\u{fffd}");
        assert_eq!(s.sans, vec!["DNS:a\x1b[31m.example"]);
        // ...and what the callers print (crate::escape::printable) has no control left.
        assert_eq!(
            crate::escape::printable(&s.subject),
            "CN=evil\\x1b]0;pwned\\x07\\x0aCN=fake, O=\\x00\u{fffd}"
        );
        assert_eq!(
            crate::escape::printable(&s.sans[0]),
            r"DNS:a\x1b[31m.example"
        );
    }

    #[test]
    fn garbage_does_not_parse_or_panic() {
        assert!(summarize(&[]).is_none());
        assert!(summarize(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(summarize(&[0x30, 0x03, 0x30, 0x01]).is_none());
        // Every truncation of a real certificate, and every single-byte corruption of its
        // header area, parses or not but never panics.
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let p = rcgen::CertificateParams::new(vec!["g.example".to_string()]).unwrap();
        let der = p.self_signed(&key).unwrap().der().to_vec();
        for n in 0..der.len() {
            assert!(summarize(&der[..n]).is_none(), "prefix {n}");
        }
        for i in 0..der.len().min(64) {
            let mut bad = der.clone();
            bad[i] ^= 0xff;
            let _ = summarize(&bad);
        }
    }
}
