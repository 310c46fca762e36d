//! A small, display-only DER walk over X.509 certificates: subject, issuer, validity, key type.
//!
//! This is for showing a certificate to a person, never for trusting it: verification is done
//! by the library (rustls-webpki behind `clasp::verify`). Every read is bounds-checked; a
//! certificate that does not parse shows as "(unparsed)".

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

/// One DER TLV: tag and contents.
struct Tlv<'a> {
    tag: u8,
    body: &'a [u8],
}

/// Reads one TLV from the front of `input`, returning it and the rest.
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, r) = rest.split_at_checked(n)?;
        rest = r;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let (body, rest) = rest.split_at_checked(len)?;
    Some((Tlv { tag, body }, rest))
}

/// All TLVs in `input`, in order (stops at the first malformed one).
fn children(mut input: &[u8]) -> Vec<Tlv<'_>> {
    let mut out = Vec::new();
    while let Some((t, rest)) = tlv(input) {
        out.push(t);
        input = rest;
    }
    out
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_C: &[u8] = &[0x55, 0x04, 0x06];
const OID_L: &[u8] = &[0x55, 0x04, 0x07];
const OID_ST: &[u8] = &[0x55, 0x04, 0x08];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
const OID_OU: &[u8] = &[0x55, 0x04, 0x0b];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

fn name(der: &[u8]) -> String {
    let mut parts = Vec::new();
    for set in children(der) {
        for atv in children(set.body) {
            let kids = children(atv.body);
            let (Some(oid), Some(val)) = (kids.first(), kids.get(1)) else {
                continue;
            };
            let label = match oid.body {
                OID_CN => "CN",
                OID_C => "C",
                OID_L => "L",
                OID_ST => "ST",
                OID_O => "O",
                OID_OU => "OU",
                _ => "?",
            };
            parts.push(format!("{label}={}", String::from_utf8_lossy(val.body)));
        }
    }
    if parts.is_empty() {
        "(empty)".to_string()
    } else {
        parts.join(", ")
    }
}

fn time(t: &Tlv<'_>) -> String {
    let s = String::from_utf8_lossy(t.body);
    // RFC 5280 §4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY < 50 → 20YY), GeneralizedTime YYYYMMDDHHMMSSZ.
    let full = match (t.tag, s.get(0..2).and_then(|y| y.parse::<u32>().ok())) {
        (0x17, Some(yy)) => format!("{}{}", if yy < 50 { "20" } else { "19" }, s),
        (0x18, _) => s.to_string(),
        _ => return s.to_string(),
    };
    match (
        full.get(0..4),
        full.get(4..6),
        full.get(6..8),
        full.get(8..10),
        full.get(10..12),
        full.get(12..14),
    ) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) => {
            format!("{y}-{mo}-{d} {h}:{mi}:{se} UTC")
        }
        _ => full,
    }
}

fn key_type(spki: &[u8]) -> String {
    let kids = children(spki);
    let Some(alg) = kids.first() else {
        return "unknown".into();
    };
    let alg_kids = children(alg.body);
    let oid = alg_kids.first().map_or(&[][..], |t| t.body);
    let param = alg_kids.get(1).map_or(&[][..], |t| t.body);
    match oid {
        OID_EC => match param {
            OID_P256 => "ECDSA P-256".into(),
            OID_P384 => "ECDSA P-384".into(),
            OID_P521 => "ECDSA P-521".into(),
            _ => "ECDSA (other curve)".into(),
        },
        OID_RSA | OID_RSA_PSS => {
            // subjectPublicKey BIT STRING → RSAPublicKey SEQUENCE { modulus INTEGER, … }
            let bits = kids
                .get(1)
                .and_then(|bs| bs.body.get(1..))
                .and_then(|b| tlv(b).map(|(seq, _)| seq))
                .and_then(|seq| tlv(seq.body).map(|(m, _)| m))
                .map(|m| {
                    let mut b = m.body;
                    while let [0, rest @ ..] = b {
                        b = rest;
                    }
                    b.len() * 8
                });
            let name = if oid == OID_RSA { "RSA" } else { "RSA-PSS" };
            bits.map_or_else(|| name.to_string(), |n| format!("{name} {n}"))
        }
        OID_ED25519 => "Ed25519".into(),
        OID_ED448 => "Ed448".into(),
        _ => "unknown".into(),
    }
}

/// The subjectAltName entries (RFC 5280 §4.2.1.6) among the extensions `[3]`, if any.
fn sans(fields: &[Tlv<'_>]) -> Vec<String> {
    let Some(exts) = fields.iter().find(|t| t.tag == 0xa3) else {
        return Vec::new();
    };
    let Some((seq, _)) = tlv(exts.body) else {
        return Vec::new();
    };
    for ext in children(seq.body) {
        let kids = children(ext.body);
        if kids.first().map(|t| t.body) != Some(OID_SAN) {
            continue;
        }
        // extnValue is the last child (critical is optional): OCTET STRING { GeneralNames }.
        let Some((names, _)) = kids.last().and_then(|v| tlv(v.body)) else {
            return Vec::new();
        };
        return children(names.body)
            .iter()
            .map(|n| match n.tag {
                0x81 => format!("email:{}", String::from_utf8_lossy(n.body)),
                0x82 => format!("DNS:{}", String::from_utf8_lossy(n.body)),
                0x86 => format!("URI:{}", String::from_utf8_lossy(n.body)),
                0x87 => match (<[u8; 4]>::try_from(n.body), <[u8; 16]>::try_from(n.body)) {
                    (Ok(v4), _) => format!("IP:{}", std::net::Ipv4Addr::from(v4)),
                    (_, Ok(v6)) => format!("IP:{}", std::net::Ipv6Addr::from(v6)),
                    _ => "IP:(malformed)".to_string(),
                },
                other => format!("(other name, tag 0x{other:02x})"),
            })
            .collect();
    }
    Vec::new()
}

/// Summarises a DER certificate for display; `None` if it does not parse.
pub fn summarize(der: &[u8]) -> Option<CertSummary> {
    let (cert, _) = tlv(der)?;
    let (tbs, _) = tlv(cert.body)?;
    let mut f = children(tbs.body);
    // RFC 5280 §4.1: version [0] EXPLICIT is optional.
    if f.first().is_some_and(|t| t.tag == 0xa0) {
        f.remove(0);
    }
    // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    let issuer = f.get(2)?;
    let validity = children(f.get(3)?.body);
    let subject = f.get(4)?;
    let spki = f.get(5)?;
    Some(CertSummary {
        subject: name(subject.body),
        issuer: name(issuer.body),
        not_before: validity.first().map(time).unwrap_or_default(),
        not_after: validity.get(1).map(time).unwrap_or_default(),
        key: key_type(spki.body),
        sans: sans(f.get(6..).unwrap_or_default()),
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
    fn garbage_does_not_parse_or_panic() {
        assert!(summarize(&[]).is_none());
        assert!(summarize(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(summarize(&[0x30, 0x03, 0x30, 0x01]).is_none());
    }
}
