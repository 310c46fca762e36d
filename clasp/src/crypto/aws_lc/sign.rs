//! Private keys and signing over `aws_lc_rs::signature` (work in progress: loading is not wired yet).

use std::sync::Arc;

use rustls_pki_types::PrivateKeyDer;

use crate::crypto::{KeyProvider, SigningKey};
use crate::error::{ConfigError, Error};

/// Loads PKCS#8 / SEC1 / PKCS#1 private keys with aws-lc.
#[derive(Debug)]
pub struct AwsLcKeyProvider;

/// The provider's key loader.
pub static KEY_PROVIDER: AwsLcKeyProvider = AwsLcKeyProvider;

impl KeyProvider for AwsLcKeyProvider {
    fn load_private_key(&self, _key: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, Error> {
        Err(ConfigError::BadPrivateKey.into())
    }
}
