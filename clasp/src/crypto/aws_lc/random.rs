//! The system random source (`aws_lc_rs::rand::SystemRandom`).

use aws_lc_rs::rand::{self, SecureRandom as _};

use crate::crypto::{CryptoError, SecureRandom};

/// Randomness from aws-lc's DRBG, seeded by the operating system.
#[derive(Debug)]
pub struct AwsLcRandom;

/// The provider's random source.
pub static SYSTEM_RANDOM: AwsLcRandom = AwsLcRandom;

impl SecureRandom for AwsLcRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        rand::SystemRandom::new().fill(buf).map_err(|_| CryptoError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_with_distinct_values() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        SYSTEM_RANDOM.fill(&mut a).unwrap();
        SYSTEM_RANDOM.fill(&mut b).unwrap();
        assert_ne!(a, [0u8; 32]);
        assert_ne!(a, b);
    }
}
