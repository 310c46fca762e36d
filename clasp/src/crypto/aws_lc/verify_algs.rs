//! Signature verification algorithms (work in progress: none registered yet).

use crate::crypto::{SignatureVerificationAlgorithm, SignatureVerifiers};
use crate::msgs::enums::SignatureScheme;

/// Signature verification by TLS scheme, backed by aws-lc.
#[derive(Debug)]
pub struct AwsLcVerifiers;

/// The provider's verifiers.
pub static VERIFIERS: AwsLcVerifiers = AwsLcVerifiers;

impl SignatureVerifiers for AwsLcVerifiers {
    fn all(&self) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
        &[]
    }

    fn for_scheme(
        &self,
        _scheme: SignatureScheme,
        _tls13: bool,
    ) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
        &[]
    }

    fn supported_schemes(&self) -> &'static [SignatureScheme] {
        &[]
    }
}
