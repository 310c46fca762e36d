//! What `clasp client` says about a stapled OCSP response (RFC 6960): the certificate status,
//! its validity period, and whether the issuer (or a responder it delegated to) signed it for
//! this certificate.
//!
//! The library hands the response over unjudged (`clasp::ocsp` says why); this is the tool's
//! reading of it, for a person. Parsing is x509-ocsp's (RustCrypto, DER only); signatures are
//! checked with the algorithms of clasp's provider (aws-lc-rs), matched by their
//! AlgorithmIdentifiers the way rustls-webpki matches them. The issuer name and key hashes
//! in CertID are not compared (they are SHA-1, which the provider does not offer): the serial
//! must match the server's certificate and the signature must verify under the issuer's key,
//! which a response for another issuer's certificate cannot do.

use clasp::crypto::CryptoProvider;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use x509_cert::der::{self, Decode, Encode};
use x509_cert::Certificate;
use x509_ocsp::{BasicOcspResponse, CertStatus, OcspResponse, OcspResponseStatus};

use crate::ladder::json_str;

/// id-pkix-ocsp-basic (RFC 6960 §4.2.1).
const ID_PKIX_OCSP_BASIC: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
const ID_KP_OCSP_SIGNING: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-ce-extKeyUsage (RFC 5280 §4.2.1.12).
const ID_CE_EXT_KEY_USAGE: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.37");

/// The reading of one stapled response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// good / revoked / unknown, for the server's certificate; or why there is none.
    pub status: String,
    /// RFC 6960 §4.2.1 producedAt.
    pub produced_at: Option<String>,
    /// RFC 6960 §4.2.1 thisUpdate of the matching SingleResponse.
    pub this_update: Option<String>,
    /// RFC 6960 §4.2.1 nextUpdate, if given.
    pub next_update: Option<String>,
    /// Now is within thisUpdate .. nextUpdate (RFC 6960 §4.2.2.1).
    pub current: bool,
    /// Who signed it, when the signature verified.
    pub signed_by: Option<&'static str>,
    /// Every problem found; empty means the response is valid.
    pub problems: Vec<String>,
}

impl Report {
    /// A response with no problems: signed by the issuer or its delegate, for this
    /// certificate, current.
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// The summary lines (key, value), as `clasp client` prints them.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("ocsp status", self.status.clone())];
        if let Some(t) = &self.produced_at {
            v.push(("ocsp produced_at", t.clone()));
        }
        if let Some(t) = &self.this_update {
            v.push(("ocsp this_update", t.clone()));
        }
        if let Some(t) = &self.next_update {
            v.push(("ocsp next_update", t.clone()));
        }
        v.push((
            "ocsp current",
            if self.current { "yes" } else { "no" }.to_string(),
        ));
        v.push((
            "ocsp signature",
            self.signed_by.map_or_else(
                || "INVALID (not signed by the issuer or a responder it delegated to)".into(),
                |by| format!("verified ({by})"),
            ),
        ));
        v.push((
            "ocsp response",
            if self.valid() {
                "VALID".to_string()
            } else {
                format!("INVALID ({})", self.problems.join("; "))
            },
        ));
        v
    }

    /// The report as a JSON object.
    pub fn json(&self) -> String {
        let o = |x: &Option<String>| x.as_deref().map_or_else(|| "null".into(), json_str);
        let problems: Vec<String> = self.problems.iter().map(|p| json_str(p)).collect();
        format!(
            "{{\"stapled\":true,\"status\":{},\"produced_at\":{},\"this_update\":{},\
             \"next_update\":{},\"current\":{},\"signature_verified\":{},\"signed_by\":{},\
             \"valid\":{},\"problems\":[{}]}}",
            json_str(&self.status),
            o(&self.produced_at),
            o(&self.this_update),
            o(&self.next_update),
            self.current,
            self.signed_by.is_some(),
            self.signed_by.map_or_else(|| "null".into(), json_str),
            self.valid(),
            problems.join(",")
        )
    }
}

/// Reads `response` (DER OCSPResponse) for the server's certificate `leaf` at `now`. Its
/// issuer is the first of `candidates` whose key verifies `leaf`'s signature. Never fails: what
/// cannot be read is a problem in the report.
pub fn examine(
    response: &[u8],
    leaf: &CertificateDer<'_>,
    candidates: &[CertificateDer<'_>],
    now: UnixTime,
    provider: &CryptoProvider,
) -> Report {
    let mut r = Report {
        status: "unreadable".into(),
        produced_at: None,
        this_update: None,
        next_update: None,
        current: false,
        signed_by: None,
        problems: Vec::new(),
    };
    if let Err(p) = fill(&mut r, response, leaf, candidates, now, provider) {
        r.problems.push(p);
    }
    r
}

fn fill(
    r: &mut Report,
    response: &[u8],
    leaf: &CertificateDer<'_>,
    candidates: &[CertificateDer<'_>],
    now: UnixTime,
    provider: &CryptoProvider,
) -> Result<(), String> {
    let resp = OcspResponse::from_der(response)
        .map_err(|e| format!("not a DER OCSPResponse (RFC 6960 §4.2.1): {e}"))?;
    if resp.response_status != OcspResponseStatus::Successful {
        r.status = format!("responder error ({:?})", resp.response_status);
        return Err("the responder did not answer successfully".into());
    }
    let bytes = resp
        .response_bytes
        .ok_or("a successful response without responseBytes")?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(format!(
            "response type {} is not id-pkix-ocsp-basic",
            bytes.response_type
        ));
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| format!("BasicOCSPResponse does not parse: {e}"))?;
    let data = &basic.tbs_response_data;
    r.produced_at = Some(show_time(data.produced_at.0.to_unix_duration().as_secs()));

    let leaf =
        Certificate::from_der(leaf).map_err(|_| "the server's certificate does not parse")?;
    let issuer = issuer_of(&leaf, candidates, provider);

    // RFC 6960 §4.2.1: the SingleResponse for the server's certificate, by serial number.
    let serial = &leaf.tbs_certificate.serial_number;
    let Some(single) = data
        .responses
        .iter()
        .find(|s| &s.cert_id.serial_number == serial)
    else {
        r.status = "no answer for this certificate".into();
        r.problems.push(format!(
            "wrong serial: the response is about {}, the certificate's is {}",
            data.responses
                .iter()
                .map(|s| hex(s.cert_id.serial_number.as_bytes()))
                .collect::<Vec<_>>()
                .join(", "),
            hex(serial.as_bytes())
        ));
        check_signature(r, &basic, issuer.as_ref(), provider);
        return Ok(());
    };
    r.status = match &single.cert_status {
        CertStatus::Good(_) => "good".into(),
        CertStatus::Revoked(info) => format!(
            "revoked at {}",
            show_time(info.revocation_time.0.to_unix_duration().as_secs())
        ),
        CertStatus::Unknown(_) => "unknown".into(),
    };
    if !matches!(single.cert_status, CertStatus::Good(_)) {
        r.problems
            .push(format!("the certificate's status is {}", r.status));
    }

    // RFC 6960 §4.2.2.1: thisUpdate <= now, and now < nextUpdate when it is set.
    let this = single.this_update.0.to_unix_duration().as_secs();
    let next = single.next_update.map(|t| t.0.to_unix_duration().as_secs());
    r.this_update = Some(show_time(this));
    r.next_update = next.map(show_time);
    let now = now.as_secs();
    r.current = this <= now && next.is_none_or(|n| now < n);
    if this > now {
        r.problems
            .push("not valid yet (thisUpdate is in the future)".into());
    } else if next.is_some_and(|n| now >= n) {
        r.problems.push("expired (nextUpdate has passed)".into());
    }
    check_signature(r, &basic, issuer.as_ref(), provider);
    Ok(())
}

/// RFC 6960 §4.2.2.2: the response is signed by the issuer itself, or by a responder whose
/// certificate (in `certs`) the issuer signed with id-kp-OCSPSigning.
fn check_signature(
    r: &mut Report,
    basic: &BasicOcspResponse,
    issuer: Option<&Certificate>,
    provider: &CryptoProvider,
) {
    let Some(issuer) = issuer else {
        r.problems
            .push("the server sent no issuer certificate to check the signature with".into());
        return;
    };
    let Ok(tbs) = basic.tbs_response_data.to_der() else {
        r.problems
            .push("the response data does not re-encode".into());
        return;
    };
    let sig = basic.signature.as_bytes();
    if verify(provider, issuer, &basic.signature_algorithm, &tbs, sig) {
        r.signed_by = Some("by the issuer");
        return;
    }
    for responder in basic.certs.iter().flatten() {
        let delegated = is_ocsp_signer(responder)
            && responder.tbs_certificate.to_der().is_ok_and(|t| {
                verify(
                    provider,
                    issuer,
                    &responder.signature_algorithm,
                    &t,
                    responder.signature.as_bytes(),
                )
            });
        if delegated && verify(provider, responder, &basic.signature_algorithm, &tbs, sig) {
            r.signed_by = Some("by a responder the issuer delegated to");
            return;
        }
    }
    r.problems
        .push("bad signature: not signed by the issuer or a responder it delegated to".into());
}

/// The certificate among `candidates` whose key verifies `leaf`'s signature: its issuer.
fn issuer_of(
    leaf: &Certificate,
    candidates: &[CertificateDer<'_>],
    provider: &CryptoProvider,
) -> Option<Certificate> {
    let tbs = leaf.tbs_certificate.to_der().ok()?;
    candidates
        .iter()
        .filter_map(|c| Certificate::from_der(c).ok())
        .find(|c| {
            verify(
                provider,
                c,
                &leaf.signature_algorithm,
                &tbs,
                leaf.signature.as_bytes(),
            )
        })
}

/// The responder certificate carries id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
fn is_ocsp_signer(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == ID_CE_EXT_KEY_USAGE)
        .any(|e| {
            x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes())
                .is_ok_and(|eku| eku.0.contains(&ID_KP_OCSP_SIGNING))
        })
}

/// An AlgorithmIdentifier's contents (algorithm ‖ parameters), the form
/// `SignatureVerificationAlgorithm` ids take.
fn alg_id_contents(alg: &x509_cert::spki::AlgorithmIdentifierOwned) -> Option<Vec<u8>> {
    let mut out = alg.oid.to_der().ok()?;
    if let Some(p) = &alg.parameters {
        out.extend_from_slice(&p.to_der().ok()?);
    }
    Some(out)
}

/// Whether `signature` over `message` with `sig_alg` verifies under `signer`'s public key,
/// with one of the provider's algorithms (matched by signature and key algorithm ids).
fn verify(
    provider: &CryptoProvider,
    signer: &Certificate,
    sig_alg: &x509_cert::spki::AlgorithmIdentifierOwned,
    message: &[u8],
    signature: Option<&[u8]>,
) -> bool {
    let spki = &signer.tbs_certificate.subject_public_key_info;
    let (Some(sig_id), Some(key_id), Some(key), Some(signature)) = (
        alg_id_contents(sig_alg),
        alg_id_contents(&spki.algorithm),
        spki.subject_public_key.as_bytes(),
        signature,
    ) else {
        return false;
    };
    provider
        .verifiers
        .all()
        .iter()
        .filter(|a| {
            a.signature_alg_id().as_ref() == sig_id.as_slice()
                && a.public_key_alg_id().as_ref() == key_id.as_slice()
        })
        .any(|a: &&'static dyn SignatureVerificationAlgorithm| {
            a.verify_signature(key, message, signature).is_ok()
        })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian).
pub fn show_time(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_utc() {
        assert_eq!(show_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(show_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(show_time(951_782_400), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn garbage_is_unreadable_and_invalid() {
        let provider = clasp::crypto::aws_lc::default_provider();
        let r = examine(
            &[1, 2, 3, 4],
            &CertificateDer::from(vec![0x30, 0]),
            &[],
            UnixTime::now(),
            &provider,
        );
        assert_eq!(r.status, "unreadable");
        assert!(!r.valid());
        assert!(r.json().contains("\"valid\":false"), "{}", r.json());
    }
}
