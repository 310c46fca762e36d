//! The running handshake hash (RFC 8446 §4.4.1 Transcript-Hash; RFC 5246 §7.4.9
//! `handshake_messages`).
//!
//! Hashed once (DESIGN: "Transcript hashed once"): until the cipher suite, and so the hash, is
//! known, the raw message bytes are buffered; [`Transcript::start_hash`] feeds them to one
//! running hash context and drops the buffer. A hash "so far" forks that context, never rehashes.
//!
//! The caller adds the bytes it received or sent (handshake header included, record header not),
//! never a re-encoding (STYLE). This module never parses messages.
//!
//! TLS 1.2 client authentication signs the whole `handshake_messages` with the signature
//! scheme's own hash, which may differ from the PRF hash, so [`Transcript::keep_buffer`] keeps the
//! raw bytes until [`Transcript::release_buffer`].

use core::fmt;

use crate::crypto::{Hash, HashContext, HashOutput};
use crate::error::{Error, InternalError};
use crate::msgs::enums::HandshakeType;

enum State {
    /// The hash is not known yet: the raw messages so far.
    Buffering { buffer: Vec<u8>, keep: bool },
    /// One running context; `kept` holds the raw messages too while `keep_buffer` asks for them.
    Hashing {
        hash: &'static dyn Hash,
        ctx: Box<dyn HashContext>,
        kept: Option<Vec<u8>>,
    },
}

/// The handshake transcript: buffered until the hash is known, then one running hash.
pub struct Transcript {
    state: State,
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

impl Transcript {
    /// An empty transcript whose hash is not known yet (a client before ServerHello).
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: State::Buffering {
                buffer: Vec::new(),
                keep: false,
            },
        }
    }

    /// An empty transcript hashed with `hash` from the start.
    #[must_use]
    #[cfg(test)]
    pub fn with_hash(hash: &'static dyn Hash) -> Self {
        Self {
            state: State::Hashing {
                hash,
                ctx: hash.start(),
                kept: None,
            },
        }
    }

    /// Adds one handshake message as it was on the wire (type, u24 length, body).
    /// An independent copy of the running hash (post-handshake authentication hashes the main
    /// handshake plus its own messages, separately for each request; RFC 8446 §4.4).
    ///
    /// # Errors
    /// `InternalError::Unreachable` before [`Self::start_hash`].
    pub fn fork(&self) -> Result<Self, Error> {
        match &self.state {
            State::Hashing { hash, ctx, .. } => Ok(Self {
                state: State::Hashing {
                    hash: *hash,
                    ctx: ctx.fork(),
                    kept: None,
                },
            }),
            State::Buffering { .. } => Err(not_started()),
        }
    }

    /// Appends one handshake message (header and body, exactly as sent or received).
    pub fn add(&mut self, message: &[u8]) {
        match &mut self.state {
            State::Buffering { buffer, .. } => buffer.extend_from_slice(message),
            State::Hashing { ctx, kept, .. } => {
                ctx.update(message);
                if let Some(kept) = kept {
                    kept.extend_from_slice(message);
                }
            }
        }
    }

    /// The hash is now known (the suite is chosen): hash what was buffered, once, and hash
    /// everything added from now on directly. Calling it again with the same hash is a no-op.
    ///
    /// # Errors
    /// `InternalError::Unreachable` if a different hash was already started (a state-machine bug).
    pub fn start_hash(&mut self, hash: &'static dyn Hash) -> Result<(), Error> {
        match &mut self.state {
            State::Buffering { buffer, keep } => {
                let mut ctx = hash.start();
                ctx.update(buffer);
                let kept = if *keep {
                    Some(core::mem::take(buffer))
                } else {
                    None
                };
                self.state = State::Hashing { hash, ctx, kept };
                Ok(())
            }
            State::Hashing { hash: started, .. } => {
                if started.algorithm() == hash.algorithm() {
                    Ok(())
                } else {
                    Err(InternalError::Unreachable("transcript hash changed").into())
                }
            }
        }
    }

    /// The hash algorithm, once started.
    #[must_use]
    #[cfg(test)]
    pub fn hash_algorithm(&self) -> Option<crate::crypto::HashAlgorithm> {
        match &self.state {
            State::Buffering { .. } => None,
            State::Hashing { hash, .. } => Some(hash.algorithm()),
        }
    }

    /// Transcript-Hash of everything added so far (forks the running context).
    ///
    /// # Errors
    /// `InternalError::Unreachable` before [`Self::start_hash`] (a state-machine bug).
    pub fn current_hash(&self) -> Result<HashOutput, Error> {
        match &self.state {
            State::Buffering { .. } => Err(not_started()),
            State::Hashing { ctx, .. } => Ok(ctx.fork_finish()),
        }
    }

    /// The hash of everything so far followed by `suffix`, without adding `suffix`: the PSK
    /// binder hash over a partial ClientHello (RFC 8446 §4.2.11.2). Before the transcript's hash
    /// is known, `hash` is used over the buffer (the binder's PSK fixes the hash); afterwards it
    /// must equal the running hash.
    ///
    /// # Errors
    /// `InternalError::Unreachable` if `hash` differs from the running hash.
    pub fn hash_with_suffix(
        &self,
        hash: &'static dyn Hash,
        suffix: &[u8],
    ) -> Result<HashOutput, Error> {
        match &self.state {
            State::Buffering { buffer, .. } => {
                let mut ctx = hash.start();
                ctx.update(buffer);
                ctx.update(suffix);
                Ok(ctx.finish())
            }
            State::Hashing {
                hash: started, ctx, ..
            } => {
                if started.algorithm() != hash.algorithm() {
                    return Err(
                        InternalError::Unreachable("binder hash differs from transcript").into(),
                    );
                }
                let mut ctx = ctx.fork();
                ctx.update(suffix);
                Ok(ctx.finish())
            }
        }
    }

    /// After a HelloRetryRequest: replaces ClientHello1 with the synthetic `message_hash`
    /// message, RFC 8446 §4.4.1:
    /// `Transcript-Hash(ClientHello1, HelloRetryRequest, ... Mn) = Hash(message_hash ||
    /// 00 00 Hash.length || Hash(ClientHello1) || HelloRetryRequest || ... || Mn)`.
    /// Call it when the transcript holds exactly ClientHello1, before adding the HRR.
    ///
    /// # Errors
    /// `InternalError::Unreachable` before [`Self::start_hash`].
    pub fn rollup_for_hrr(&mut self) -> Result<(), Error> {
        let State::Hashing { hash, ctx, kept } = &mut self.state else {
            return Err(not_started());
        };
        let ch1_hash = ctx.fork_finish();
        let ch1_hash = ch1_hash.as_ref();
        // Hash.length is 32 or 48: it fits the low byte of the u24 length. A longer hash would
        // be a provider bug; refuse rather than write a wrong length.
        let len = u8::try_from(ch1_hash.len())
            .map_err(|_| InternalError::Unreachable("hash longer than 255 bytes"))?;
        let header = [HandshakeType::MessageHash.0, 0, 0, len];
        let mut new_ctx = hash.start();
        new_ctx.update(&header);
        new_ctx.update(ch1_hash);
        *ctx = new_ctx;
        if let Some(kept) = kept {
            kept.clear();
            kept.extend_from_slice(&header);
            kept.extend_from_slice(ch1_hash);
        }
        Ok(())
    }

    /// Keeps the raw message bytes (all of them, from the first message) until
    /// [`Self::release_buffer`]: TLS 1.2 CertificateVerify signs `handshake_messages` with the
    /// signature scheme's hash (RFC 5246 §7.4.8). Must be called before [`Self::start_hash`],
    /// which otherwise drops the buffer.
    ///
    /// # Errors
    /// `InternalError::Unreachable` if the buffer was already dropped.
    pub fn keep_buffer(&mut self) -> Result<(), Error> {
        match &mut self.state {
            State::Buffering { keep, .. } => {
                *keep = true;
                Ok(())
            }
            State::Hashing { kept: Some(_), .. } => Ok(()),
            State::Hashing { kept: None, .. } => {
                Err(InternalError::Unreachable("transcript buffer already released").into())
            }
        }
    }

    /// The raw messages so far, while buffering or kept (else `None`).
    #[must_use]
    pub fn buffer(&self) -> Option<&[u8]> {
        match &self.state {
            State::Buffering { buffer, .. } => Some(buffer),
            State::Hashing { kept, .. } => kept.as_deref(),
        }
    }

    /// Drops the kept raw messages (after CertificateVerify, or when no client certificate is
    /// involved). Before [`Self::start_hash`] the buffer is still needed, so it is only marked
    /// as not to be kept.
    pub fn release_buffer(&mut self) {
        match &mut self.state {
            State::Buffering { keep, .. } => *keep = false,
            State::Hashing { kept, .. } => *kept = None,
        }
    }
}

fn not_started() -> Error {
    InternalError::Unreachable("transcript hash not started").into()
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            State::Buffering { buffer, keep } => f
                .debug_struct("Transcript")
                .field("buffered", &buffer.len())
                .field("keep", keep)
                .finish(),
            State::Hashing { hash, ctx, kept } => f
                .debug_struct("Transcript")
                .field("hash", &hash.algorithm())
                .field("so_far", &ctx.fork_finish())
                .field("kept", &kept.as_ref().map(Vec::len))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::{SHA256, SHA384};
    use crate::crypto::HashAlgorithm;
    use crate::testdata::rfc8448;

    #[test]
    fn buffers_until_hash_known_then_hashes_once() {
        let mut t = Transcript::new();
        assert_eq!(
            t.current_hash().map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Unreachable("transcript hash not started")
            ))
        );
        assert_eq!(t.hash_algorithm(), None);
        t.add(b"first ");
        t.add(b"second ");
        assert_eq!(t.buffer(), Some(&b"first second "[..]));
        t.start_hash(&SHA256).unwrap();
        // The buffer is dropped once hashed (DESIGN: "Transcript hashed once").
        assert_eq!(t.buffer(), None);
        assert_eq!(t.current_hash().unwrap(), SHA256.hash(b"first second "));
        t.add(b"third");
        assert_eq!(
            t.current_hash().unwrap(),
            SHA256.hash(b"first second third")
        );
        // current_hash forks: asking twice gives the same answer.
        assert_eq!(
            t.current_hash().unwrap(),
            SHA256.hash(b"first second third")
        );
        // Same hash again is fine; a different one is a state-machine bug.
        assert!(t.start_hash(&SHA256).is_ok());
        assert_eq!(
            t.start_hash(&SHA384).map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Unreachable("transcript hash changed")
            ))
        );
        assert_eq!(t.hash_algorithm(), Some(HashAlgorithm::Sha256));
    }

    #[test]
    fn hash_with_suffix_does_not_add() {
        let mut t = Transcript::new();
        t.add(b"ch-prefix");
        // Before the hash is known: the caller's hash over buffer + suffix.
        assert_eq!(
            t.hash_with_suffix(&SHA384, b"+tail").unwrap(),
            SHA384.hash(b"ch-prefix+tail")
        );
        t.start_hash(&SHA256).unwrap();
        assert_eq!(
            t.hash_with_suffix(&SHA256, b"+tail").unwrap(),
            SHA256.hash(b"ch-prefix+tail")
        );
        assert_eq!(t.current_hash().unwrap(), SHA256.hash(b"ch-prefix"));
        assert_eq!(
            t.hash_with_suffix(&SHA384, b"").map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Unreachable("binder hash differs from transcript")
            ))
        );
    }

    /// RFC 8446 §4.4.1: ClientHello1 is replaced by message_hash(254) || 00 00 20 || Hash(CH1).
    #[test]
    fn hrr_rollup_rfc8446_4_4_1() {
        let ch1 = rfc8448("s5.client_hello_1");
        let hrr = rfc8448("s5.hello_retry_request");
        let mut expected = vec![254u8, 0, 0, 32];
        expected.extend_from_slice(SHA256.hash(&ch1).as_ref());
        expected.extend_from_slice(&hrr);

        let mut t = Transcript::new();
        t.add(&ch1);
        assert_eq!(
            t.rollup_for_hrr().map(|_| ()),
            Err(Error::Internal(InternalError::Unreachable(
                "transcript hash not started"
            ))),
            "needs the hash first"
        );
        t.keep_buffer().unwrap();
        t.start_hash(&SHA256).unwrap();
        t.rollup_for_hrr().unwrap();
        t.add(&hrr);
        assert_eq!(t.current_hash().unwrap(), SHA256.hash(&expected));
        // A kept buffer is rolled up too.
        assert_eq!(t.buffer(), Some(expected.as_slice()));

        // SHA-384: the length byte is 48.
        let mut t = Transcript::with_hash(&SHA384);
        t.add(&ch1);
        t.rollup_for_hrr().unwrap();
        let mut expected = vec![254u8, 0, 0, 48];
        expected.extend_from_slice(SHA384.hash(&ch1).as_ref());
        assert_eq!(t.current_hash().unwrap(), SHA384.hash(&expected));
    }

    #[test]
    fn keep_buffer_for_tls12_certificate_verify() {
        let mut t = Transcript::new();
        t.add(b"client_hello;");
        t.keep_buffer().unwrap();
        t.start_hash(&SHA384).unwrap();
        t.add(b"server_hello;");
        assert_eq!(t.buffer(), Some(&b"client_hello;server_hello;"[..]));
        assert_eq!(
            t.current_hash().unwrap(),
            SHA384.hash(b"client_hello;server_hello;")
        );
        t.release_buffer();
        assert_eq!(t.buffer(), None);
        // Too late to keep once released.
        assert_eq!(
            t.keep_buffer().map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Unreachable("transcript buffer already released")
            ))
        );
        t.add(b"more");
        assert_eq!(
            t.current_hash().unwrap(),
            SHA384.hash(b"client_hello;server_hello;more")
        );
    }

    #[test]
    fn debug_shows_state_not_content() {
        let mut t = Transcript::new();
        t.add(b"secretish");
        let s = format!("{t:?}");
        assert!(s.contains("buffered: 9") && !s.contains("secretish"), "{s}");
        t.start_hash(&SHA256).unwrap();
        assert!(format!("{t:?}").contains("Sha256"));
    }
}
