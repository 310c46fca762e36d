//! OCSP stapling flags (BoringSSL `test_config.cc`): `-enable-ocsp-stapling`, `-ocsp-response`,
//! `-expect-ocsp-response` and the legacy status callback (`-use-ocsp-callback`,
//! `-set-ocsp-in-callback`, `-decline-ocsp-callback`, `-fail-ocsp-callback`), mapped onto
//! clasp's `request_ocsp_stapling`, `with_ocsp_response` / `with_ocsp_responder` and
//! `ocsp_response()`.
//!
//! The client-side legacy callback (BoringSSL runs it as an extra certificate check after the
//! staple arrives, staple or not) accepts unless `-fail-ocsp-callback`: accepting is what clasp
//! does anyway (it does not judge staples, see `clasp::ocsp`), so a client `-use-ocsp-callback`
//! alone changes nothing, and a failing one is the shim's verifier refusing the server's
//! certificate with `CertificateError::BadStatusResponse` (bad_certificate_status_response,
//! RFC 6066 §8), see [`client_callback_fails`].

use std::sync::Arc;

use clasp::config::{ClientConfigBuilder, ServerConfigBuilder};
use clasp::conn::ConnectionCommon;
use clasp::error::InternalError;
use clasp::ocsp::OcspResponder;
use clasp::Error;
use rustls_pki_types::CertificateDer;

use crate::flags::FlagError;
use crate::run::Failure;

/// The OCSP settings of one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ocsp {
    /// Client: send status_request (`SSL_enable_ocsp_stapling`).
    pub enable_stapling: bool,
    /// Server: the response to staple (`SSL_set_ocsp_response`).
    pub response: Option<Vec<u8>>,
    /// Client: the response the server must have stapled.
    pub expect_response: Option<Vec<u8>>,
    /// `SSL_CTX_set_tlsext_status_cb`.
    pub use_callback: bool,
    /// Server: the callback sets the response (instead of it being set beforehand).
    pub set_in_callback: bool,
    /// Server: the callback answers `SSL_TLSEXT_ERR_NOACK`: no staple.
    pub decline_callback: bool,
    /// The callback fails the handshake.
    pub fail_callback: bool,
}

/// Flags without a value.
pub const BOOL_FLAGS: &[&str] = &[
    "-enable-ocsp-stapling",
    "-use-ocsp-callback",
    "-set-ocsp-in-callback",
    "-decline-ocsp-callback",
    "-fail-ocsp-callback",
];

/// Flags with a (base64) value.
pub const VALUE_FLAGS: &[&str] = &["-ocsp-response", "-expect-ocsp-response"];

/// Applies `name` if it is one of ours; `None` if it is not.
pub fn apply(o: &mut Ocsp, name: &str, value: Option<&str>) -> Option<Result<(), FlagError>> {
    if !BOOL_FLAGS.contains(&name) && !VALUE_FLAGS.contains(&name) {
        return None;
    }
    let v = || base64(name, value.unwrap_or_default());
    Some(match name {
        "-enable-ocsp-stapling" => {
            o.enable_stapling = true;
            Ok(())
        }
        "-use-ocsp-callback" => {
            o.use_callback = true;
            Ok(())
        }
        "-set-ocsp-in-callback" => {
            o.set_in_callback = true;
            Ok(())
        }
        "-decline-ocsp-callback" => {
            o.decline_callback = true;
            Ok(())
        }
        "-fail-ocsp-callback" => {
            o.fail_callback = true;
            Ok(())
        }
        "-ocsp-response" => v().map(|r| o.response = Some(r)),
        "-expect-ocsp-response" => v().map(|r| o.expect_response = Some(r)),
        _ => Err(FlagError::Unimplemented(name.to_owned())),
    })
}

/// The client's settings: ask for a staple only when told to (BoringSSL's default is off).
pub fn client(o: &Ocsp, b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.request_ocsp_stapling(o.enable_stapling)
}

/// Whether the client's legacy OCSP callback fails the handshake (checked by the shim's
/// verifier when the server's certificate arrives).
#[must_use]
pub fn client_callback_fails(o: &Ocsp) -> bool {
    o.use_callback && o.fail_callback
}

/// What the legacy server callback does, as an [`OcspResponder`].
#[derive(Debug)]
struct Callback {
    response: Option<Vec<u8>>,
    decline: bool,
    fail: bool,
}

impl OcspResponder for Callback {
    fn ocsp_response(&self, _: &CertificateDer<'_>) -> Result<Option<Vec<u8>>, Error> {
        if self.fail {
            return Err(Error::Internal(InternalError::OcspResponderFailed));
        }
        if self.decline {
            return Ok(None);
        }
        Ok(self.response.clone())
    }
}

/// The server's settings.
pub fn server(o: &Ocsp, b: ServerConfigBuilder) -> ServerConfigBuilder {
    if o.use_callback {
        // Set before the callback or in it: the same response either way.
        return b.with_ocsp_responder(Arc::new(Callback {
            response: o.response.clone(),
            decline: o.decline_callback,
            fail: o.fail_callback,
        }));
    }
    match &o.response {
        Some(r) => b.with_ocsp_response(r.clone()),
        None => b,
    }
}

/// BoringSSL `CheckAuthProperties`: the stapled response, if one was expected.
///
/// # Errors
/// A check failure naming the mismatch.
pub fn check(conn: &ConnectionCommon, o: &Ocsp) -> Result<(), Failure> {
    if let Some(want) = &o.expect_response {
        if conn.ocsp_response() != Some(want.as_slice()) {
            return Err(Failure::Check(format!(
                "OCSP response mismatch (got {:?})",
                conn.ocsp_response()
            )));
        }
    }
    Ok(())
}

/// The reason code for an error this module produced, if any.
pub fn error_code(e: &Error) -> Option<&'static str> {
    matches!(e, Error::Internal(InternalError::OcspResponderFailed)).then_some(":OCSP_CB_ERROR:")
}

/// Standard base64 with padding (RFC 4648 §4), as the runner encodes flag values.
fn base64(name: &str, s: &str) -> Result<Vec<u8>, FlagError> {
    let bad = || FlagError::Invalid(format!("{name}: not base64: {s:?}"));
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let body = s.trim_end_matches('=');
    if s.len() % 4 != 0 || s.len() - body.len() > 2 {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in body.as_bytes() {
        acc = (acc << 6) | val(c).ok_or_else(bad)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).map_err(|_| bad())?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_values() {
        assert_eq!(base64("x", "AQIDBA==").unwrap(), [1, 2, 3, 4]);
        assert_eq!(base64("x", "BQYHCA==").unwrap(), [5, 6, 7, 8]);
        assert_eq!(base64("x", "").unwrap(), Vec::<u8>::new());
        assert!(base64("x", "AQI").is_err());
        assert!(base64("x", "A?==").is_err());
    }

    #[test]
    fn flags_are_ours_or_not() {
        let mut o = Ocsp::default();
        assert!(apply(&mut o, "-port", Some("1")).is_none());
        assert_eq!(apply(&mut o, "-enable-ocsp-stapling", None), Some(Ok(())));
        assert_eq!(
            apply(&mut o, "-ocsp-response", Some("AQIDBA==")),
            Some(Ok(()))
        );
        assert!(o.enable_stapling);
        assert_eq!(o.response.as_deref(), Some(&[1, 2, 3, 4][..]));
    }

    #[test]
    fn client_callback_is_a_no_op_unless_it_fails() {
        let pass = Ocsp {
            enable_stapling: true,
            use_callback: true,
            ..Ocsp::default()
        };
        let _ = client(&pass, clasp::ClientConfig::builder());
        assert!(!client_callback_fails(&pass));
        let fail = Ocsp {
            fail_callback: true,
            ..pass
        };
        assert!(client_callback_fails(&fail));
    }
}
