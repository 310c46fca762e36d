//! Resumption state: the server's ticket keys (with rotation) and the client's session cache.
//!
//! Server tickets are self-contained: the resumption PSK and what must be re-checked on resumption
//! (suite, ALPN, SNI; RFC 8446 §4.2.11, §4.6.1; the client's verified chain, verified again
//! under the server's current policy, and the time of the full handshake, which caps the
//! session's life however often it is resumed) are sealed with AES-256-GCM under a key that
//! rotates. The previous key still opens tickets until the next rotation, so a rotation never
//! strands tickets issued a moment before; a ticket under a key rotated out twice falls back to a
//! full handshake. The client's cache binds each session to the verifier and client-certificate
//! resolver that made it (`SessionBinding`) and keeps no ticket too large to send back
//! ([`MAX_TICKET_LEN`]). Nothing here reads a clock directly: times come from the config's
//! [`TimeProvider`](crate::time::TimeProvider).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use rustls_pki_types::CertificateDer;

use crate::codec::{put_prefixed, Codec, ListLength, Reader};
use crate::crypto::{AeadAlgorithm, AeadKey, CryptoProvider, SecretBytes, SecureRandom};
use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::sign::ResolvesClientCert;
use crate::verify::ServerCertVerifier;

/// Default ticket key rotation period: 6 hours (tickets live at most 2 periods).
pub const DEFAULT_ROTATION_SECS: u64 = 6 * 3600;

/// Ticket lifetime we advertise (RFC 8446 §4.6.1 caps it at 7 days); we use 2 hours.
pub const TICKET_LIFETIME_SECS: u32 = 7200;

/// Default cap on a session's total life, counted from the full handshake that authenticated
/// it, however often it is resumed in between (each resumption issues fresh tickets): 24 hours.
/// A day bounds how long a stolen ticket, or a client certificate checked once, keeps a
/// session going without a full handshake, at the cost of one full handshake per client a day.
pub const DEFAULT_MAX_SESSION_AGE_SECS: u64 = 24 * 3600;

/// RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)" for a
/// ticket's lifetime, and the PSK's original authentication bounds its use the same way: the
/// most [`crate::config::ServerConfigBuilder::with_max_session_age`] accepts.
pub const MAX_SESSION_AGE_SECS: u64 = 604_800;

/// The largest ticket a client keeps. A ticket travels back in the ClientHello, inside the
/// extensions block whose length is a u16 (RFC 8446 §4.1.2 `extensions<8..2^16-1>`, the
/// TLS 1.3 PSK identity and the TLS 1.2 session_ticket extension are u16-prefixed too), next to
/// our other extensions (a post-quantum key share alone is 1,216 bytes; an ALPN list may be
/// long). A ticket that cannot fit would break every later connection to that server, so it is
/// dropped at receipt. 16 KiB is far above real tickets (tens to a few thousand bytes, ours
/// with a client chain included) and leaves three quarters of the block for the rest. Our
/// server does not issue a TLS 1.3 ticket larger than this either.
pub const MAX_TICKET_LEN: usize = 16 * 1024;

const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = AeadAlgorithm::NONCE_LEN;

struct TicketKey {
    id: [u8; KEY_ID_LEN],
    key: Box<dyn AeadKey>,
    created: u64,
}

struct Keys {
    current: TicketKey,
    previous: Option<TicketKey>,
}

/// Ticket encryption keys: AES-256-GCM, rotated every `rotation` seconds; the previous key still
/// decrypts.
pub struct TicketKeys {
    provider: CryptoProvider,
    rotation: u64,
    keys: Mutex<Keys>,
    /// Fleet mode: keys derived from a shared secret per rotation period (see
    /// [`TicketKeys::from_shared_secret`]); `None` for random per-process keys.
    shared: Option<SecretBytes>,
}

impl fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketKeys")
            .field("rotation_secs", &self.rotation)
            .finish_non_exhaustive()
    }
}

fn new_key(provider: &CryptoProvider, now: u64) -> Result<TicketKey, Error> {
    let mut raw = SecretBytes::zeroed(32);
    provider.secure_random.fill(raw.as_mut())?;
    let mut id = [0u8; KEY_ID_LEN];
    provider.secure_random.fill(&mut id)?;
    Ok(TicketKey {
        id,
        key: provider
            .aead(AeadAlgorithm::Aes256Gcm)
            .key(raw.as_bytes())?,
        created: now,
    })
}

/// The key for rotation period `epoch` in fleet mode: HKDF-SHA256 over the shared secret, so
/// every server holding the secret derives the same key for the same period without talking to
/// the others. The key id is the period number (not secret).
fn derived_key(
    provider: &CryptoProvider,
    secret: &SecretBytes,
    epoch: u64,
    rotation: u64,
) -> Result<TicketKey, Error> {
    let hkdf = provider.hkdf(crate::crypto::HashAlgorithm::Sha256);
    let prk = hkdf.extract(b"clasp ticket keys v1", secret.as_bytes());
    let mut raw = SecretBytes::zeroed(32);
    hkdf.expand(
        prk.as_bytes(),
        &[b"aes-256-gcm key", &epoch.to_be_bytes()],
        raw.as_mut(),
    )?;
    // Periods are numbered from the Unix epoch; 2^32 periods of at least a second is >136 years.
    let id = u32::try_from(epoch).unwrap_or(u32::MAX).to_be_bytes();
    Ok(TicketKey {
        id,
        key: provider
            .aead(AeadAlgorithm::Aes256Gcm)
            .key(raw.as_bytes())?,
        created: epoch.saturating_mul(rotation),
    })
}

impl TicketKeys {
    /// Fresh random keys, rotated every `rotation_secs` seconds (0 means never).
    ///
    /// # Errors
    /// If the random source or the AEAD fails.
    pub fn new(provider: &CryptoProvider, now: u64, rotation_secs: u64) -> Result<Self, Error> {
        Ok(Self {
            provider: provider.clone(),
            rotation: rotation_secs,
            keys: Mutex::new(Keys {
                current: new_key(provider, now)?,
                previous: None,
            }),
            shared: None,
        })
    }

    /// Keys for a fleet of servers (DESIGN: "Scale beyond one machine"): every server given the
    /// same `secret` (at least 32 random bytes, e.g. read from a file the fleet shares) and the
    /// same `rotation_secs` derives the same key for each rotation period, so any server opens
    /// tickets any other issued, and rotation needs no coordination. Tickets from the current
    /// and the previous period decrypt.
    ///
    /// # Errors
    /// `ConfigError::BadTicketSecret` for a secret shorter than 32 bytes or a rotation of 0.
    pub fn from_shared_secret(
        provider: &CryptoProvider,
        secret: &[u8],
        now: u64,
        rotation_secs: u64,
    ) -> Result<Self, Error> {
        if secret.len() < 32 || rotation_secs == 0 {
            return Err(crate::error::ConfigError::BadTicketSecret.into());
        }
        // Condense any length to one hash-sized secret (kept, zeroized on drop).
        let hkdf = provider.hkdf(crate::crypto::HashAlgorithm::Sha256);
        let secret: SecretBytes = hkdf.extract(b"clasp ticket secret", secret).into();
        let epoch = now / rotation_secs;
        let keys = Keys {
            current: derived_key(provider, &secret, epoch, rotation_secs)?,
            previous: match epoch.checked_sub(1) {
                Some(e) => Some(derived_key(provider, &secret, e, rotation_secs)?),
                None => None,
            },
        };
        Ok(Self {
            provider: provider.clone(),
            rotation: rotation_secs,
            keys: Mutex::new(keys),
            shared: Some(secret),
        })
    }

    /// Rotates now: the current key becomes the previous one; the old previous key is gone, and
    /// tickets under it no longer decrypt. (In fleet mode the keys follow the clock instead:
    /// this moves to the period of `now`.)
    ///
    /// # Errors
    /// If the random source fails.
    pub fn rotate(&self, now: u64) -> Result<(), Error> {
        if let Some(secret) = &self.shared {
            let epoch = now / self.rotation.max(1);
            let current = derived_key(&self.provider, secret, epoch, self.rotation)?;
            let previous = match epoch.checked_sub(1) {
                Some(e) => Some(derived_key(&self.provider, secret, e, self.rotation)?),
                None => None,
            };
            let mut k = self.keys.lock().map_err(|_| poisoned())?;
            *k = Keys { current, previous };
            return Ok(());
        }
        let fresh = new_key(&self.provider, now)?;
        let mut k = self.keys.lock().map_err(|_| poisoned())?;
        let old = core::mem::replace(&mut k.current, fresh);
        k.previous = Some(old);
        Ok(())
    }

    fn maybe_rotate(&self, now: u64) -> Result<(), Error> {
        if self.rotation == 0 {
            return Ok(());
        }
        let due = {
            let k = self.keys.lock().map_err(|_| poisoned())?;
            now.saturating_sub(k.current.created) >= self.rotation
        };
        if due {
            self.rotate(now)?;
        }
        Ok(())
    }

    /// Seals `plaintext` into a ticket: key id ‖ nonce ‖ ciphertext ‖ tag.
    ///
    /// # Errors
    /// If the random source or the AEAD fails.
    pub fn encrypt(&self, plaintext: &[u8], now: u64) -> Result<Vec<u8>, Error> {
        self.maybe_rotate(now)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.provider.secure_random.fill(&mut nonce)?;
        let k = self.keys.lock().map_err(|_| poisoned())?;
        let mut out = Vec::with_capacity(KEY_ID_LEN + NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(&k.current.id);
        out.extend_from_slice(&nonce);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let tag = k
            .current
            .key
            .seal_in_place(&nonce, &k.current.id, &mut out[start..])?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a ticket sealed under the current or previous key; `None` for anything else
    /// (unknown key, tampering, garbage): the caller then does a full handshake.
    #[must_use]
    pub fn decrypt(&self, ticket: &[u8], now: u64) -> Option<Vec<u8>> {
        self.maybe_rotate(now).ok()?;
        let id = ticket.get(..KEY_ID_LEN)?;
        let nonce: [u8; NONCE_LEN] = ticket
            .get(KEY_ID_LEN..KEY_ID_LEN + NONCE_LEN)?
            .try_into()
            .ok()?;
        let body = ticket.get(KEY_ID_LEN + NONCE_LEN..)?;
        let k = self.keys.lock().ok()?;
        let key = [Some(&k.current), k.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|t| t.id == id)?;
        let mut buf = body.to_vec();
        let n = key.key.open_in_place(&nonce, id, &mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }
}

fn poisoned() -> Error {
    Error::Internal(crate::error::InternalError::Unreachable(
        "ticket key lock poisoned",
    ))
}

/// What a TLS 1.3 ticket carries (sealed, on the server side) and what the client keeps.
pub(crate) struct Tls13Session {
    pub(crate) suite: CipherSuite,
    pub(crate) psk: SecretBytes,
    pub(crate) age_add: u32,
    /// Seconds since the Unix epoch when the ticket was issued / received.
    pub(crate) issued: u64,
    pub(crate) lifetime: u32,
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) sni: Option<String>,
    pub(crate) max_early_data: u32,
    /// Seconds since the Unix epoch of the full handshake that authenticated the session,
    /// carried unchanged into tickets issued on resumed connections, so that resumption cannot
    /// extend a session forever (RFC 8446 §4.6.1). Server side only (the client sets `issued`).
    pub(crate) auth_time: u64,
    /// The peer's verified chain (leaf first, then the intermediates used). Server side: the
    /// client's, verified again under the current verifier before a resumption is accepted;
    /// empty when the client sent none. Client side: the server's, reported again by a resumed
    /// connection.
    pub(crate) peer_certs: Vec<CertificateDer<'static>>,
}

impl Tls13Session {
    /// Serialises the server-side ticket contents (version ‖ suite ‖ psk ‖ age_add ‖ issued ‖
    /// lifetime ‖ alpn ‖ sni ‖ max_early_data ‖ auth_time ‖ peer_certs).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ProtocolVersion::TLSv1_3.encode(&mut out);
        self.suite.encode(&mut out);
        put_prefixed(ListLength::U8, self.psk.as_bytes(), &mut out);
        self.age_add.encode(&mut out);
        out.extend_from_slice(&self.issued.to_be_bytes());
        self.lifetime.encode(&mut out);
        put_prefixed(
            ListLength::U8,
            self.alpn.as_deref().unwrap_or_default(),
            &mut out,
        );
        put_prefixed(
            ListLength::U16,
            self.sni.as_deref().unwrap_or_default().as_bytes(),
            &mut out,
        );
        self.max_early_data.encode(&mut out);
        out.extend_from_slice(&self.auth_time.to_be_bytes());
        encode_certs(&self.peer_certs, &mut out);
        out
    }

    /// Parses what [`Self::encode`] wrote.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        if ProtocolVersion::read(&mut r)? != ProtocolVersion::TLSv1_3 {
            return Err(InvalidMessage::IllegalValue("ticket version"));
        }
        let suite = CipherSuite::read(&mut r)?;
        let psk = r.length_prefixed(ListLength::U8, "psk")?.rest();
        // RFC 8446 §4.6.1: the resumption PSK is HKDF-Expand-Label output of the suite's hash
        // length. Anything else is refused, never cut to fit (SecretBytes would truncate).
        let hash_len = crate::suites::lookup(suite)
            .filter(|s| s.is_tls13())
            .ok_or(InvalidMessage::IllegalValue("ticket suite"))?
            .hash
            .output_len();
        if psk.len() != hash_len {
            return Err(InvalidMessage::IllegalValue("psk"));
        }
        let psk = SecretBytes::new(psk);
        let age_add = r.u32("age_add")?;
        let hi = u64::from(r.u32("issued")?);
        let lo = u64::from(r.u32("issued")?);
        let lifetime = r.u32("lifetime")?;
        let alpn = r.length_prefixed(ListLength::U8, "alpn")?.rest().to_vec();
        let sni = r.length_prefixed(ListLength::U16, "sni")?.rest();
        let sni =
            String::from_utf8(sni.to_vec()).map_err(|_| InvalidMessage::IllegalValue("sni"))?;
        let max_early_data = r.u32("max_early_data")?;
        let auth_hi = u64::from(r.u32("auth_time")?);
        let auth_lo = u64::from(r.u32("auth_time")?);
        let peer_certs = decode_certs(&mut r)?;
        r.expect_empty("ticket")?;
        Ok(Self {
            suite,
            psk,
            age_add,
            issued: (hi << 32) | lo,
            lifetime,
            alpn: (!alpn.is_empty()).then_some(alpn),
            sni: (!sni.is_empty()).then_some(sni),
            max_early_data,
            auth_time: (auth_hi << 32) | auth_lo,
            peer_certs,
        })
    }
}

/// A chain in a ticket: u16-prefixed list of u16-prefixed certificates (a chain too large for
/// that makes a ticket too large to send anyway; see [`MAX_TICKET_LEN`]).
fn encode_certs(certs: &[CertificateDer<'static>], out: &mut Vec<u8>) {
    let list = crate::codec::LengthPrefixedBuffer::new(ListLength::U16, out);
    for c in certs {
        put_prefixed(ListLength::U16, c.as_ref(), &mut *list.buf);
    }
}

fn decode_certs(r: &mut Reader<'_>) -> Result<Vec<CertificateDer<'static>>, InvalidMessage> {
    let mut list = r.length_prefixed(ListLength::U16, "peer_certs")?;
    let mut certs = Vec::new();
    while list.any_left() {
        let c = list
            .length_prefixed(ListLength::NonEmptyU16, "peer_cert")?
            .rest();
        certs.push(CertificateDer::from(c.to_vec()));
    }
    Ok(certs)
}

/// What made a client session: the server-certificate verifier and the client-certificate
/// resolver of the config, by identity. A session is offered only by a config with the same
/// ones (as rustls does): a session whose server passed a lax verifier (or none) must not let a
/// strict config sharing the cache skip its own check, and a session made where a client
/// certificate could be presented must not be resumed by a config that would not present it
/// (or would present another). A `Weak` keeps the allocation (not the value) alive, so its
/// address cannot be reused by another verifier while the session is cached.
#[derive(Clone)]
pub(crate) struct SessionBinding {
    verifier: Weak<dyn ServerCertVerifier>,
    client_cert: Option<Weak<dyn ResolvesClientCert>>,
}

impl SessionBinding {
    pub(crate) fn of(config: &crate::config::ClientConfig) -> Self {
        Self {
            verifier: Arc::downgrade(&config.verifier),
            client_cert: config.client_cert.as_ref().map(Arc::downgrade),
        }
    }

    /// Whether `config` is the one (verifier and resolver) that made the session.
    pub(crate) fn matches(&self, config: &crate::config::ClientConfig) -> bool {
        fn same<T: ?Sized>(w: &Weak<T>, a: &Arc<T>) -> bool {
            core::ptr::addr_eq(w.as_ptr(), Arc::as_ptr(a))
        }
        let resolver = match (&self.client_cert, &config.client_cert) {
            (None, None) => true,
            (Some(w), Some(a)) => same(w, a),
            _ => false,
        };
        resolver && same(&self.verifier, &config.verifier)
    }
}

/// A ticket as the client stores it.
pub(crate) struct ClientTicket {
    pub(crate) ticket: Vec<u8>,
    pub(crate) session: Tls13Session,
    /// The config that made it (see [`SessionBinding`]).
    pub(crate) binding: SessionBinding,
    /// The OCSP response stapled in the full handshake, reported again on resumption.
    pub(crate) ocsp_response: Option<Vec<u8>>,
}

/// The client's session cache: tickets by server name, bounded in both names and tickets per
/// name. Each ticket is used once (RFC 8446 §C.4: clients "SHOULD NOT reuse a ticket").
pub struct ClientSessionCache {
    max_names: usize,
    inner: Mutex<TicketsByName>,
    /// TLS 1.2 sessions (one per name, reusable: RFC 5246 §7.4.1.2 session IDs and RFC 5077
    /// tickets may resume several connections), bounded by `max_names` as well.
    tls12: Mutex<Tls12ByName>,
    /// Sessions handed to the cache so far (see [`Self::sessions_stored`]).
    stored: core::sync::atomic::AtomicU64,
}

impl fmt::Debug for ClientSessionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSessionCache")
            .field("max_names", &self.max_names)
            .finish_non_exhaustive()
    }
}

const TICKETS_PER_NAME: usize = 4;

/// Tickets per server name, and the names in insertion order (for eviction).
type TicketsByName = (HashMap<String, VecDeque<ClientTicket>>, VecDeque<String>);

/// Binders seen, and (time, binder) in arrival order (for expiry).
type StrikeRegister = (std::collections::HashSet<Vec<u8>>, VecDeque<(u64, Vec<u8>)>);

impl ClientSessionCache {
    /// A cache remembering tickets for at most `max_names` servers.
    #[must_use]
    pub fn new(max_names: usize) -> Self {
        Self {
            max_names,
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
            tls12: Mutex::new((HashMap::new(), VecDeque::new())),
            stored: core::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many sessions connections have stored in this cache since it was made: TLS 1.3
    /// tickets (one per NewSessionTicket kept) and TLS 1.2 sessions (a new session, or a
    /// resumed one stored again with a renewed ticket). It only grows, whatever was evicted or
    /// used since; compare it before and after a connection to learn whether the connection
    /// left a session to resume (a cache of capacity 0 stores nothing and stays at 0).
    #[must_use]
    pub fn sessions_stored(&self) -> u64 {
        self.stored.load(core::sync::atomic::Ordering::Relaxed)
    }

    fn count_stored(&self) {
        self.stored
            .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }

    /// Stores (or replaces) the TLS 1.2 session for `name`; `new` when it is a new session or a
    /// resumed one with a renewed ticket (counted in [`Self::sessions_stored`]), not a resumed
    /// session put back unchanged.
    pub(crate) fn insert_tls12(&self, name: &str, session: ClientTls12Session, new: bool) {
        if self.max_names == 0 {
            return;
        }
        if new {
            self.count_stored();
        }
        let Ok(mut g) = self.tls12.lock() else {
            return;
        };
        let (map, order) = &mut *g;
        if map.insert(name.to_owned(), session).is_none() {
            order.push_back(name.to_owned());
        }
        while map.len() > self.max_names {
            let Some(old) = order.pop_front() else { break };
            map.remove(&old);
        }
    }

    /// A copy of the unexpired TLS 1.2 session for `name` made by `config` (see
    /// [`SessionBinding`]; it stays stored: TLS 1.2 sessions may be resumed more than once).
    pub(crate) fn get_tls12(
        &self,
        name: &str,
        now: u64,
        config: &crate::config::ClientConfig,
    ) -> Option<ClientTls12Session> {
        let mut g = self.tls12.lock().ok()?;
        let (map, order) = &mut *g;
        let s = map.get(name)?;
        if s.session.is_fresh(now) {
            return s.binding.matches(config).then(|| s.duplicate());
        }
        map.remove(name);
        order.retain(|k| k != name);
        None
    }

    /// Forgets the TLS 1.2 session for `name` (the server declined it).
    pub(crate) fn remove_tls12(&self, name: &str) {
        if let Ok(mut g) = self.tls12.lock() {
            let (map, order) = &mut *g;
            map.remove(name);
            order.retain(|k| k != name);
        }
    }

    /// Forgets the TLS 1.2 session for `name` if it is still `session` (same session ID and
    /// ticket), not one another connection stored since.
    pub(crate) fn remove_tls12_if_same(&self, name: &str, session: &ClientTls12Session) {
        if let Ok(mut g) = self.tls12.lock() {
            let (map, order) = &mut *g;
            let same = map
                .get(name)
                .is_some_and(|s| s.session_id == session.session_id && s.ticket == session.ticket);
            if same {
                map.remove(name);
                order.retain(|k| k != name);
            }
        }
    }

    pub(crate) fn insert(&self, name: &str, ticket: ClientTicket) {
        if self.max_names == 0 {
            return;
        }
        self.count_stored();
        let Ok(mut g) = self.inner.lock() else {
            return;
        };
        let (map, order) = &mut *g;
        if !map.contains_key(name) {
            if order.len() >= self.max_names {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
            order.push_back(name.to_owned());
        }
        let q = map.entry(name.to_owned()).or_default();
        if q.len() >= TICKETS_PER_NAME {
            q.pop_front();
        }
        q.push_back(ticket);
    }

    /// Takes the newest unexpired ticket for `name` made by `config` (see [`SessionBinding`]);
    /// expired tickets are dropped, other configs' tickets stay.
    pub(crate) fn take(
        &self,
        name: &str,
        now: u64,
        config: &crate::config::ClientConfig,
    ) -> Option<ClientTicket> {
        let mut g = self.inner.lock().ok()?;
        let q = g.0.get_mut(name)?;
        q.retain(|t| now.saturating_sub(t.session.issued) < u64::from(t.session.lifetime));
        let i = q.iter().rposition(|t| t.binding.matches(config))?;
        q.remove(i)
    }
}

/// Anti-replay for 0-RTT (RFC 8446 §8): a freshness window plus a bounded strike register.
///
/// Why this and not single-use tickets: single-use tickets need a shared, consistent store
/// consulted on *every* resumption; the strike register is consulted only when early data is
/// offered, and only has to remember ClientHellos for `window` seconds, because anything older
/// fails the freshness check (RFC 8446 §8.2, §8.3). It is per process: servers in a fleet that
/// share ticket keys must each see every ClientHello, or keep early data off (the default).
/// When the register is full, early data is refused (never accepted unchecked).
pub struct AntiReplay {
    window_secs: u64,
    capacity: usize,
    seen: Mutex<StrikeRegister>,
}

impl fmt::Debug for AntiReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AntiReplay")
            .field("window_secs", &self.window_secs)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl AntiReplay {
    /// A register remembering up to `capacity` ClientHellos for `window_secs` seconds.
    #[must_use]
    pub fn new(window_secs: u64, capacity: usize) -> Self {
        Self {
            window_secs,
            capacity,
            seen: Mutex::new(Default::default()),
        }
    }

    /// Whether early data for a ClientHello identified by `binder` may be accepted:
    /// `client_age_ms` (obfuscated_ticket_age − ticket_age_add) must agree with the server's own
    /// view of the ticket's age within the window, and the binder must not have been seen.
    pub(crate) fn check(&self, binder: &[u8], client_age_ms: u32, issued: u64, now: u64) -> bool {
        let server_age_ms = now.saturating_sub(issued).saturating_mul(1000);
        let skew = server_age_ms.abs_diff(u64::from(client_age_ms));
        if skew > self.window_secs.saturating_mul(1000) {
            return false;
        }
        let Ok(mut g) = self.seen.lock() else {
            return false;
        };
        let (set, order) = &mut *g;
        while let Some((t, _)) = order.front() {
            if now.saturating_sub(*t) <= self.window_secs {
                break;
            }
            if let Some((_, k)) = order.pop_front() {
                set.remove(&k);
            }
        }
        if set.contains(binder) || set.len() >= self.capacity {
            return false;
        }
        set.insert(binder.to_vec());
        order.push_back((now, binder.to_vec()));
        true
    }
}

/// What resumes a TLS 1.2 session (RFC 5246 §7.3 session IDs, RFC 5077 §4 tickets): the
/// master secret and what must match on resumption. The server keeps it in its
/// [`ServerSessionCache`] and seals it into tickets; the client keeps it in its
/// [`ClientSessionCache`].
pub(crate) struct Tls12Session {
    pub(crate) suite: CipherSuite,
    pub(crate) master_secret: SecretBytes,
    /// RFC 7627 §5.3: the session's master secret is an extended one (we resume only those).
    pub(crate) ems: bool,
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) sni: Option<String>,
    /// Seconds since the Unix epoch when the full handshake completed.
    pub(crate) issued: u64,
    pub(crate) lifetime: u32,
}

impl Tls12Session {
    /// An explicit copy (the master secret is duplicated; see [`SecretBytes::duplicate`]).
    pub(crate) fn duplicate(&self) -> Self {
        Self {
            suite: self.suite,
            master_secret: self.master_secret.duplicate(),
            ems: self.ems,
            alpn: self.alpn.clone(),
            sni: self.sni.clone(),
            issued: self.issued,
            lifetime: self.lifetime,
        }
    }

    /// Whether the session may still be resumed at `now`.
    pub(crate) fn is_fresh(&self, now: u64) -> bool {
        now >= self.issued && now - self.issued < u64::from(self.lifetime)
    }

    /// Serialises the ticket contents (version ‖ suite ‖ master secret ‖ ems ‖ issued ‖
    /// lifetime ‖ alpn ‖ sni).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ProtocolVersion::TLSv1_2.encode(&mut out);
        self.suite.encode(&mut out);
        put_prefixed(ListLength::U8, self.master_secret.as_bytes(), &mut out);
        u8::from(self.ems).encode(&mut out);
        out.extend_from_slice(&self.issued.to_be_bytes());
        self.lifetime.encode(&mut out);
        put_prefixed(
            ListLength::U8,
            self.alpn.as_deref().unwrap_or_default(),
            &mut out,
        );
        put_prefixed(
            ListLength::U16,
            self.sni.as_deref().unwrap_or_default().as_bytes(),
            &mut out,
        );
        out
    }

    /// Parses what [`Self::encode`] wrote.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        if ProtocolVersion::read(&mut r)? != ProtocolVersion::TLSv1_2 {
            return Err(InvalidMessage::IllegalValue("ticket version"));
        }
        let suite = CipherSuite::read(&mut r)?;
        let master_secret = r.length_prefixed(ListLength::U8, "master_secret")?.rest();
        // RFC 5246 §8.1: "The master secret is always exactly 48 bytes in length."
        if master_secret.len() != 48 {
            return Err(InvalidMessage::IllegalValue("master_secret"));
        }
        let master_secret = SecretBytes::new(master_secret);
        let ems = match u8::read(&mut r)? {
            0 => false,
            1 => true,
            _ => return Err(InvalidMessage::IllegalValue("ems")),
        };
        let hi = u64::from(r.u32("issued")?);
        let lo = u64::from(r.u32("issued")?);
        let lifetime = r.u32("lifetime")?;
        let alpn = r.length_prefixed(ListLength::U8, "alpn")?.rest().to_vec();
        let sni = r.length_prefixed(ListLength::U16, "sni")?.rest();
        let sni =
            String::from_utf8(sni.to_vec()).map_err(|_| InvalidMessage::IllegalValue("sni"))?;
        r.expect_empty("ticket")?;
        Ok(Self {
            suite,
            master_secret,
            ems,
            issued: (hi << 32) | lo,
            lifetime,
            alpn: (!alpn.is_empty()).then_some(alpn),
            sni: (!sni.is_empty()).then_some(sni),
        })
    }
}

/// Fuzzing only (feature `fuzzing`): decodes `bytes` as the sealed plaintext of a TLS 1.3 and
/// of a TLS 1.2 ticket. Returns `false` if one decodes but does not re-encode to exactly
/// `bytes` (the `ticket` fuzz target asserts it never does).
#[cfg(feature = "internal")]
#[must_use]
pub(crate) fn fuzz_ticket_plaintext(bytes: &[u8]) -> bool {
    let tls13 = Tls13Session::decode(bytes).map_or(true, |t| t.encode() == bytes);
    let tls12 = Tls12Session::decode(bytes).map_or(true, |t| t.encode() == bytes);
    tls13 && tls12
}

/// Sessions by ID and the IDs in insertion order (for eviction).
type SessionsById = (HashMap<Vec<u8>, Tls12Session>, VecDeque<Vec<u8>>);

/// The server's TLS 1.2 session-ID cache (RFC 5246 §7.4.1.2): at most `capacity` sessions, the
/// oldest evicted first. Per process; a fleet shares resumption through tickets instead.
pub struct ServerSessionCache {
    capacity: usize,
    inner: Mutex<SessionsById>,
}

impl fmt::Debug for ServerSessionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSessionCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl ServerSessionCache {
    /// A cache holding at most `capacity` sessions (0 disables session IDs).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    /// The number of sessions held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |g| g.0.len())
    }

    /// Whether no session is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the cache stores anything at all.
    pub(crate) fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub(crate) fn insert(&self, id: Vec<u8>, session: Tls12Session) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut g) = self.inner.lock() else {
            return;
        };
        let (map, order) = &mut *g;
        if map.insert(id.clone(), session).is_none() {
            order.push_back(id);
        }
        while map.len() > self.capacity {
            let Some(old) = order.pop_front() else { break };
            map.remove(&old);
        }
    }

    /// A copy of the unexpired session stored under `id`; an expired one is dropped.
    pub(crate) fn get(&self, id: &[u8], now: u64) -> Option<Tls12Session> {
        let mut g = self.inner.lock().ok()?;
        let (map, order) = &mut *g;
        let s = map.get(id)?;
        if s.is_fresh(now) {
            return Some(s.duplicate());
        }
        map.remove(id);
        order.retain(|k| k.as_slice() != id);
        None
    }
}

/// A TLS 1.2 session as the client stores it: how to name it to the server (session ID
/// and/or ticket) and what the full handshake established.
pub(crate) struct ClientTls12Session {
    /// The server's session ID (RFC 5246 §7.4.1.3); may be empty when only a ticket was issued.
    pub(crate) session_id: Vec<u8>,
    /// The RFC 5077 ticket; empty when none was issued.
    pub(crate) ticket: Vec<u8>,
    pub(crate) session: Tls12Session,
    /// The server's verified chain from the full handshake, reported again on resumption.
    pub(crate) server_certs: Vec<rustls_pki_types::CertificateDer<'static>>,
    /// The config that made it (see [`SessionBinding`]).
    pub(crate) binding: SessionBinding,
    /// The OCSP response stapled in the full handshake, reported again on resumption.
    pub(crate) ocsp_response: Option<Vec<u8>>,
}

impl ClientTls12Session {
    pub(crate) fn duplicate(&self) -> Self {
        Self {
            session_id: self.session_id.clone(),
            ticket: self.ticket.clone(),
            session: self.session.duplicate(),
            server_certs: self.server_certs.clone(),
            binding: self.binding.clone(),
            ocsp_response: self.ocsp_response.clone(),
        }
    }
}

/// TLS 1.2 sessions by server name, and the names in insertion order (for eviction).
type Tls12ByName = (HashMap<String, ClientTls12Session>, VecDeque<String>);

/// Random u32 from the provider (ticket_age_add).
pub(crate) fn random_u32(rng: &dyn SecureRandom) -> Result<u32, Error> {
    let mut b = [0u8; 4];
    rng.fill(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::default_provider;

    #[test]
    fn tickets_round_trip_and_rotate_out() {
        let p = default_provider();
        let keys = TicketKeys::new(&p, 1000, 0).unwrap();
        let t1 = keys.encrypt(b"state one", 1000).unwrap();
        assert_eq!(keys.decrypt(&t1, 1000).as_deref(), Some(&b"state one"[..]));
        // One rotation: the previous key still opens it.
        keys.rotate(1001).unwrap();
        assert_eq!(keys.decrypt(&t1, 1001).as_deref(), Some(&b"state one"[..]));
        // Two rotations: gone.
        keys.rotate(1002).unwrap();
        assert_eq!(keys.decrypt(&t1, 1002), None);
        // Tampering is refused.
        let mut t2 = keys.encrypt(b"state two", 1002).unwrap();
        let last = t2.len() - 1;
        t2[last] ^= 1;
        assert_eq!(keys.decrypt(&t2, 1002), None);
        assert_eq!(keys.decrypt(b"short", 1002), None);
    }

    #[test]
    fn anti_replay_refuses_a_second_use_and_stale_ages() {
        let ar = AntiReplay::new(10, 2);
        assert!(ar.check(b"binder-1", 5_000, 100, 105));
        assert!(!ar.check(b"binder-1", 5_000, 100, 105), "replay accepted");
        // The client's idea of the age is 60 s off: not fresh.
        assert!(!ar.check(b"binder-2", 65_000, 100, 105));
        assert!(ar.check(b"binder-3", 5_000, 100, 105));
        // Full: refused rather than accepted unchecked.
        assert!(!ar.check(b"binder-4", 5_000, 100, 105));
        // After the window the old entries are gone.
        assert!(ar.check(b"binder-4", 5_000, 111, 116));
    }

    #[test]
    fn fleet_servers_share_keys_and_rotate_together() {
        let p = default_provider();
        let secret = [7u8; 32];
        let a = TicketKeys::from_shared_secret(&p, &secret, 1_000, 100).unwrap();
        let b = TicketKeys::from_shared_secret(&p, &secret, 1_050, 100).unwrap();
        // Issued by one server, opened by another.
        let t = a.encrypt(b"session", 1_000).unwrap();
        assert_eq!(b.decrypt(&t, 1_050).as_deref(), Some(&b"session"[..]));
        // Next period: still open (previous key); two periods on: gone, on both.
        assert!(b.decrypt(&t, 1_150).is_some());
        assert!(a.decrypt(&t, 1_250).is_none());
        assert!(b.decrypt(&t, 1_250).is_none());
        // Another secret opens nothing.
        let c = TicketKeys::from_shared_secret(&p, &[8u8; 32], 1_000, 100).unwrap();
        assert!(c.decrypt(&a.encrypt(b"x", 1_000).unwrap(), 1_000).is_none());
        // Too short a secret, or no rotation, is a configuration error.
        assert!(TicketKeys::from_shared_secret(&p, &[1u8; 16], 0, 100).is_err());
        assert!(TicketKeys::from_shared_secret(&p, &secret, 0, 0).is_err());
    }

    #[test]
    fn rotation_period_applies() {
        let p = default_provider();
        let keys = TicketKeys::new(&p, 0, 10).unwrap();
        let t = keys.encrypt(b"x", 0).unwrap();
        assert!(keys.decrypt(&t, 15).is_some()); // rotated once at 15
        assert!(keys.decrypt(&t, 30).is_none()); // rotated again at 30
    }

    #[test]
    fn session_encoding_round_trips() {
        let s = Tls13Session {
            suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            psk: SecretBytes::new(&[7; 32]),
            age_add: 0xdead_beef,
            issued: 1_700_000_000,
            lifetime: 7200,
            alpn: Some(b"h2".to_vec()),
            sni: Some("localhost".into()),
            max_early_data: 0,
            auth_time: 1_699_990_000,
            peer_certs: vec![
                CertificateDer::from(vec![0x30, 1, 2]),
                CertificateDer::from(vec![0x30, 3]),
            ],
        };
        let enc = s.encode();
        let d = Tls13Session::decode(&enc).unwrap();
        assert_eq!(d.suite, s.suite);
        assert_eq!(d.psk.as_bytes(), s.psk.as_bytes());
        assert_eq!(d.issued, s.issued);
        assert_eq!(d.auth_time, s.auth_time);
        assert_eq!(d.peer_certs, s.peer_certs);
        assert_eq!(d.alpn, s.alpn);
        assert_eq!(d.sni, s.sni);
        for n in 0..enc.len() {
            assert!(Tls13Session::decode(&enc[..n]).is_err());
        }
    }

    fn tls12_session(issued: u64) -> Tls12Session {
        Tls12Session {
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            master_secret: SecretBytes::new(&[9; 48]),
            ems: true,
            alpn: Some(b"h2".to_vec()),
            sni: Some("localhost".into()),
            issued,
            lifetime: 100,
        }
    }

    #[test]
    fn tls12_session_encoding_round_trips() {
        let s = tls12_session(1_700_000_000);
        let enc = s.encode();
        let d = Tls12Session::decode(&enc).unwrap();
        assert_eq!(d.suite, s.suite);
        assert_eq!(d.master_secret.as_bytes(), s.master_secret.as_bytes());
        assert!(d.ems);
        assert_eq!(d.issued, s.issued);
        assert_eq!(d.lifetime, s.lifetime);
        assert_eq!(d.alpn, s.alpn);
        assert_eq!(d.sni, s.sni);
        for n in 0..enc.len() {
            assert!(Tls12Session::decode(&enc[..n]).is_err());
        }
        // A TLS 1.3 ticket body is not a TLS 1.2 session.
        let mut wrong = enc.clone();
        wrong[1] = 4;
        assert!(Tls12Session::decode(&wrong).is_err());
    }

    /// Found by the `ticket` fuzz target (fuzz/regressions/ticket/psk-longer-than-any-hash.bin):
    /// a PSK or master secret of the wrong length was silently cut to 48 bytes instead of
    /// refused, so the decoded session was not what the ticket said. A ticket is sealed by us,
    /// so only a ticket key holder could make one; the decoder refuses it all the same.
    #[test]
    fn secret_of_the_wrong_length_is_refused_not_truncated() {
        let mut s = Tls13Session::decode(&{
            let t = Tls13Session {
                suite: CipherSuite::TLS_AES_128_GCM_SHA256,
                psk: SecretBytes::new(&[7; 32]),
                age_add: 1,
                issued: 2,
                lifetime: 3,
                alpn: None,
                sni: None,
                max_early_data: 0,
                auth_time: 2,
                peer_certs: Vec::new(),
            };
            t.encode()
        })
        .unwrap()
        .encode();
        // psk is at offset 4 (after version and suite), u8-prefixed: make it 49 bytes.
        assert_eq!(s[4], 32);
        s[4] = 49;
        s.splice(5..5, [7u8; 17]);
        assert_eq!(
            Tls13Session::decode(&s).err(),
            Some(InvalidMessage::IllegalValue("psk"))
        );
        s[4] = 0;
        s.drain(5..5 + 49);
        assert_eq!(
            Tls13Session::decode(&s).err(),
            Some(InvalidMessage::IllegalValue("psk"))
        );
        let mut t = tls12_session(1).encode();
        assert_eq!(t[4], 48);
        t[4] = 47;
        t.remove(5);
        assert_eq!(
            Tls12Session::decode(&t).err(),
            Some(InvalidMessage::IllegalValue("master_secret"))
        );
    }

    #[test]
    fn server_session_cache_is_bounded_and_expires() {
        let c = ServerSessionCache::new(2);
        c.insert(vec![1], tls12_session(0));
        c.insert(vec![2], tls12_session(0));
        c.insert(vec![3], tls12_session(0));
        assert_eq!(c.len(), 2);
        assert!(c.get(&[1], 10).is_none(), "oldest not evicted");
        assert!(c.get(&[2], 10).is_some());
        assert!(c.get(&[3], 10).is_some());
        // Lifetime 100: gone at 100.
        assert!(c.get(&[3], 100).is_none());
        assert_eq!(c.len(), 1);
        let off = ServerSessionCache::new(0);
        off.insert(vec![1], tls12_session(0));
        assert!(off.is_empty());
    }

    #[test]
    fn client_tls12_sessions_are_reusable_and_bounded() {
        let config = crate::config::ClientConfig::builder()
            .dangerous()
            .with_no_certificate_verification()
            .build()
            .unwrap();
        let other = crate::config::ClientConfig::builder()
            .dangerous()
            .with_no_certificate_verification()
            .build()
            .unwrap();
        let c = ClientSessionCache::new(1);
        let entry = |id: u8| ClientTls12Session {
            session_id: vec![id],
            ticket: Vec::new(),
            session: tls12_session(0),
            server_certs: Vec::new(),
            binding: SessionBinding::of(&config),
            ocsp_response: None,
        };
        c.insert_tls12("a", entry(1), true);
        assert_eq!(c.get_tls12("a", 1, &config).unwrap().session_id, [1]);
        assert_eq!(
            c.get_tls12("a", 1, &config).unwrap().session_id,
            [1],
            "not reusable"
        );
        assert!(c.get_tls12("a", 1, &other).is_none(), "another config's");
        c.insert_tls12("b", entry(2), true);
        assert!(c.get_tls12("a", 1, &config).is_none(), "bound not applied");
        assert!(
            c.get_tls12("b", 200, &config).is_none(),
            "expired session returned"
        );
        c.insert_tls12("b", entry(3), true);
        c.remove_tls12_if_same("b", &entry(4));
        assert!(c.get_tls12("b", 1, &config).is_some(), "removed another");
        c.remove_tls12_if_same("b", &entry(3));
        assert!(c.get_tls12("b", 1, &config).is_none());
        c.insert_tls12("b", entry(3), true);
        c.remove_tls12("b");
        assert!(c.get_tls12("b", 1, &config).is_none());
    }
}
