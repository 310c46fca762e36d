//! The deterministic crypto provider and client configuration of the golden transcripts.
//!
//! Shared, as source, by the replay test (`clasp/tests/golden.rs`) and the recorder
//! (`cargo run -p xtask -- golden`, which includes this file with `#[path]`), so the client
//! that recorded a transcript and the client that replays it are built by the same code.
//!
//! Everything the client draws from its provider is fixed:
//! - `secure_random` is a splitmix64 stream restarted for every config (one config per
//!   connection), so the client random, the compatibility session id and (TLS 1.2 RSA key
//!   exchange) the pre-master secret are the same on every run;
//! - `kx_groups` are X25519, P-256 and P-384 with fixed private keys. X25519MLKEM768 is left
//!   out: aws-lc generates ML-KEM keys from its own randomness, which a provider cannot fix.
//!   The default group list (`config::DEFAULT_GROUPS`) therefore reduces to
//!   X25519, secp256r1, secp384r1, with a key share for X25519.
//!
//! Never use any of this outside tests: the "random" bytes and the "ephemeral" keys are public.
#![allow(dead_code)] // each includer uses a different part

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use clasp::crypto::{
    aws_lc, ActiveKeyExchange, CryptoError, CryptoProvider, SecureRandom, SupportedKxGroup,
};
use clasp::msgs::enums::NamedGroup;
use clasp::time::FixedTimeProvider;
use clasp::verify::RootCertStore;
use clasp::ClientConfig;
use rustls_pki_types::CertificateDer;

/// The instant the client's clock is stopped at (2025-06-15T14:13:20Z), so certificate
/// validity never depends on the day the test runs. The golden certificates are valid from
/// 1975 to 4096 (rcgen's defaults), so this is well inside.
pub const FIXED_TIME_SECS: u64 = 1_750_000_000;

/// "Random" bytes: splitmix64 from a fixed seed, one stream per provider.
#[derive(Debug, Default)]
pub struct DeterministicRandom {
    calls: AtomicU32,
}

impl SecureRandom for DeterministicRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        // Each call starts from its own seed, so how one request is split into `fill` calls
        // does not shift the bytes of the next request.
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let mut state = 0x636c_6173_7067_6f6c ^ u64::from(call); // "claspgol"
        for chunk in buf.chunks_mut(8) {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// An ECDHE group whose "ephemeral" private key is always `private`.
#[derive(Debug)]
pub struct FixedEcdh {
    name: NamedGroup,
    private: &'static [u8],
}

impl SupportedKxGroup for FixedEcdh {
    fn name(&self) -> NamedGroup {
        self.name
    }

    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        clasp::internal::ecdh_from_private(self.name, self.private)
    }
}

/// X25519 with the private key 0x42 * 32.
pub static FIXED_X25519: FixedEcdh = FixedEcdh {
    name: NamedGroup::X25519,
    private: &[0x42; 32],
};
/// P-256 with the private scalar 0x11 * 32 (below the group order).
pub static FIXED_P256: FixedEcdh = FixedEcdh {
    name: NamedGroup::secp256r1,
    private: &[0x11; 32],
};
/// P-384 with the private scalar 0x22 * 48 (below the group order).
pub static FIXED_P384: FixedEcdh = FixedEcdh {
    name: NamedGroup::secp384r1,
    private: &[0x22; 48],
};

/// The aws-lc provider with fixed randomness and fixed key-exchange keys. Every call returns a
/// provider whose random stream starts afresh (the stream object is leaked: a few bytes per
/// connection, tests and the recorder only).
#[must_use]
pub fn deterministic_provider() -> CryptoProvider {
    let random: &'static DeterministicRandom = Box::leak(Box::default());
    CryptoProvider {
        kx_groups: vec![&FIXED_X25519, &FIXED_P256, &FIXED_P384],
        secure_random: random,
        ..aws_lc::default_provider()
    }
}

/// The client config every golden scenario uses: clasp's defaults (versions, suites, groups
/// and key shares, SNI) on the deterministic provider, trusting only `ca` (DER), with the
/// clock stopped at [`FIXED_TIME_SECS`]. Tickets are not stored (a replay must not depend on
/// an earlier connection) and no secrets are logged.
///
/// Build a new one for each connection: the random stream lives in the config.
///
/// # Panics
/// If `ca` is not a usable trust anchor (a broken golden directory).
#[must_use]
pub fn golden_client_config(ca: &[u8]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(&CertificateDer::from(ca.to_vec()))
        .expect("golden CA is a trust anchor");
    Arc::new(
        ClientConfig::builder()
            .with_provider(deterministic_provider())
            .with_root_certificates(roots)
            .with_time_provider(Arc::new(FixedTimeProvider::from_secs(FIXED_TIME_SECS)))
            .without_resumption()
            // Recorded before clasp asked for OCSP staples by default: keep the wire the same.
            .request_ocsp_stapling(false)
            // Recorded before clasp sent GREASE (RFC 8701) by default: same wire.
            .with_grease(false)
            // ... and before it offered certificate compression (RFC 8879).
            .with_certificate_compression(&[])
            // Recorded while the client offered the TLS 1.2 DHE suites by default: same wire.
            .allow_dhe(true)
            .build()
            .expect("golden client config"),
    )
}
