//! The client's verified-chain cache: a client that reconnects to the same server skips
//! re-verifying the signatures of a certificate chain it verified a moment ago.
//!
//! # What is cached
//! A successful [`super::WebPkiServerVerifier::verify_server_cert`] result: the verified path
//! (end entity, then the intermediates used), under a key made of
//! - the **exact bytes** of every certificate the server sent, in order (compared byte for byte,
//!   not by a digest, so no hash collision can alias two chains),
//! - the **server name** the chain was verified for,
//! - the **trust-anchor set's identity** ([`super::RootCertStore`] gets a fresh identity on
//!   every change, so a store with a root added or removed never matches an entry verified under
//!   the old set).
//!
//! The usage (serverAuth), the signature algorithms and the absence of revocation input are
//! fixed per verifier, and every verifier owns its own cache, so they are not part of the key.
//!
//! # Why it is safe
//! Chain verification is a pure function of (chain, name, anchors, usage, algorithms, time).
//! Everything but the time is in the key or fixed. For the time: the path was valid at the
//! moment `t0` it was verified, so `notBefore ≤ t0` for every certificate on it; at any later
//! `now` before the earliest `notAfter` on the path, every certificate on the *same* path is
//! still within its validity period, so the same path still verifies and the result is the same.
//! An entry is therefore used only while `t0 ≤ now < earliest notAfter` (a clock that went
//! backwards misses), and never longer than `max_age` after `t0`, which bounds how long a
//! decision outlives anything the function does not see (revocation, a changed policy).
//!
//! What is *not* cached: failures (a bad chain is re-checked, and reported precisely, every
//! time), and the handshake signature. `CertificateVerify` (TLS 1.3) and `ServerKeyExchange`
//! (TLS 1.2) sign this connection's transcript and are verified on every handshake: the cache
//! vouches for "this key belongs to this name", never for "the peer holds this key".
//!
//! # What invalidates an entry
//! Reaching the earliest `notAfter` of its path or `max_age`, eviction when the cache is full
//! (least recently used first), or a change of trust anchors (a different identity: the entry is
//! never found again and ages out). Bounded: at most `capacity` entries, and chains over
//! [`MAX_CACHED_CHAIN_BYTES`] are not cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Default number of cached chains per client configuration.
pub(crate) const DEFAULT_CAPACITY: usize = 64;
/// Default longest time an entry is used, seconds (one hour).
pub(crate) const DEFAULT_MAX_AGE_SECS: u64 = 3600;
/// Chains larger than this (all certificates together) are verified but never cached, so the
/// cache holds at most `capacity` × 32 KiB of certificates.
pub(crate) const MAX_CACHED_CHAIN_BYTES: usize = 32 * 1024;

/// The identity of a trust-anchor set: equal identities mean equal contents (see
/// [`super::RootCertStore`], which takes a fresh one on every change).
pub(crate) fn next_roots_identity() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug)]
struct Entry {
    path: Vec<CertificateDer<'static>>,
    verified_at: u64,
    /// Earliest of (notAfter of every certificate on the path, `verified_at + max_age`).
    use_until: u64,
    last_used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<Vec<u8>, Entry>,
    tick: u64,
}

/// Verified chains of one verifier (see the module docs).
#[derive(Debug)]
pub(crate) struct ChainCache {
    capacity: usize,
    max_age: u64,
    inner: Mutex<Inner>,
    /// Chain verifications done (cache misses that went on to verify), for tests and tools.
    verifications: AtomicU64,
}

impl ChainCache {
    pub(crate) fn new(capacity: usize, max_age_secs: u64) -> Self {
        Self {
            capacity,
            max_age: max_age_secs,
            inner: Mutex::new(Inner::default()),
            verifications: AtomicU64::new(0),
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The lookup key: roots identity, name, then every certificate with its length (so two
    /// different chains never concatenate to the same key).
    pub(crate) fn key(
        roots: u64,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
    ) -> Option<Vec<u8>> {
        let total: usize = end_entity.len()
            + intermediates
                .iter()
                .map(|c| c.as_ref().len())
                .sum::<usize>();
        if total > MAX_CACHED_CHAIN_BYTES {
            return None;
        }
        let name = name.to_str();
        let mut key =
            Vec::with_capacity(8 + 4 + name.len() + total + 4 * (1 + intermediates.len()));
        key.extend_from_slice(&roots.to_be_bytes());
        // Lengths fit in u32: the total is at most MAX_CACHED_CHAIN_BYTES and a name is short.
        for part in std::iter::once(name.as_bytes())
            .chain(std::iter::once(end_entity.as_ref()))
            .chain(intermediates.iter().map(AsRef::as_ref))
        {
            key.extend_from_slice(&u32::try_from(part.len()).ok()?.to_be_bytes());
            key.extend_from_slice(part);
        }
        Some(key)
    }

    /// The cached path for `key`, if it may be used at `now`.
    pub(crate) fn get(&self, key: &[u8], now: UnixTime) -> Option<Vec<CertificateDer<'static>>> {
        let now = now.as_secs();
        let mut inner = self.inner.lock().ok()?;
        inner.tick += 1;
        let tick = inner.tick;
        let e = inner.map.get_mut(key)?;
        if e.verified_at <= now && now < e.use_until {
            e.last_used = tick;
            return Some(e.path.clone());
        }
        inner.map.remove(key);
        None
    }

    /// Counts one chain verification (a miss).
    pub(crate) fn count_verification(&self) {
        self.verifications.fetch_add(1, Ordering::Relaxed);
    }

    /// Chain verifications done so far.
    #[cfg(test)]
    pub(crate) fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Entries held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().map(|i| i.map.len()).unwrap_or(0)
    }

    /// Remembers that `path` verified at `now` (its certificates' `notAfter` bound the entry).
    /// A path whose validity cannot be read is not cached.
    pub(crate) fn insert(&self, key: Vec<u8>, path: &[CertificateDer<'static>], now: UnixTime) {
        if !self.is_enabled() {
            return;
        }
        let now = now.as_secs();
        let Some(not_after) = earliest_not_after(path) else {
            return;
        };
        let use_until = not_after.min(now.saturating_add(self.max_age));
        if use_until <= now {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner.tick += 1;
        let tick = inner.tick;
        if !inner.map.contains_key(&key) && inner.map.len() >= self.capacity {
            // Evict the least recently used entry (expired entries are used least of all
            // once they stop matching). Linear in `capacity`, only on a miss, which has just
            // paid for a whole chain verification.
            let oldest = inner
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                inner.map.remove(&k);
            }
        }
        inner.map.insert(
            key,
            Entry {
                path: path.to_vec(),
                verified_at: now,
                use_until,
                last_used: tick,
            },
        );
    }
}

/// The earliest `notAfter` of `path`, as Unix seconds (a time before 1970 reads as 0).
fn earliest_not_after(path: &[CertificateDer<'_>]) -> Option<u64> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let mut earliest = u64::MAX;
    for cert in path {
        let (_, x) = X509Certificate::from_der(cert.as_ref()).ok()?;
        let t = u64::try_from(x.validity().not_after.timestamp()).unwrap_or(0);
        earliest = earliest.min(t);
    }
    (earliest != u64::MAX).then_some(earliest)
}

#[cfg(test)]
mod tests {
    use super::super::test_pki::{ca, leaf_with, now, server_leaf, NOW_SECS};
    use super::super::{RootCertStore, ServerCertVerifier, WebPkiServerVerifier};
    use super::*;
    use crate::crypto::aws_lc::default_provider;
    use crate::error::{CertificateError, Error};
    use std::sync::Arc;

    fn verifier(ca: &super::super::test_pki::Issued) -> WebPkiServerVerifier {
        let mut roots = RootCertStore::empty();
        roots.add(&ca.der()).unwrap();
        WebPkiServerVerifier::new(Arc::new(roots), &default_provider())
    }

    fn dns(name: &str) -> ServerName<'static> {
        ServerName::try_from(name.to_owned()).unwrap()
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(core::time::Duration::from_secs(secs))
    }

    #[test]
    fn a_repeat_visit_skips_chain_verification() {
        let ca = ca("cache CA");
        let leaf = server_leaf(&ca, &["localhost"]);
        let v = verifier(&ca);
        let name = dns("localhost");
        let mut first = v
            .verify_server_cert(&leaf.der(), &[], &name, now())
            .unwrap();
        let mut second = v
            .verify_server_cert(&leaf.der(), &[], &name, at(NOW_SECS + 60))
            .unwrap();
        assert_eq!(v.cache.verifications(), 1);
        assert_eq!(v.cache.len(), 1);
        // The hit reports the same verified path.
        assert_eq!(first.take_path(), second.take_path());
    }

    #[test]
    fn another_name_chain_or_trust_anchor_set_misses() {
        let ca1 = ca("cache CA");
        let leaf = server_leaf(&ca1, &["a.example", "b.example"]);
        let other_leaf = server_leaf(&ca1, &["a.example"]);
        let v = verifier(&ca1);
        v.verify_server_cert(&leaf.der(), &[], &dns("a.example"), now())
            .unwrap();
        // Another name, same chain.
        v.verify_server_cert(&leaf.der(), &[], &dns("b.example"), now())
            .unwrap();
        assert_eq!(v.cache.verifications(), 2);
        // Another chain, same name.
        v.verify_server_cert(&other_leaf.der(), &[], &dns("a.example"), now())
            .unwrap();
        assert_eq!(v.cache.verifications(), 3);
        // The same chain with an extra (unused) certificate is another chain.
        v.verify_server_cert(&leaf.der(), &[ca1.der()], &dns("a.example"), now())
            .unwrap();
        assert_eq!(v.cache.verifications(), 4);

        // Another trust-anchor set: a store gets a new identity on every change, a clone keeps
        // it, and a key made under one identity is not found under another.
        let mut roots = RootCertStore::empty();
        roots.add(&ca1.der()).unwrap();
        let same = roots.clone();
        assert_eq!(same.identity, roots.identity);
        let mut grown = roots.clone();
        grown.add(&ca("another CA").der()).unwrap();
        assert_ne!(grown.identity, roots.identity);
        let cache = ChainCache::new(4, 3600);
        let name = dns("a.example");
        let path = vec![leaf.der()];
        let k1 = ChainCache::key(roots.identity, &leaf.der(), &[], &name).unwrap();
        let k2 = ChainCache::key(grown.identity, &leaf.der(), &[], &name).unwrap();
        cache.insert(k1.clone(), &path, now());
        assert!(cache.get(&k1, now()).is_some());
        assert!(cache.get(&k2, now()).is_none());
    }

    #[test]
    fn entries_expire_at_the_earliest_not_after_and_the_max_age() {
        let ca = ca("cache CA");
        // notAfter 2026-01-01T00:00:00Z.
        let leaf = leaf_with(
            &ca,
            &["localhost"],
            &[rcgen::ExtendedKeyUsagePurpose::ServerAuth],
            (2020, 2026),
        );
        let not_after = 1_767_225_600;
        let v = verifier(&ca);
        let name = dns("localhost");
        v.verify_server_cert(&leaf.der(), &[], &name, at(not_after - 7200))
            .unwrap();
        // Within both bounds (the default max age is an hour): a hit.
        v.verify_server_cert(&leaf.der(), &[], &name, at(not_after - 7200 + 1800))
            .unwrap();
        assert_eq!(v.cache.verifications(), 1);
        // Past the max age: verified again (and cached again, now until notAfter).
        v.verify_server_cert(&leaf.der(), &[], &name, at(not_after - 7200 + 3601))
            .unwrap();
        assert_eq!(v.cache.verifications(), 2);
        // Past notAfter, though within the max age of the last verification: verified again,
        // and refused as webpki refuses it.
        let e = v.verify_server_cert(&leaf.der(), &[], &name, at(not_after + 1));
        assert!(
            matches!(e, Err(Error::InvalidCertificate(CertificateError::Expired))),
            "{e:?}"
        );
        assert_eq!(v.cache.verifications(), 3);
        // A clock that went back before the verification misses too.
        let v = verifier(&ca);
        v.verify_server_cert(&leaf.der(), &[], &name, now())
            .unwrap();
        v.verify_server_cert(&leaf.der(), &[], &name, at(NOW_SECS - 1))
            .unwrap();
        assert_eq!(v.cache.verifications(), 2);
    }

    #[test]
    fn the_cache_is_bounded_and_evicts_the_least_recently_used() {
        let ca = ca("cache CA");
        let leaves: Vec<_> = (0..3).map(|_| server_leaf(&ca, &["localhost"])).collect();
        let v = verifier(&ca).with_chain_cache(2, 3600);
        let name = dns("localhost");
        let check = |i: usize| {
            v.verify_server_cert(&leaves[i].der(), &[], &name, now())
                .unwrap();
        };
        check(0);
        check(1);
        check(0); // hit: 0 is now the most recently used
        assert_eq!(v.cache.verifications(), 2);
        check(2); // evicts 1
        assert_eq!(v.cache.len(), 2);
        assert_eq!(v.cache.verifications(), 3);
        check(0); // still cached
        assert_eq!(v.cache.verifications(), 3);
        check(1); // was evicted
        assert_eq!(v.cache.verifications(), 4);
        assert_eq!(v.cache.len(), 2);
    }

    #[test]
    fn failures_are_not_cached_and_capacity_zero_turns_the_cache_off() {
        let ca1 = ca("cache CA");
        let stranger = server_leaf(&ca("unknown CA"), &["localhost"]);
        let v = verifier(&ca1);
        let name = dns("localhost");
        for _ in 0..2 {
            let e = v.verify_server_cert(&stranger.der(), &[], &name, now());
            assert!(
                matches!(
                    e,
                    Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
                ),
                "{e:?}"
            );
        }
        assert_eq!(v.cache.verifications(), 2);
        assert_eq!(v.cache.len(), 0);

        let leaf = server_leaf(&ca1, &["localhost"]);
        let off = verifier(&ca1).with_chain_cache(0, 3600);
        for _ in 0..3 {
            off.verify_server_cert(&leaf.der(), &[], &name, now())
                .unwrap();
        }
        assert_eq!(off.cache.verifications(), 3);
        assert_eq!(off.cache.len(), 0);
    }
}
