//! OCSP stapling (RFC 6066 §8 in TLS 1.2, RFC 8446 §4.4.2.1 in TLS 1.3): where a server's
//! stapled response comes from, and the checks both sides share.
//!
//! The library carries the response as opaque bytes and never judges it. Why: whether a
//! response is acceptable (signed by the issuer or its delegate, for this certificate's serial,
//! fresh enough, "good") is revocation policy, which belongs to the certificate verifier and
//! the application, not to the record and handshake layer; a TLS stack that silently dropped
//! or rejected a bad staple would either hide the problem or break connections that policy
//! would allow (browsers soft-fail). The client hands the raw response out through
//! [`crate::ConnectionCommon::ocsp_response`]; `clasp client` parses and shows it.
//!
//! This module must never parse OCSP (ASN.1) itself: the length bounds below are all it
//! checks.

use std::fmt;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::error::{ConfigError, Error};
use crate::msgs::extensions::{CertificateStatusRequest, MAX_OCSP_RESPONSE_SIZE};
use crate::msgs::handshake::ClientHello;

/// Supplies the DER OCSP response a server staples for its end-entity certificate.
///
/// Asked once per full handshake in which the client requested stapling (RFC 6066 §8
/// status_request with status_type ocsp); never on resumption (no Certificate is sent).
/// Implement it to refresh the response without rebuilding the config (`clasp server --ocsp`
/// reloads its file this way); [`crate::config::ServerConfigBuilder::with_ocsp_response`]
/// covers a fixed response.
pub trait OcspResponder: Send + Sync + fmt::Debug {
    /// The response to staple for `end_entity`, or `Ok(None)` to staple nothing (the client
    /// is then answered as if it had not asked).
    ///
    /// A response that is empty or longer than 64 KiB is not stapled.
    ///
    /// # Errors
    /// An error aborts the handshake with it (an `internal_error` alert for
    /// [`crate::error::InternalError::OcspResponderFailed`]).
    fn ocsp_response(&self, end_entity: &CertificateDer<'_>) -> Result<Option<Vec<u8>>, Error>;
}

/// A fixed OCSP response (what `with_ocsp_response` installs).
#[derive(Clone, PartialEq, Eq)]
pub struct StaticOcspResponse(Arc<[u8]>);

impl StaticOcspResponse {
    /// Wraps `der`, checking only its length (RFC 6066 §8: `opaque OCSPResponse<1..2^24-1>`;
    /// our cap is 64 KiB, what a peer accepts from us too).
    ///
    /// # Errors
    /// [`ConfigError::BadOcspResponse`] for an empty or over-long response.
    pub fn new(der: Vec<u8>) -> Result<Self, Error> {
        if !acceptable_len(der.len()) {
            return Err(ConfigError::BadOcspResponse.into());
        }
        Ok(Self(der.into()))
    }
}

impl fmt::Debug for StaticOcspResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticOcspResponse({} bytes)", self.0.len())
    }
}

impl OcspResponder for StaticOcspResponse {
    fn ocsp_response(&self, _: &CertificateDer<'_>) -> Result<Option<Vec<u8>>, Error> {
        Ok(Some(self.0.to_vec()))
    }
}

/// RFC 6066 §8: `opaque OCSPResponse<1..2^24-1>`, capped at [`MAX_OCSP_RESPONSE_SIZE`].
pub(crate) fn acceptable_len(len: usize) -> bool {
    (1..=MAX_OCSP_RESPONSE_SIZE).contains(&len)
}

/// Whether the ClientHello asks for an OCSP staple: RFC 6066 §8 status_request with
/// status_type ocsp (another status_type, e.g. ocsp_multi, is not ours to answer).
pub(crate) fn client_requested(ch: &ClientHello) -> bool {
    ch.extensions.iter().any(|e| {
        matches!(
            e,
            crate::msgs::extensions::ClientExtension::StatusRequest(
                CertificateStatusRequest::Ocsp { .. }
            )
        )
    })
}

/// Server side: the response to staple in this handshake, if the client asked and the
/// responder has one of an acceptable length.
///
/// # Errors
/// What the responder returned.
pub(crate) fn staple_for(
    responder: Option<&Arc<dyn OcspResponder>>,
    ch: &ClientHello,
    end_entity: Option<&CertificateDer<'_>>,
) -> Result<Option<Vec<u8>>, Error> {
    // RFC 6066 §8 / RFC 8446 §4.4.2.1: a server staples only for a client that asked.
    let (Some(r), Some(ee)) = (responder, end_entity) else {
        return Ok(None);
    };
    if !client_requested(ch) {
        return Ok(None);
    }
    Ok(r.ocsp_response(ee)?.filter(|d| acceptable_len(d.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_response_length_is_bounded() {
        assert_eq!(
            StaticOcspResponse::new(Vec::new()),
            Err(ConfigError::BadOcspResponse.into())
        );
        assert_eq!(
            StaticOcspResponse::new(vec![0x30; MAX_OCSP_RESPONSE_SIZE + 1]),
            Err(ConfigError::BadOcspResponse.into())
        );
        assert!(StaticOcspResponse::new(vec![0x30; MAX_OCSP_RESPONSE_SIZE]).is_ok());
    }
}
