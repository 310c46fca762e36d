//! The TLS 1.2 key schedule: the PRF (RFC 5246 §5), the master secret (§8.1) or extended master
//! secret (RFC 7627 §4), the key block for AEAD suites (§6.3, RFC 5288 §3, RFC 7905 §2), Finished
//! (§7.4.9) and the exporter (RFC 5705 §4).
//!
//! Only AEAD suites exist (DESIGN), so the key block has no MAC keys. The caller strips leading
//! zeros of a DH pre-master secret (RFC 5246 §8.1.2) before it gets here.

use core::fmt;

use subtle::ConstantTimeEq;

use super::{FinishedVerified, KeyLogLabel, KeyLogVisitor, TrafficKeys};
use crate::crypto::{AeadAlgorithm, HashOutput, Hmac, SecretBytes};
use crate::error::{ApiMisuse, Error, InternalError, InvalidMessage, PeerMisbehaved};

/// Length of the master secret (RFC 5246 §8.1).
pub const MASTER_SECRET_LEN: usize = 48;

/// Length of Finished.verify_data for every TLS 1.2 cipher suite we implement (RFC 5246 §7.4.9:
/// "verify_data_length ... In previous versions of TLS, the verify_data was always 12 octets long").
pub const VERIFY_DATA_LEN: usize = 12;

/// `PRF(secret, label, seed) = P_<hash>(secret, label + seed)` (RFC 5246 §5), filling `out`.
/// `seed` is given in pieces and hashed as their concatenation. The hash is the one of `hmac`
/// (SHA-256 for every suite unless it names SHA-384).
///
/// ```text
/// P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
/// A(0) = seed,  A(i) = HMAC_hash(secret, A(i-1))
/// ```
///
/// # Errors
/// A provider whose HMAC has no output (a provider bug).
pub fn prf(
    hmac: &dyn Hmac,
    secret: &[u8],
    label: &[u8],
    seed: &[&[u8]],
    out: &mut [u8],
) -> Result<(), Error> {
    let key = hmac.with_key(secret);
    let block_len = key.tag_len();
    if block_len == 0 {
        return Err(InternalError::Crypto.into());
    }

    // The PRF's seed is label + seed; A(i) goes in front of it for each output block.
    let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 2);
    parts.push(&[]);
    parts.push(label);
    parts.extend_from_slice(seed);

    // A(1) = HMAC(secret, A(0)) with A(0) = label + seed (parts[0] is still empty).
    let mut a = key.sign(&parts);
    let mut chunks = out.chunks_mut(block_len).peekable();
    while let Some(chunk) = chunks.next() {
        let block = {
            let mut with_a = parts.clone();
            if let Some(first) = with_a.first_mut() {
                *first = a.as_bytes();
            }
            key.sign(&with_a)
        };
        for (dst, src) in chunk.iter_mut().zip(block.as_bytes()) {
            *dst = *src;
        }
        if chunks.peek().is_some() {
            a = key.sign(&[a.as_bytes()]);
        }
    }
    Ok(())
}

/// `ClientHello.random` and `ServerHello.random`, which every TLS 1.2 derivation mixes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionRandoms {
    /// `ClientHello.random`.
    pub client: [u8; 32],
    /// `ServerHello.random`.
    pub server: [u8; 32],
}

/// Which side sent a Finished (RFC 5246 §7.4.9 labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishedSender {
    /// `"client finished"`
    Client,
    /// `"server finished"`
    Server,
}

impl FinishedSender {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Client => b"client finished",
            Self::Server => b"server finished",
        }
    }
}

/// The client's and server's write keys and IVs from the key block (RFC 5246 §6.3).
#[derive(Debug)]
pub struct KeyBlock {
    /// `client_write_key` and `client_write_IV`.
    pub client: TrafficKeys,
    /// `server_write_key` and `server_write_IV`.
    pub server: TrafficKeys,
}

/// The TLS 1.2 master secret (48 bytes), with the randoms it is used with. Zeroized on drop.
pub struct MasterSecret {
    hmac: &'static dyn Hmac,
    secret: SecretBytes,
    randoms: ConnectionRandoms,
}

impl MasterSecret {
    /// RFC 5246 §8.1: `master_secret = PRF(pre_master_secret, "master secret",
    /// ClientHello.random + ServerHello.random)[0..47]`.
    ///
    /// # Errors
    /// Provider failure.
    pub fn from_pre_master(
        hmac: &'static dyn Hmac,
        pre_master_secret: &[u8],
        randoms: ConnectionRandoms,
    ) -> Result<Self, Error> {
        let mut secret = SecretBytes::zeroed(MASTER_SECRET_LEN);
        prf(
            hmac,
            pre_master_secret,
            b"master secret",
            &[&randoms.client, &randoms.server],
            secret.as_mut(),
        )?;
        Ok(Self {
            hmac,
            secret,
            randoms,
        })
    }

    /// RFC 7627 §4: `master_secret = PRF(pre_master_secret, "extended master secret",
    /// session_hash)[0..47]`, where `session_hash` is the transcript hash (PRF hash) of the
    /// handshake up to and including ClientKeyExchange (§3).
    ///
    /// # Errors
    /// Provider failure.
    pub fn from_pre_master_extended(
        hmac: &'static dyn Hmac,
        pre_master_secret: &[u8],
        session_hash: &HashOutput,
        randoms: ConnectionRandoms,
    ) -> Result<Self, Error> {
        let mut secret = SecretBytes::zeroed(MASTER_SECRET_LEN);
        prf(
            hmac,
            pre_master_secret,
            b"extended master secret",
            &[session_hash.as_ref()],
            secret.as_mut(),
        )?;
        Ok(Self {
            hmac,
            secret,
            randoms,
        })
    }

    /// A master secret restored from a session (abbreviated handshake, RFC 5246 §7.3), used with
    /// the new connection's randoms.
    ///
    /// # Errors
    /// `InternalError::Crypto` if `master_secret` is not 48 bytes (a corrupt session store).
    pub fn from_session(
        hmac: &'static dyn Hmac,
        master_secret: &[u8],
        randoms: ConnectionRandoms,
    ) -> Result<Self, Error> {
        if master_secret.len() != MASTER_SECRET_LEN {
            return Err(InternalError::Crypto.into());
        }
        Ok(Self {
            hmac,
            secret: SecretBytes::new(master_secret),
            randoms,
        })
    }

    /// An explicit copy of the 48 bytes for the session cache / ticket.
    #[must_use]
    pub(crate) fn master_secret_for_session(&self) -> SecretBytes {
        self.secret.duplicate()
    }

    /// The key block for an AEAD suite (RFC 5246 §6.3):
    /// `key_block = PRF(master_secret, "key expansion", server_random + client_random)`, split
    /// as `client_write_key, server_write_key, client_write_IV, server_write_IV` (the MAC keys
    /// have length 0 for AEAD suites). The IVs are the fixed (implicit) nonce parts: 4 bytes for
    /// AES-GCM (RFC 5288 §3), 12 bytes for ChaCha20-Poly1305 (RFC 7905 §2).
    ///
    /// # Errors
    /// Provider failure.
    pub fn key_block(&self, aead: AeadAlgorithm) -> Result<KeyBlock, Error> {
        let key_len = aead.key_len();
        let iv_len = match aead {
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 4,
            AeadAlgorithm::ChaCha20Poly1305 => 12,
        };
        let mut client_key = SecretBytes::zeroed(key_len);
        let mut server_key = SecretBytes::zeroed(key_len);
        let mut client_iv = SecretBytes::zeroed(iv_len);
        let mut server_iv = SecretBytes::zeroed(iv_len);

        // 2 * (32 + 12) = 88 bytes at most; expanded into a zeroizing buffer then split.
        let mut block = zeroize::Zeroizing::new([0u8; 2 * (32 + 12)]);
        let total = 2 * (key_len + iv_len);
        let block = block.get_mut(..total).ok_or(InternalError::Crypto)?;
        prf(
            self.hmac,
            self.secret.as_bytes(),
            b"key expansion",
            &[&self.randoms.server, &self.randoms.client],
            block,
        )?;
        let mut rest: &[u8] = block;
        for dst in [
            &mut client_key,
            &mut server_key,
            &mut client_iv,
            &mut server_iv,
        ] {
            // Cannot panic: `block` is exactly the sum of the four lengths (`total`), and no
            // peer input affects them.
            let (head, tail) = rest.split_at(dst.len());
            dst.as_mut().copy_from_slice(head);
            rest = tail;
        }
        Ok(KeyBlock {
            client: TrafficKeys {
                key: client_key,
                iv: client_iv,
            },
            server: TrafficKeys {
                key: server_key,
                iv: server_iv,
            },
        })
    }

    /// `verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]`
    /// (RFC 5246 §7.4.9), for the Finished that `sender` sends. `handshake_hash` is the PRF
    /// hash of all handshake messages before this Finished.
    ///
    /// # Errors
    /// Provider failure.
    pub fn compute_finished(
        &self,
        sender: FinishedSender,
        handshake_hash: &HashOutput,
    ) -> Result<[u8; VERIFY_DATA_LEN], Error> {
        let mut out = [0u8; VERIFY_DATA_LEN];
        prf(
            self.hmac,
            self.secret.as_bytes(),
            sender.label(),
            &[handshake_hash.as_ref()],
            &mut out,
        )?;
        Ok(out)
    }

    /// Checks the peer's verify_data in constant time.
    ///
    /// # Errors
    /// `PeerMisbehaved::IncorrectFinished` on mismatch (RFC 5246 §7.4.9: "Recipients of Finished
    /// messages MUST verify that the contents are correct").
    pub fn verify_finished(
        &self,
        sender: FinishedSender,
        handshake_hash: &HashOutput,
        verify_data: &[u8],
    ) -> Result<FinishedVerified, Error> {
        let expected = self.compute_finished(sender, handshake_hash)?;
        // RFC 5246 §7.4.9: verify_data is verify_data_length (12) bytes; any other length is a
        // malformed message (`decode_error`), not a wrong MAC (`decrypt_error`).
        if verify_data.len() != expected.len() {
            return Err(InvalidMessage::InvalidLength("Finished.verify_data").into());
        }
        if bool::from(expected.as_slice().ct_eq(verify_data)) {
            Ok(FinishedVerified(()))
        } else {
            Err(PeerMisbehaved::IncorrectFinished.into())
        }
    }

    /// The RFC 5705 §4 exporter into `out`:
    /// `PRF(master_secret, label, client_random + server_random [+ context_value_length + context_value])`.
    /// Unlike TLS 1.3, an absent context (`None`) differs from an empty one.
    ///
    /// # Errors
    /// `ApiMisuse::InvalidExporterRequest` for a label the handshake itself uses (the reserved
    /// entries of the IANA TLS Exporter Label registry) or a context over 65535 bytes.
    pub fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        const RESERVED: [&[u8]; 5] = [
            b"client finished",
            b"server finished",
            b"master secret",
            b"extended master secret",
            b"key expansion",
        ];
        if RESERVED.contains(&label) {
            return Err(ApiMisuse::InvalidExporterRequest.into());
        }
        let randoms = [&self.randoms.client[..], &self.randoms.server[..]];
        match context {
            None => prf(self.hmac, self.secret.as_bytes(), label, &randoms, out),
            Some(context) => {
                let len = u16::try_from(context.len())
                    .map_err(|_| ApiMisuse::InvalidExporterRequest)?
                    .to_be_bytes();
                prf(
                    self.hmac,
                    self.secret.as_bytes(),
                    label,
                    &[randoms[0], randoms[1], &len, context],
                    out,
                )
            }
        }
    }

    /// Logs as `CLIENT_RANDOM` (the caller writes `ClientHello.random` next to it).
    pub fn log_to(&self, visitor: &mut dyn KeyLogVisitor) {
        visitor.visit(KeyLogLabel::ClientRandom, self.secret.as_bytes());
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MasterSecret({:?}, <{} bytes redacted>)",
            self.hmac.hash_algorithm(),
            self.secret.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::{HMAC_SHA256, HMAC_SHA384};
    use crate::testdata::hex;

    // The TLS 1.2 PRF test vectors posted to the IETF TLS WG mailing list ("test vectors for
    // TLS 1.2 PRF", https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), as carried
    // by several open-source suites (e.g. netty `PseudoRandomFunctionTest`).

    #[test]
    fn prf_sha256_published_vector() {
        let mut out = [0u8; 100];
        prf(
            &HMAC_SHA256,
            &hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35"),
            b"test label",
            &[&hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c")],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out.as_slice(),
            hex(
                "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95
                 32 9b 52 d4 e6 1e db 5a 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af
                 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab 4f bc 91 66 6e 9d ef 9b
                 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01
                 87 34 7b 66"
            )
        );
    }

    #[test]
    fn prf_sha384_published_vector_with_split_seed() {
        // Seed given in two pieces: the PRF must hash their concatenation.
        let seed = hex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
        let mut out = [0u8; 148];
        prf(
            &HMAC_SHA384,
            &hex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df"),
            b"test label",
            &[&seed[..5], &seed[5..]],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out.as_slice(),
            hex(
                "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa
                 60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d7
                 92eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec4
                 79e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e099070
                 3d73e56f"
            )
        );
    }

    // The expected values below were computed once, independently, with Python's `hmac` and
    // `hashlib` implementing RFC 5246 §5 P_hash/PRF in a few lines (that implementation first
    // reproduced both published vectors above), with these inputs:
    //   pre_master_secret = 03 03 01 02 .. 2e (48 bytes), client_random = 20 .. 3f,
    //   server_random = 40 .. 5f, session_hash = SHA-256 / SHA-384 of
    //   b"clasp transcript: ClientHello..ClientKeyExchange", Finished handshake hash = SHA of
    //   b"clasp transcript: ..Finished", exporter label "EXPERIMENTAL clasp".

    fn pre_master() -> Vec<u8> {
        let mut pms = vec![3u8, 3];
        pms.extend(1u8..47);
        pms
    }

    fn randoms() -> ConnectionRandoms {
        let mut client = [0u8; 32];
        let mut server = [0u8; 32];
        for i in 0..32u8 {
            client[usize::from(i)] = 0x20 + i;
            server[usize::from(i)] = 0x40 + i;
        }
        ConnectionRandoms { client, server }
    }

    fn ems_sha256() -> MasterSecret {
        let session_hash = HashOutput::new(&hex(
            "704b77a26cf9ac11a62ab695fdfd398505ceb07551d09c4ac97e6922cb105baa",
        ));
        MasterSecret::from_pre_master_extended(
            &HMAC_SHA256,
            &pre_master(),
            &session_hash,
            randoms(),
        )
        .unwrap()
    }

    #[test]
    fn extended_master_secret_sha256_rfc7627() {
        let ms = ems_sha256();
        assert_eq!(
            ms.secret.as_bytes(),
            hex(
                "cb63979d61c5ae96305797b8814db4b77209b4189b1fb10ed676dd3e78c2c233
                 e0645ab5c995000c04d4df4024148e93"
            )
        );
    }

    #[test]
    fn extended_master_secret_sha384_and_finished() {
        let session_hash = HashOutput::new(&hex(
            "9d220e32879722fd63ba123c9fdc26a06c580db0fdec848fd490df6e695d3f53
             48131c4fd83060f13ca62eb293e27377",
        ));
        let ms = MasterSecret::from_pre_master_extended(
            &HMAC_SHA384,
            &pre_master(),
            &session_hash,
            randoms(),
        )
        .unwrap();
        assert_eq!(
            ms.secret.as_bytes(),
            hex(
                "394ef9561e190896d9bb3a4869b10ab723195c4b2c388e6e064bd617fabdaa45
                 77b5f8df5281e985aff067615982b465"
            )
        );
        let hh = HashOutput::new(&hex(
            "07c8cbb459f3f3b0cfd747be567df6dfefbb148faae86f964443271615e7d623
             d50bc46411836c3c1344492f3bb1dc0a",
        ));
        assert_eq!(
            ms.compute_finished(FinishedSender::Client, &hh)
                .unwrap()
                .as_slice(),
            hex("448008cc16c300d7e664eeb2")
        );
        assert_eq!(
            ms.compute_finished(FinishedSender::Server, &hh)
                .unwrap()
                .as_slice(),
            hex("28574ac75af8c53111b85799")
        );
        let kb = ms.key_block(AeadAlgorithm::Aes256Gcm).unwrap();
        assert_eq!(kb.client.key().len(), 32);
        assert_eq!(kb.server.iv().len(), 4);
    }

    #[test]
    fn classic_master_secret_rfc5246_8_1() {
        let ms = MasterSecret::from_pre_master(&HMAC_SHA256, &pre_master(), randoms()).unwrap();
        assert_eq!(
            ms.secret.as_bytes(),
            hex(
                "06efcaf327eddc312dc534b4f02e1b6f7fdf0db61f41a3323685a4e8c89faefc
                 ecf2c49871b6aabf6259ff5e9a229f27"
            )
        );
        // Same secret under SHA-384 differs (the PRF hash is the suite's).
        let ms384 = MasterSecret::from_pre_master(&HMAC_SHA384, &pre_master(), randoms()).unwrap();
        assert_eq!(
            ms384.secret.as_bytes(),
            hex(
                "b8a3424a5e60895a6396d7d15c4102657dedee60b6ce125cea1306e3a3e60cc9
                 6af4ef07e3a29456bd04e9ef319ba381"
            )
        );
    }

    #[test]
    fn key_block_split_gcm_and_chacha() {
        let ms = ems_sha256();
        // RFC 5246 §6.3 order: client_write_key, server_write_key, client_write_IV,
        // server_write_IV; fixed IV 4 bytes for GCM (RFC 5288 §3).
        let block = hex(
            "d2160f294fd783ba27be646166aa93f7ed2a7948d1ee841e6143115675a672c3
                         6665d2044b674072",
        );
        let kb = ms.key_block(AeadAlgorithm::Aes128Gcm).unwrap();
        assert_eq!(kb.client.key(), &block[0..16]);
        assert_eq!(kb.server.key(), &block[16..32]);
        assert_eq!(kb.client.iv(), &block[32..36]);
        assert_eq!(kb.server.iv(), &block[36..40]);

        // ChaCha20-Poly1305: 32-byte keys, 12-byte IVs (RFC 7905 §2).
        let block = hex(
            "d2160f294fd783ba27be646166aa93f7ed2a7948d1ee841e6143115675a672c3
                         6665d2044b67407260c14f27f540425962bf14a93352e748ee0b065605240619
                         b8cbeb770cbc9b5598099c7389e95fc1896bc81a326cb027",
        );
        let kb = ms.key_block(AeadAlgorithm::ChaCha20Poly1305).unwrap();
        assert_eq!(kb.client.key(), &block[0..32]);
        assert_eq!(kb.server.key(), &block[32..64]);
        assert_eq!(kb.client.iv(), &block[64..76]);
        assert_eq!(kb.server.iv(), &block[76..88]);
    }

    #[test]
    fn finished_compute_and_constant_time_verify_rfc5246_7_4_9() {
        let ms = ems_sha256();
        let hh = HashOutput::new(&hex(
            "d60a6997845e8fd1a60f86b4dd79b936741c61845a5b3aa9365d70b657e8dcb6",
        ));
        let client = hex("d208a7f77c0b6d1c6a67c9fb");
        let server = hex("ebe19958a9888bbc8085306b");
        assert_eq!(
            ms.compute_finished(FinishedSender::Client, &hh)
                .unwrap()
                .as_slice(),
            client
        );
        assert_eq!(
            ms.compute_finished(FinishedSender::Server, &hh)
                .unwrap()
                .as_slice(),
            server
        );
        assert!(ms
            .verify_finished(FinishedSender::Client, &hh, &client)
            .is_ok());
        assert!(ms
            .verify_finished(FinishedSender::Server, &hh, &server)
            .is_ok());

        let incorrect = Err(Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished));
        // Wrong sender label, a flipped bit, a truncated or extended value: all rejected.
        assert_eq!(
            ms.verify_finished(FinishedSender::Server, &hh, &client)
                .map(|_| ()),
            incorrect
        );
        let mut flipped = client.clone();
        flipped[11] ^= 1;
        assert_eq!(
            ms.verify_finished(FinishedSender::Client, &hh, &flipped)
                .map(|_| ()),
            incorrect
        );
        // A wrong length is malformed (decode_error), not a wrong MAC (issue 9).
        let malformed = Err(Error::InvalidMessage(InvalidMessage::InvalidLength(
            "Finished.verify_data",
        )));
        assert_eq!(
            ms.verify_finished(FinishedSender::Client, &hh, &client[..11])
                .map(|_| ()),
            malformed
        );
        let mut longer = client.clone();
        longer.push(0);
        assert_eq!(
            ms.verify_finished(FinishedSender::Client, &hh, &longer)
                .map(|_| ()),
            malformed
        );
    }

    #[test]
    fn exporter_rfc5705_context_absent_empty_and_given() {
        let ms = ems_sha256();
        let label = b"EXPERIMENTAL clasp";
        let mut out = [0u8; 20];
        ms.export(label, None, &mut out).unwrap();
        assert_eq!(
            out.as_slice(),
            hex("8724743a613a3f403c1519906fba1218735ea678")
        );
        ms.export(label, Some(b"ctx"), &mut out).unwrap();
        assert_eq!(
            out.as_slice(),
            hex("1dfb357270d337c870b8beae17f44ebc3e4c6388")
        );
        // RFC 5705: an empty context differs from an absent one.
        ms.export(label, Some(b""), &mut out).unwrap();
        assert_eq!(
            out.as_slice(),
            hex("3a7684917544044dbae1d06238d3fa8dd4303717")
        );

        for reserved in [&b"master secret"[..], b"key expansion", b"client finished"] {
            assert_eq!(
                ms.export(reserved, None, &mut out),
                Err(Error::ApiMisuse(ApiMisuse::InvalidExporterRequest))
            );
        }
        let huge = vec![0u8; 70_000];
        assert_eq!(
            ms.export(label, Some(&huge), &mut out),
            Err(Error::ApiMisuse(ApiMisuse::InvalidExporterRequest))
        );
    }

    #[test]
    fn session_round_trip_and_keylog_and_debug() {
        let ms = ems_sha256();
        let stored = ms.master_secret_for_session();
        let resumed =
            MasterSecret::from_session(&HMAC_SHA256, stored.as_bytes(), randoms()).unwrap();
        assert_eq!(resumed.secret.as_bytes(), ms.secret.as_bytes());
        assert_eq!(
            MasterSecret::from_session(&HMAC_SHA256, &[0u8; 47], randoms()).map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Crypto
            ))
        );

        let mut logged = Vec::new();
        ms.log_to(&mut |label: KeyLogLabel, secret: &[u8]| logged.push((label, secret.to_vec())));
        assert_eq!(
            logged,
            vec![(KeyLogLabel::ClientRandom, ms.secret.as_bytes().to_vec())]
        );

        // Debug shows neither the bytes in hex nor as decimal numbers.
        let dbg = format!(
            "{ms:?} {:?}",
            ms.key_block(AeadAlgorithm::Aes128Gcm).unwrap()
        );
        assert!(dbg.contains("redacted"), "{dbg}");
        assert!(
            !dbg.contains("cb63") && !dbg.contains("203") && !dbg.contains("d216"),
            "{dbg}"
        );
    }
}
