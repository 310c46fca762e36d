//! TLS certificate compression (RFC 8879): the CompressedCertificate message that replaces
//! Certificate in TLS 1.3, with zlib (flate2), brotli (brotli) and zstd (zstd).
//!
//! This module owns compressing and decompressing a Certificate message body, with the bounds
//! RFC 8879 §4 asks for, and the server's cache of compressed chains. It never decides whether to
//! compress (the state machines do, from what the peer offered) and never writes a compressor:
//! every algorithm is a well-kept crate.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use crate::codec::Codec;
use crate::error::{Error, InternalError, PeerMisbehaved};
use crate::msgs::enums::CertificateCompressionAlgorithm as Alg;
use crate::msgs::handshake::{
    CertificateEntry, CertificateTls13, CompressedCertificate, MAX_CERTIFICATE_LIST_SIZE,
};
use crate::sign::CertifiedKey;

/// What clasp offers and accepts by default, in preference order: brotli (what browsers offer),
/// zstd, zlib.
pub(crate) const DEFAULT_ALGORITHMS: &[Alg] = &[Alg::Brotli, Alg::Zstd, Alg::Zlib];

/// The largest Certificate body we will inflate to: the certificate_list cap plus its 3-byte
/// length and the longest certificate_request_context (1 + 255). RFC 8879 §4 bounds it by
/// 2^24 (uint24 uncompressed_length); ours is lower, so a bomb never gets near that.
pub(crate) const MAX_UNCOMPRESSED: usize = MAX_CERTIFICATE_LIST_SIZE + 3 + 256;

/// The first algorithm in `ours` (our preference) that the peer offered in `theirs`.
pub(crate) fn choose(ours: &[Alg], theirs: Option<&[Alg]>) -> Option<Alg> {
    let theirs = theirs?;
    ours.iter().copied().find(|a| theirs.contains(a))
}

/// Compresses a Certificate message body with `alg`.
pub(crate) fn compress(alg: Alg, body: &[u8]) -> Result<Vec<u8>, Error> {
    let failed = |_| Error::Internal(InternalError::Unreachable("certificate compression failed"));
    match alg {
        Alg::Zlib => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(body).map_err(failed)?;
            e.finish().map_err(failed)
        }
        Alg::Brotli => {
            let mut out = Vec::new();
            {
                // Quality 11 (best): a chain is compressed once per config. The window just
                // covers the body (10 to 18 bits): the peer's decoder sizes its ring buffer
                // from it, and a 4 MiB default window would cost it that much memory.
                let lgwin = (usize::BITS - body.len().leading_zeros()).clamp(10, 18);
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, lgwin);
                w.write_all(body).map_err(failed)?;
                w.flush().map_err(failed)?;
            }
            Ok(out)
        }
        Alg::Zstd => zstd::bulk::compress(body, 19).map_err(failed),
        _ => Err(Error::Internal(InternalError::Unreachable(
            "compressing with an algorithm we do not offer",
        ))),
    }
}

/// RFC 8879 §4: decompresses `cc` into the Certificate message body it carries. `offered` is
/// what we sent in compress_certificate: another algorithm is illegal_parameter. The output is
/// bounded by the declared uncompressed_length (itself capped at [`MAX_UNCOMPRESSED`], under
/// the protocol's 2^24): "If the received CompressedCertificate message cannot be decompressed,
/// the connection MUST be terminated with the "bad_certificate" alert", and a length other than
/// the declared one is treated the same way. The decoder never produces more than one byte past
/// the declared length, whatever the input claims.
pub(crate) fn decompress(offered: &[Alg], cc: &CompressedCertificate) -> Result<Vec<u8>, Error> {
    if !offered.contains(&cc.algorithm) {
        return Err(PeerMisbehaved::UnofferedCertificateCompression.into());
    }
    let declared = cc.uncompressed_length as usize;
    if declared == 0 || declared > MAX_UNCOMPRESSED {
        return Err(PeerMisbehaved::BadCompressedCertificate.into());
    }
    let input = cc.compressed.as_slice();
    // One byte more than declared, so that a longer output is seen and refused.
    let limit = declared as u64 + 1;
    let mut out = Vec::with_capacity(declared.min(64 * 1024));
    let res = match cc.algorithm {
        Alg::Zlib => flate2::read::ZlibDecoder::new(input)
            .take(limit)
            .read_to_end(&mut out),
        Alg::Brotli => brotli::Decompressor::new(input, 4096)
            .take(limit)
            .read_to_end(&mut out),
        Alg::Zstd => match zstd::stream::read::Decoder::with_buffer(input) {
            Ok(d) => d.take(limit).read_to_end(&mut out),
            Err(e) => Err(e),
        },
        _ => return Err(PeerMisbehaved::UnofferedCertificateCompression.into()),
    };
    if res.is_err() || out.len() != declared {
        return Err(PeerMisbehaved::BadCompressedCertificate.into());
    }
    Ok(out)
}

/// The server's compressed chains, so a handshake does not recompress (RFC 8879 §5 notes the
/// cost; compression at quality 11 costs far more than a handshake). Keyed by the algorithm and
/// the exact uncompressed body, so a new staple or certificate makes a new entry; the oldest
/// entry goes when the cache is full.
#[derive(Debug, Default)]
pub(crate) struct CompressionCache {
    entries: Mutex<Vec<CacheEntry>>,
}

#[derive(Debug)]
struct CacheEntry {
    alg: Alg,
    body: Vec<u8>,
    compressed: Arc<Vec<u8>>,
}

/// Chains kept: a few certificates (say RSA and ECDSA) times the algorithms, with a staple
/// change or two.
const CACHE_ENTRIES: usize = 12;

impl CompressionCache {
    /// A cache holding `cert`'s chain (as a TLS 1.3 server sends it without a staple)
    /// compressed with each of `algs`: brotli at its best quality takes milliseconds, better
    /// spent when the config is built than in a handshake.
    pub(crate) fn warmed(cert: Option<&CertifiedKey>, algs: &[Alg]) -> Result<Self, Error> {
        let cache = Self::default();
        if let Some(ck) = cert {
            let msg = CertificateTls13 {
                certificate_request_context: Vec::new(),
                certificate_list: ck
                    .cert
                    .iter()
                    .map(|c| CertificateEntry {
                        cert_data: c.clone(),
                        extensions: Vec::new(),
                    })
                    .collect(),
            };
            let mut body = Vec::new();
            msg.encode(&mut body);
            for alg in algs {
                cache.get(*alg, &body)?;
            }
        }
        Ok(cache)
    }

    /// The compressed form of `body` under `alg`, from the cache or compressed now.
    pub(crate) fn get(&self, alg: Alg, body: &[u8]) -> Result<Arc<Vec<u8>>, Error> {
        {
            let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(e) = entries.iter().find(|e| e.alg == alg && e.body == body) {
                return Ok(Arc::clone(&e.compressed));
            }
        }
        let compressed = Arc::new(compress(alg, body)?);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHE_ENTRIES {
            entries.remove(0);
        }
        entries.push(CacheEntry {
            alg,
            body: body.to_vec(),
            compressed: Arc::clone(&compressed),
        });
        Ok(compressed)
    }

    /// How many chains are cached (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Builds the CompressedCertificate for a Certificate body.
pub(crate) fn compressed_message(
    alg: Alg,
    body: &[u8],
    cache: Option<&CompressionCache>,
) -> Result<CompressedCertificate, Error> {
    let compressed = match cache {
        Some(c) => c.get(alg, body)?.as_ref().clone(),
        None => compress(alg, body)?,
    };
    Ok(CompressedCertificate {
        algorithm: alg,
        // The body is at most 2^24 - 1 bytes: it came from an encoder with a uint24 length.
        uncompressed_length: u32::try_from(body.len()).map_err(|_| {
            Error::Internal(InternalError::Unreachable("certificate body over 2^32"))
        })?,
        compressed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Vec<u8> {
        // Repetitive like a real chain (shared issuer names), 20 KB.
        (0..20_000u32).map(|i| (i % 97) as u8).collect()
    }

    #[test]
    fn each_algorithm_round_trips_and_shrinks() {
        let b = body();
        for alg in DEFAULT_ALGORITHMS {
            let cc = compressed_message(*alg, &b, None).unwrap();
            assert!(cc.compressed.len() < b.len() / 4, "{alg}");
            assert_eq!(decompress(DEFAULT_ALGORITHMS, &cc).unwrap(), b, "{alg}");
        }
    }

    /// RFC 8879 §4: a declared length that differs from the real one either way is
    /// bad_certificate, as is garbage; an algorithm we did not offer is illegal_parameter.
    #[test]
    fn mismatch_garbage_and_unoffered_are_refused() {
        let b = body();
        for alg in DEFAULT_ALGORITHMS {
            let cc = compressed_message(*alg, &b, None).unwrap();
            for declared in [cc.uncompressed_length - 1, cc.uncompressed_length + 1] {
                let bad = CompressedCertificate {
                    uncompressed_length: declared,
                    ..cc.clone()
                };
                assert_eq!(
                    decompress(DEFAULT_ALGORITHMS, &bad),
                    Err(PeerMisbehaved::BadCompressedCertificate.into()),
                    "{alg} {declared}"
                );
            }
            let garbage = CompressedCertificate {
                compressed: vec![0xde, 0xad, 0xbe, 0xef, 1, 2, 3],
                ..cc.clone()
            };
            assert_eq!(
                decompress(DEFAULT_ALGORITHMS, &garbage),
                Err(PeerMisbehaved::BadCompressedCertificate.into()),
                "{alg}"
            );
            let others: Vec<Alg> = DEFAULT_ALGORITHMS
                .iter()
                .copied()
                .filter(|a| a != alg)
                .collect();
            assert_eq!(
                decompress(&others, &cc),
                Err(PeerMisbehaved::UnofferedCertificateCompression.into()),
                "{alg}"
            );
        }
    }

    /// `n` zero bytes compressed fast with `alg`.
    fn bomb(alg: Alg, n: usize) -> Vec<u8> {
        let zeros = vec![0u8; n];
        match alg {
            Alg::Zlib => {
                let mut e =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&zeros).unwrap();
                e.finish().unwrap()
            }
            Alg::Brotli => {
                let mut out = Vec::new();
                {
                    let mut w = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
                    w.write_all(&zeros).unwrap();
                }
                out
            }
            _ => zstd::bulk::compress(&zeros, 1).unwrap(),
        }
    }

    /// A decompression bomb: 32 MiB of zeros in at most 150 KB, declared as 1000 bytes. The
    /// decoder stops one byte past the declared length and the message is refused
    /// (bad_certificate, RFC 8879 §4); a declared length above our cap (2^24 - 1, the most the
    /// protocol allows) is refused before any decoding.
    #[test]
    fn decompression_bomb_is_refused_without_inflating_it() {
        for alg in DEFAULT_ALGORITHMS {
            let compressed = bomb(*alg, 32 << 20);
            // Small enough to arrive in one CompressedCertificate (zlib tops out near 1000:1).
            assert!(
                compressed.len() < MAX_CERTIFICATE_LIST_SIZE,
                "{alg}: {}",
                compressed.len()
            );
            let cc = CompressedCertificate {
                algorithm: *alg,
                uncompressed_length: 1000,
                compressed: compressed.clone(),
            };
            let t = std::time::Instant::now();
            assert_eq!(
                decompress(DEFAULT_ALGORITHMS, &cc),
                Err(PeerMisbehaved::BadCompressedCertificate.into()),
                "{alg}"
            );
            assert!(t.elapsed() < std::time::Duration::from_secs(1), "{alg}");
            let huge = CompressedCertificate {
                uncompressed_length: (1 << 24) - 1,
                ..cc
            };
            assert_eq!(
                decompress(DEFAULT_ALGORITHMS, &huge),
                Err(PeerMisbehaved::BadCompressedCertificate.into()),
                "{alg}"
            );
        }
    }

    #[test]
    fn the_cache_compresses_once_per_algorithm_and_body() {
        let cache = CompressionCache::default();
        let b = body();
        let a = cache.get(Alg::Brotli, &b).unwrap();
        let again = cache.get(Alg::Brotli, &b).unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        cache.get(Alg::Zlib, &b).unwrap();
        assert_eq!(cache.len(), 2);
        for i in 0..20u8 {
            cache.get(Alg::Zlib, &[i; 10]).unwrap();
        }
        assert_eq!(cache.len(), CACHE_ENTRIES);
    }

    #[test]
    fn choose_follows_our_preference_among_the_peers_offers() {
        assert_eq!(
            choose(DEFAULT_ALGORITHMS, Some(&[Alg::Zlib, Alg::Brotli])),
            Some(Alg::Brotli)
        );
        assert_eq!(choose(DEFAULT_ALGORITHMS, Some(&[Alg(0x4242)])), None);
        assert_eq!(choose(DEFAULT_ALGORITHMS, None), None);
        assert_eq!(choose(&[], Some(&[Alg::Zlib])), None);
    }
}
