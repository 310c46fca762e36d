//! `clasp demo --secrets`: the values every key of the demo's own connections is derived from,
//! printed as they are derived, so a learner sees a new symmetric key made for each session.
//!
//! Where the values come from, and why this way:
//! - **Traffic secrets and the TLS 1.2 master secret** come from the library's ordinary key-log
//!   hook (`KeyLog`, the `SSLKEYLOGFILE` labels): nothing new in the library.
//! - **The (EC)DHE shared secret and the RSA pre-master secret** are not in any key log. The
//!   library takes its primitives from a [`CryptoProvider`] passed in through the config (its
//!   public provider API, for people who bring their own cryptography). The demo wraps the default
//!   provider: the server's key-exchange groups and the client's RSA encryption do exactly what
//!   they did, and also hand their result to a [`Capture`] owned by this one `clasp demo` run. No
//!   library hook was added, so no build of the library can leak these by accident; the wrapper
//!   exists only in this module and only with `--secrets`.
//! - **Everything else** (early, handshake and master secrets of TLS 1.3; the TLS 1.2 master
//!   secret again; the key block; record keys and IVs) is derived here from those values with the
//!   RFC formulas through the library's own public functions (`clasp::crypto::tls13::
//!   hkdf_expand_label`, the provider's HKDF-Extract, `clasp::crypto::tls12::prf`; the key
//!   schedule itself is crate-private), and the secrets the key log also gave are compared with the
//!   derived ones: a ✓ means the formula printed is the one the library used.
//!
//! Secret bytes live in `SharedSecret` (zeroized on drop, redacted in `Debug`); nothing here
//! derives `Debug` over them or makes them public fields. They are printed only by
//! [`Derivation::render`], for `clasp demo --secrets`.

use std::fmt;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use clasp::conn::Negotiated;
use clasp::crypto::tls12::prf;
use clasp::crypto::tls13::hkdf_expand_label;
use clasp::crypto::{
    aws_lc, ActiveKeyExchange, CompletedKeyExchange, CryptoError, CryptoProvider, HashAlgorithm,
    RsaEncrypter, SharedSecret, SupportedKxGroup,
};
use clasp::keylog::KeyLog;
use clasp::msgs::enums::{HandshakeType, NamedGroup, ProtocolVersion};
use clasp::msgs::handshake::HELLO_RETRY_REQUEST_RANDOM;
use clasp::suites::{KeyExchange, SuiteInfo};

use crate::i18n::Lang;
use crate::ladder::{Style, Transcript};

/// What `--secrets` explains, in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Warning,
    Title,
    ClientRandom,
    ServerRandom,
    SharedDh,
    SharedKem,
    PreMasterRsa,
    PreMasterDh,
    MasterSecret12,
    MasterFromTicket12,
    KeyBlock12,
    EarlyZero,
    EarlyFromPsk,
    HandshakeSecret,
    MasterSecret13,
    TrafficSecret,
    RecordKey,
    RecordIv,
    RecordIv12Gcm,
    Checked,
    Mismatch,
    Unavailable,
    NewKeys,
}

impl Text {
    /// The sentence in `lang`.
    #[allow(clippy::too_many_lines)]
    pub fn text(self, lang: Lang) -> &'static str {
        use Text::*;
        match (self, lang) {
            (Warning, Lang::En) => "warning: --secrets prints the secret keys of this demo's own connections on 127.0.0.1. Never print or share the keys of a real connection: whoever has them can read it",
            (Warning, Lang::Ru) => "внимание: --secrets печатает секретные ключи собственных соединений этой демонстрации на 127.0.0.1. Никогда не печатайте и не передавайте ключи настоящего соединения: кто их знает, тот его прочитает",
            (Title, Lang::En) => "Secrets of this connection, in the order they are derived (demo only)",
            (Title, Lang::Ru) => "Секреты этого соединения в порядке их получения (только для демонстрации)",
            (ClientRandom, Lang::En) => "public, fresh for every connection",
            (ClientRandom, Lang::Ru) => "открытое значение, новое для каждого соединения",
            (ServerRandom, Lang::En) => "public, fresh for every connection",
            (ServerRandom, Lang::Ru) => "открытое значение, новое для каждого соединения",
            (SharedDh, Lang::En) => "the Diffie-Hellman result: each side combined its own private value with the other's public one; it never crossed the wire",
            (SharedDh, Lang::Ru) => "результат Диффи — Хеллмана: каждая сторона соединила своё закрытое значение с открытым значением другой; по сети он не передавался",
            (SharedKem, Lang::En) => "the hybrid result: the ML-KEM shared secret and the X25519 result together; it never crossed the wire",
            (SharedKem, Lang::Ru) => "гибридный результат: общий секрет ML-KEM вместе с результатом X25519; по сети он не передавался",
            (PreMasterRsa, Lang::En) => "chosen at random by the client and sent encrypted to the server's RSA key (RFC 5246 §7.4.7.1): 2 bytes of version, 46 random bytes",
            (PreMasterRsa, Lang::Ru) => "выбран клиентом случайно и отправлен зашифрованным RSA-ключом сервера (RFC 5246 §7.4.7.1): 2 байта версии и 46 случайных байт",
            (PreMasterDh, Lang::En) => "the pre-master secret is the Diffie-Hellman result (RFC 5246 §8.1.2; RFC 8422 §5.10)",
            (PreMasterDh, Lang::Ru) => "предварительный секрет — это результат Диффи — Хеллмана (RFC 5246 §8.1.2; RFC 8422 §5.10)",
            (MasterSecret12, Lang::En) => "48 bytes that the whole session hangs on (RFC 5246 §8.1, RFC 7627 §4)",
            (MasterSecret12, Lang::Ru) => "48 байт, на которых держится весь сеанс (RFC 5246 §8.1, RFC 7627 §4)",
            (MasterFromTicket12, Lang::En) => "the master secret of the first session, recovered from the ticket: no new key exchange in a TLS 1.2 resumption",
            (MasterFromTicket12, Lang::Ru) => "главный секрет первого сеанса, восстановленный из билета: в возобновлении TLS 1.2 нового обмена ключами нет",
            (KeyBlock12, Lang::En) => "the key block, cut into the client's and the server's write keys and IVs (RFC 5246 §6.3); new randoms give new keys even from the same master secret",
            (KeyBlock12, Lang::Ru) => "блок ключей, нарезанный на ключи и IV записи клиента и сервера (RFC 5246 §6.3); новые случайные числа дают новые ключи даже из того же главного секрета",
            (EarlyZero, Lang::En) => "without a PSK the early secret is the same constant in every TLS 1.3 handshake with this hash",
            (EarlyZero, Lang::Ru) => "без PSK ранний секрет — одна и та же константа во всех рукопожатиях TLS 1.3 с этим хешем",
            (EarlyFromPsk, Lang::En) => "the early, handshake and master secrets start from the ticket's PSK, which stays inside the client's session cache: not shown; the traffic secrets below come from the key log",
            (EarlyFromPsk, Lang::Ru) => "ранний секрет, секрет рукопожатия и главный секрет начинаются с PSK из билета, который остаётся в кэше сеансов клиента: не показан; секреты трафика ниже взяты из журнала ключей",
            (HandshakeSecret, Lang::En) => "the key-exchange result mixed into the key schedule (RFC 8446 §7.1)",
            (HandshakeSecret, Lang::Ru) => "результат обмена ключами, подмешанный в расписание ключей (RFC 8446 §7.1)",
            (MasterSecret13, Lang::En) => "the last stage of the key schedule; the application traffic secrets come from it",
            (MasterSecret13, Lang::Ru) => "последняя ступень расписания ключей; из неё получаются секреты прикладного трафика",
            (TrafficSecret, Lang::En) => "one per direction and stage (RFC 8446 §7.1)",
            (TrafficSecret, Lang::Ru) => "свой для каждого направления и этапа (RFC 8446 §7.1)",
            (RecordKey, Lang::En) => "the AEAD key that encrypts records in this direction",
            (RecordKey, Lang::Ru) => "ключ AEAD, которым шифруются записи в этом направлении",
            (RecordIv, Lang::En) => "mixed with the record sequence number into each nonce",
            (RecordIv, Lang::Ru) => "смешивается с порядковым номером записи в каждый одноразовый номер",
            (RecordIv12Gcm, Lang::En) => "the implicit first 4 bytes of each nonce; the other 8 travel with each record (RFC 5288 §3)",
            (RecordIv12Gcm, Lang::Ru) => "неявные первые 4 байта каждого одноразового номера; остальные 8 передаются с каждой записью (RFC 5288 §3)",
            (Checked, Lang::En) => "✓ equals the value the library logged",
            (Checked, Lang::Ru) => "✓ совпадает со значением из журнала ключей библиотеки",
            (Mismatch, Lang::En) => "✗ differs from the value the library logged",
            (Mismatch, Lang::Ru) => "✗ не совпадает со значением из журнала ключей библиотеки",
            (Unavailable, Lang::En) => "not available for this connection",
            (Unavailable, Lang::Ru) => "для этого соединения недоступно",
            (NewKeys, Lang::En) => "These keys belong to this connection alone: the next one, even a resumed one, gets new randoms and new keys",
            (NewKeys, Lang::Ru) => "Эти ключи принадлежат только этому соединению: следующее, даже возобновлённое, получит новые случайные числа и новые ключи",
        }
    }
}

/// What the wrappers and the key log saw during one connection.
#[derive(Default)]
struct Captured {
    /// The server's key-exchange result and its group.
    shared: Option<(NamedGroup, SharedSecret)>,
    /// The client's RSA pre-master secret.
    pre_master: Option<SharedSecret>,
    /// Key-log lines: label and secret.
    logged: Vec<(String, SharedSecret)>,
}

/// The sink the demo's wrapped providers and key log write to. One per `clasp demo --secrets`
/// run; drained after each connection by [`Capture::derive`].
pub struct Capture {
    seen: Mutex<Captured>,
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Capture(<redacted>)")
    }
}

impl Capture {
    /// A new, empty sink.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            seen: Mutex::new(Captured::default()),
        })
    }

    fn with(&self, f: impl FnOnce(&mut Captured)) {
        if let Ok(mut c) = self.seen.lock() {
            f(&mut c);
        }
    }

    /// The default provider with the client's RSA encryption wrapped (to see the pre-master).
    ///
    /// The wrapper is leaked: the provider holds `&'static` primitives. This happens once per
    /// `clasp demo --secrets` process, a few bytes.
    pub fn client_provider(self: &Arc<Self>) -> CryptoProvider {
        let mut p = aws_lc::default_provider();
        let rsa: &'static CapturingRsa = Box::leak(Box::new(CapturingRsa {
            inner: p.rsa_encrypter,
            sink: Arc::clone(self),
        }));
        p.rsa_encrypter = rsa;
        p
    }

    /// The default provider with every key-exchange group wrapped (to see the shared secret).
    /// The server computes it for every key exchange: TLS 1.3 and TLS 1.2, ECDHE and DHE (the
    /// TLS 1.2 client computes DHE outside the provider's groups). Leaked as above.
    pub fn server_provider(self: &Arc<Self>) -> CryptoProvider {
        let mut p = aws_lc::default_provider();
        p.kx_groups = p
            .kx_groups
            .iter()
            .map(|g| {
                let w: &'static CapturingGroup = Box::leak(Box::new(CapturingGroup {
                    inner: *g,
                    sink: Arc::clone(self),
                }));
                w as &'static dyn SupportedKxGroup
            })
            .collect();
        p
    }

    /// A key log that records here and also writes to `tee` (`--keylog`/`SSLKEYLOGFILE`).
    pub fn key_log(self: &Arc<Self>, tee: Option<Arc<dyn KeyLog>>) -> Arc<dyn KeyLog> {
        Arc::new(DemoKeyLog {
            sink: Arc::clone(self),
            tee,
        })
    }

    /// Takes what the last connection left here and derives its keys.
    pub fn derive(&self, t: &Transcript, n: &Negotiated) -> Derivation {
        let seen = self
            .seen
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default();
        derive(&seen, t, n)
    }
}

struct DemoKeyLog {
    sink: Arc<Capture>,
    tee: Option<Arc<dyn KeyLog>>,
}

impl fmt::Debug for DemoKeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DemoKeyLog")
    }
}

impl KeyLog for DemoKeyLog {
    fn log(&self, label: &str, client_random: &[u8], value: &[u8]) {
        self.sink
            .with(|c| c.logged.push((label.to_string(), secret(value))));
        if let Some(t) = &self.tee {
            t.log(label, client_random, value);
        }
    }
}

struct CapturingRsa {
    inner: &'static dyn RsaEncrypter,
    sink: Arc<Capture>,
}

impl fmt::Debug for CapturingRsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CapturingRsa")
    }
}

impl RsaEncrypter for CapturingRsa {
    fn encrypt_pkcs1(&self, spki: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sink.with(|c| c.pre_master = Some(secret(plaintext)));
        self.inner.encrypt_pkcs1(spki, plaintext)
    }
}

struct CapturingGroup {
    inner: &'static dyn SupportedKxGroup,
    sink: Arc<Capture>,
}

impl fmt::Debug for CapturingGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CapturingGroup({})", self.inner.name())
    }
}

impl SupportedKxGroup for CapturingGroup {
    fn name(&self) -> NamedGroup {
        self.inner.name()
    }

    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        Ok(Box::new(CapturingKx {
            inner: self.inner.start()?,
            sink: Arc::clone(&self.sink),
        }))
    }

    fn start_and_complete(&self, peer_share: &[u8]) -> Result<CompletedKeyExchange, clasp::Error> {
        // The inner group's own one-step path (encapsulation for ML-KEM hybrids).
        let done = self.inner.start_and_complete(peer_share)?;
        self.sink.with(|c| {
            c.shared = Some((done.group, secret(done.secret.as_bytes())));
        });
        Ok(done)
    }
}

struct CapturingKx {
    inner: Box<dyn ActiveKeyExchange>,
    sink: Arc<Capture>,
}

impl ActiveKeyExchange for CapturingKx {
    fn group(&self) -> NamedGroup {
        self.inner.group()
    }
    fn pub_key(&self) -> &[u8] {
        self.inner.pub_key()
    }
    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, clasp::Error> {
        let group = self.inner.group();
        let shared = self.inner.complete(peer_share)?;
        self.sink
            .with(|c| c.shared = Some((group, secret(shared.as_bytes()))));
        Ok(shared)
    }
}

/// A copy of secret bytes that is wiped on drop (`SharedSecret`: zeroizing, redacted `Debug`,
/// no `Clone`, any length; the provider's `OkmBlock` holds at most 64 bytes, less than an
/// FFDHE result or a ChaCha20 key block).
fn secret(b: &[u8]) -> SharedSecret {
    SharedSecret::new(b.to_vec())
}

/// One printed value: its name with the formula that made it, the bytes, what it is, and
/// whether it was checked against the key log.
struct Line {
    name: String,
    value: Option<SharedSecret>,
    note: Option<Text>,
    check: Option<bool>,
}

/// What one connection's keys were derived from, ready to print.
pub struct Derivation {
    lines: Vec<Line>,
}

impl fmt::Debug for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Derivation(<{} lines redacted>)", self.lines.len())
    }
}

impl Derivation {
    fn push(&mut self, name: impl Into<String>, value: Option<SharedSecret>, note: Option<Text>) {
        self.lines.push(Line {
            name: name.into(),
            value,
            note,
            check: None,
        });
    }

    /// Pushes a derived secret and compares it with the key log's `label`, if logged.
    fn push_checked(
        &mut self,
        name: &str,
        value: SharedSecret,
        logged: Option<&SharedSecret>,
        note: Option<Text>,
    ) {
        let check = logged.map(|l| l.as_bytes() == value.as_bytes());
        self.lines.push(Line {
            name: name.into(),
            value: Some(value),
            note,
            check,
        });
    }

    /// The values as text, hex wrapped at 64 digits.
    pub fn render(&self, lang: Lang, st: Style) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{}", st.bold(&format!("{}:", Text::Title.text(lang))));
        let _ = writeln!(
            o,
            "  {}",
            st.yellow(&format!("⚠ {}", Text::Warning.text(lang)))
        );
        for l in &self.lines {
            let _ = writeln!(o, "  {}", st.bold(&l.name));
            match &l.value {
                Some(v) => {
                    let hex: String = v.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
                    for chunk in hex.as_bytes().chunks(64) {
                        let _ = writeln!(o, "      {}", st.cyan(&String::from_utf8_lossy(chunk)));
                    }
                }
                None => {
                    let _ = writeln!(o, "      {}", st.dim(Text::Unavailable.text(lang)));
                }
            }
            match l.check {
                Some(true) => {
                    let _ = writeln!(o, "      {}", st.green(Text::Checked.text(lang)));
                }
                Some(false) => {
                    let _ = writeln!(o, "      {}", st.yellow(Text::Mismatch.text(lang)));
                }
                None => {}
            }
            if let Some(n) = l.note {
                let _ = writeln!(o, "      {}", st.green(&format!("⇒ {}", n.text(lang))));
            }
        }
        let _ = writeln!(o, "  {}", st.bold(Text::NewKeys.text(lang)));
        o
    }
}

fn logged<'a>(seen: &'a Captured, label: &str) -> Option<&'a SharedSecret> {
    seen.logged
        .iter()
        .rev()
        .find(|(l, _)| l == label)
        .map(|(_, s)| s)
}

/// The transcript hash over `messages[..=last]` (RFC 8446 §4.4.1): after a HelloRetryRequest
/// the first ClientHello is replaced by `message_hash` (254, 00 00 Hash.length, Hash(CH1)).
fn transcript_hash(
    p: &CryptoProvider,
    alg: HashAlgorithm,
    msgs: &[(String, Vec<u8>)],
    last: usize,
) -> Vec<u8> {
    let h = p.hash(alg);
    let mut ctx = h.start();
    let hrr = msgs
        .get(1)
        .is_some_and(|(_, m)| m.get(6..38) == Some(&HELLO_RETRY_REQUEST_RANDOM[..]));
    for (i, (_, m)) in msgs.iter().enumerate().take(last + 1) {
        if i == 0 && hrr {
            let ch1 = h.hash(m);
            let len = u8::try_from(alg.output_len()).unwrap_or(u8::MAX);
            ctx.update(&[HandshakeType::MessageHash.0, 0, 0, len]);
            ctx.update(ch1.as_ref());
        } else {
            ctx.update(m);
        }
    }
    ctx.finish().as_ref().to_vec()
}

fn find(msgs: &[(String, Vec<u8>)], typ: HandshakeType, from: usize) -> Option<usize> {
    let name = typ.to_string();
    msgs.iter()
        .enumerate()
        .skip(from)
        .find(|(_, (k, m))| {
            *k == name
                && !(typ == HandshakeType::ServerHello
                    && m.get(6..38) == Some(&HELLO_RETRY_REQUEST_RANDOM[..]))
        })
        .map(|(i, _)| i)
}

fn expand(
    p: &CryptoProvider,
    alg: HashAlgorithm,
    secret: &[u8],
    label: &str,
    ctx: &[u8],
    len: usize,
) -> SharedSecret {
    let mut out = vec![0u8; len];
    // Lengths are the suite's own (≤ 48), always within HkdfLabel's fields.
    if hkdf_expand_label(p.hkdf(alg), secret, label.as_bytes(), ctx, &mut out).is_err() {
        out.clear();
    }
    SharedSecret::new(out)
}

fn derive(seen: &Captured, t: &Transcript, n: &Negotiated) -> Derivation {
    let mut d = Derivation { lines: Vec::new() };
    d.push(
        "client_random",
        Some(secret(&t.client_random)),
        Some(Text::ClientRandom),
    );
    d.push(
        "server_random",
        Some(secret(&t.server_random)),
        Some(Text::ServerRandom),
    );
    let Some(suite) = n.cipher_suite.and_then(clasp::suites::lookup) else {
        return d;
    };
    let p = aws_lc::default_provider();
    if n.version == Some(ProtocolVersion::TLSv1_2) {
        derive12(&mut d, &p, suite, seen, t, n.resumed);
    } else {
        derive13(&mut d, &p, suite, seen, t, n.resumed);
    }
    d
}

fn shared_line(d: &mut Derivation, seen: &Captured) {
    match &seen.shared {
        Some((g, s)) => {
            let kem = g.name().is_some_and(|n| n.contains("MLKEM"));
            d.push(
                format!("shared_secret ({g})"),
                Some(secret(s.as_bytes())),
                Some(if kem { Text::SharedKem } else { Text::SharedDh }),
            );
        }
        None => d.push("shared_secret", None, None),
    }
}

/// RFC 8446 §7.1 and §7.3.
fn derive13(
    d: &mut Derivation,
    p: &CryptoProvider,
    suite: &SuiteInfo,
    seen: &Captured,
    t: &Transcript,
    resumed: bool,
) {
    let alg = suite.hash;
    let hlen = alg.output_len();
    let msgs = &t.messages;
    shared_line(d, seen);
    if resumed {
        d.push(
            "early_secret = HKDF-Extract(0, PSK)",
            None,
            Some(Text::EarlyFromPsk),
        );
    } else if let Some((_, shared)) = &seen.shared {
        let zeros = vec![0u8; hlen];
        let empty_hash = p.hash(alg).hash(&[]);
        let early = p.hkdf(alg).extract(&zeros, &zeros);
        d.push(
            "early_secret = HKDF-Extract(0, 0)",
            Some(secret(early.as_bytes())),
            Some(Text::EarlyZero),
        );
        let derived = expand(
            p,
            alg,
            early.as_bytes(),
            "derived",
            empty_hash.as_ref(),
            hlen,
        );
        let hs = p.hkdf(alg).extract(derived.as_bytes(), shared.as_bytes());
        d.push(
            "handshake_secret = HKDF-Extract(Derive-Secret(early_secret, \"derived\", \"\"), shared_secret)",
            Some(secret(hs.as_bytes())),
            Some(Text::HandshakeSecret),
        );
        if let Some(sh) = find(msgs, HandshakeType::ServerHello, 0) {
            let th = transcript_hash(p, alg, msgs, sh);
            for (label, who, log) in [
                ("c hs traffic", "client", "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
                ("s hs traffic", "server", "SERVER_HANDSHAKE_TRAFFIC_SECRET"),
            ] {
                let s = expand(p, alg, hs.as_bytes(), label, &th, hlen);
                d.push_checked(
                    &format!("{who}_handshake_traffic_secret = Derive-Secret(handshake_secret, \"{label}\", ClientHello…ServerHello)"),
                    secret(s.as_bytes()),
                    logged(seen, log),
                    Some(Text::TrafficSecret),
                );
                keys13(d, p, suite, &s, who);
            }
        }
        let derived = expand(p, alg, hs.as_bytes(), "derived", empty_hash.as_ref(), hlen);
        let ms = p.hkdf(alg).extract(derived.as_bytes(), &zeros);
        d.push(
            "master_secret = HKDF-Extract(Derive-Secret(handshake_secret, \"derived\", \"\"), 0)",
            Some(secret(ms.as_bytes())),
            Some(Text::MasterSecret13),
        );
        let sfin = find(msgs, HandshakeType::ServerHello, 0)
            .and_then(|sh| find(msgs, HandshakeType::Finished, sh));
        if let Some(sfin) = sfin {
            let th = transcript_hash(p, alg, msgs, sfin);
            for (label, who, log) in [
                ("c ap traffic", "client", "CLIENT_TRAFFIC_SECRET_0"),
                ("s ap traffic", "server", "SERVER_TRAFFIC_SECRET_0"),
            ] {
                let s = expand(p, alg, ms.as_bytes(), label, &th, hlen);
                d.push_checked(
                    &format!("{who}_application_traffic_secret_0 = Derive-Secret(master_secret, \"{label}\", ClientHello…server Finished)"),
                    secret(s.as_bytes()),
                    logged(seen, log),
                    Some(Text::TrafficSecret),
                );
                keys13(d, p, suite, &s, who);
            }
        }
        return;
    }
    // Resumed (or no shared secret seen): the traffic secrets as the key log gave them.
    for (log, name, who) in [
        (
            "CLIENT_EARLY_TRAFFIC_SECRET",
            "client_early_traffic_secret",
            "client",
        ),
        (
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "client_handshake_traffic_secret",
            "client",
        ),
        (
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "server_handshake_traffic_secret",
            "server",
        ),
        (
            "CLIENT_TRAFFIC_SECRET_0",
            "client_application_traffic_secret_0",
            "client",
        ),
        (
            "SERVER_TRAFFIC_SECRET_0",
            "server_application_traffic_secret_0",
            "server",
        ),
    ] {
        if let Some(s) = logged(seen, log) {
            d.push(
                format!("{name} ({log})"),
                Some(secret(s.as_bytes())),
                Some(Text::TrafficSecret),
            );
            keys13(d, p, suite, s, who);
        }
    }
}

/// RFC 8446 §7.3: `[sender]_write_key` and `[sender]_write_iv` from a traffic secret.
fn keys13(
    d: &mut Derivation,
    p: &CryptoProvider,
    suite: &SuiteInfo,
    secret: &SharedSecret,
    who: &str,
) {
    let key = expand(
        p,
        suite.hash,
        secret.as_bytes(),
        "key",
        &[],
        suite.aead.key_len(),
    );
    let iv = expand(p, suite.hash, secret.as_bytes(), "iv", &[], 12);
    d.push(
        format!(
            "  {who}_write_key = HKDF-Expand-Label(traffic_secret, \"key\", \"\", {})",
            suite.aead.key_len()
        ),
        Some(key),
        Some(Text::RecordKey),
    );
    d.push(
        format!("  {who}_write_iv = HKDF-Expand-Label(traffic_secret, \"iv\", \"\", 12)"),
        Some(iv),
        Some(Text::RecordIv),
    );
}

/// RFC 5246 §8.1 and §6.3, RFC 7627 §4.
fn derive12(
    d: &mut Derivation,
    p: &CryptoProvider,
    suite: &SuiteInfo,
    seen: &Captured,
    t: &Transcript,
    resumed: bool,
) {
    let alg = suite.hash;
    let hmac = p.hmac(alg);
    let logged_ms = logged(seen, "CLIENT_RANDOM");
    let master = if resumed {
        d.push(
            "master_secret",
            logged_ms.map(|m| secret(m.as_bytes())),
            Some(Text::MasterFromTicket12),
        );
        logged_ms.map(|m| secret(m.as_bytes()))
    } else {
        let pms = if suite.kx == KeyExchange::Rsa {
            let pm = seen.pre_master.as_ref().map(|s| secret(s.as_bytes()));
            d.push(
                "pre_master_secret",
                pm.as_ref().map(|s| secret(s.as_bytes())),
                Some(Text::PreMasterRsa),
            );
            pm
        } else {
            shared_line(d, seen);
            // RFC 5246 §8.1.2: leading zero bytes of a DH result are stripped (not for ECDH).
            let pm = seen.shared.as_ref().map(|(_, s)| {
                let b = s.as_bytes();
                let skip = if suite.kx == KeyExchange::Dhe {
                    b.iter().take_while(|x| **x == 0).count()
                } else {
                    0
                };
                secret(b.get(skip..).unwrap_or_default())
            });
            d.push(
                "pre_master_secret = shared_secret",
                pm.as_ref().map(|s| secret(s.as_bytes())),
                Some(Text::PreMasterDh),
            );
            pm
        };
        let name = if t.extended_master_secret {
            "master_secret = PRF(pre_master_secret, \"extended master secret\", Hash(ClientHello…ClientKeyExchange))"
        } else {
            "master_secret = PRF(pre_master_secret, \"master secret\", client_random + server_random)"
        };
        let mut ms = vec![0u8; 48];
        let ok = match &pms {
            None => false,
            Some(pms) if t.extended_master_secret => {
                // RFC 7627 §3: the session hash covers the messages up to ClientKeyExchange.
                match find(&t.messages, HandshakeType::ClientKeyExchange, 0) {
                    Some(cke) => {
                        let session_hash = transcript_hash(p, alg, &t.messages, cke);
                        prf(
                            hmac,
                            pms.as_bytes(),
                            b"extended master secret",
                            &[&session_hash],
                            &mut ms,
                        )
                        .is_ok()
                    }
                    None => false,
                }
            }
            Some(pms) => prf(
                hmac,
                pms.as_bytes(),
                b"master secret",
                &[&t.client_random, &t.server_random],
                &mut ms,
            )
            .is_ok(),
        };
        let ms = SharedSecret::new(ms);
        if ok {
            d.push_checked(
                name,
                secret(ms.as_bytes()),
                logged_ms,
                Some(Text::MasterSecret12),
            );
            Some(ms)
        } else {
            d.push(name, None, None);
            None
        }
    };
    let Some(master) = master else {
        return;
    };
    let key_len = suite.aead.key_len();
    // RFC 5288 §3 (AES-GCM: 4-byte implicit nonce), RFC 7905 §2 (ChaCha20: 12 bytes).
    let iv_len = if suite.aead == clasp::crypto::AeadAlgorithm::ChaCha20Poly1305 {
        12
    } else {
        4
    };
    let mut block = vec![0u8; 2 * (key_len + iv_len)];
    let ok = prf(
        hmac,
        master.as_bytes(),
        b"key expansion",
        &[&t.server_random, &t.client_random],
        &mut block,
    )
    .is_ok();
    let block = SharedSecret::new(block);
    if !ok {
        return;
    }
    d.push(
        "key_block = PRF(master_secret, \"key expansion\", server_random + client_random)",
        Some(secret(block.as_bytes())),
        Some(Text::KeyBlock12),
    );
    let b = block.as_bytes();
    let iv_note = if iv_len == 4 {
        Text::RecordIv12Gcm
    } else {
        Text::RecordIv
    };
    let parts = [
        ("client_write_key", 0, key_len, Text::RecordKey),
        ("server_write_key", key_len, key_len, Text::RecordKey),
        ("client_write_IV", 2 * key_len, iv_len, iv_note),
        ("server_write_IV", 2 * key_len + iv_len, iv_len, iv_note),
    ];
    for (name, at, len, note) in parts {
        let v = b.get(at..at + len).map(secret);
        d.push(format!("  {name}"), v, Some(note));
    }
}
