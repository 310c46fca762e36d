//! Resumption never weakens authentication (issue 9 items 1, 2, 12 and 13), clasp ↔ clasp in
//! memory with a clock the tests move:
//! - a server that authenticates clients resumes only a ticket whose client chain verifies again
//!   under its current verifier at the current time, never an anonymous ticket when it requires
//!   a certificate (RFC 8446 §4.6.1: tickets from other configs sharing ticket keys included);
//! - a resumed connection reports the original verified chain on both sides;
//! - a session lives at most the configured time since the original authentication, however
//!   often it is resumed (RFC 8446 §4.6.1);
//! - the client resumes a cached session only under the verifier and client-certificate
//!   resolver that made it (TLS 1.3 tickets, TLS 1.2 tickets and session IDs);
//! - `peer_certificates()` is the verified path (leaf and the intermediates used), not every
//!   certificate the peer sent;
//! - a TLS 1.2 session whose abbreviated handshake failed is not offered again (RFC 5246 §7.2.2).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clasp::config::{ClientConfigBuilder, ServerConfigBuilder};
use clasp::crypto::aws_lc::default_provider;
use clasp::error::{CertificateError, Error, PeerMisbehaved};
use clasp::msgs::enums::{AlertDescription, ProtocolVersion};
use clasp::session::{ClientSessionCache, TicketKeys};
use clasp::time::TimeProvider;
use clasp::verify::{RootCertStore, ServerCertVerifier, WebPkiServerVerifier};
use clasp::{ClientAuth, ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};

mod common;
use common::{localhost, pump, take_tls, Failure};

/// 2025-01-01T00:00:00Z.
const T0: u64 = 1_735_689_600;
const HOUR: u64 = 3600;

// ---------------------------------------------------------------------------------------------
// A clock the tests move.

#[derive(Debug)]
struct Clock(AtomicU64);

impl Clock {
    fn at(secs: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(secs)))
    }
    fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }
}

impl TimeProvider for Clock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.0.load(Ordering::SeqCst)))
    }
}

// ---------------------------------------------------------------------------------------------
// A PKI with an intermediate CA: root → intermediate → leaves, plus an unrelated certificate a
// peer can append to its chain.

struct Issued {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Issued {
    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }
    fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivatePkcs8KeyDer::from(self.key.serialize_der()).into()
    }
}

fn ca(name: &str, issuer: Option<&Issued>) -> Issued {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = match issuer {
        None => p.self_signed(&key).unwrap(),
        Some(i) => p.signed_by(&key, &i.cert, &i.key).unwrap(),
    };
    Issued { cert, key }
}

fn leaf(issuer: &Issued, sans: &[&str], eku: ExtendedKeyUsagePurpose, until: (i32, u8)) -> Issued {
    let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
    let mut p = CertificateParams::new(sans).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "clasp resumption test leaf");
    p.is_ca = IsCa::ExplicitNoCa;
    p.extended_key_usages = vec![eku];
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(until.0, until.1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &issuer.cert, &issuer.key).unwrap();
    Issued { cert, key }
}

struct Pki {
    root: Issued,
    inter: Issued,
    server: Issued,
    client: Issued,
    /// A client leaf that expires at 2025-02-01T00:00:00Z.
    client_expiring: Issued,
    /// A self-signed CA nobody trusts, appended to chains as an extra certificate.
    stray: Issued,
}

/// 2025-02-01T00:00:00Z, when `client_expiring` stops being valid.
const EXPIRY: u64 = 1_738_368_000;

fn pki() -> Pki {
    let root = ca("resumption root", None);
    let inter = ca("resumption intermediate", Some(&root));
    let server = leaf(
        &inter,
        &["localhost"],
        ExtendedKeyUsagePurpose::ServerAuth,
        (2040, 1),
    );
    let client = leaf(
        &inter,
        &["client.localhost"],
        ExtendedKeyUsagePurpose::ClientAuth,
        (2040, 1),
    );
    let client_expiring = leaf(
        &inter,
        &["client.localhost"],
        ExtendedKeyUsagePurpose::ClientAuth,
        (2025, 2),
    );
    let stray = ca("stray", None);
    Pki {
        root,
        inter,
        server,
        client,
        client_expiring,
        stray,
    }
}

impl Pki {
    fn roots(&self) -> RootCertStore {
        let mut r = RootCertStore::empty();
        r.add(&self.root.der()).unwrap();
        r
    }
    /// A root store that trusts only the stray CA: our chains do not verify under it.
    fn other_roots(&self) -> RootCertStore {
        let mut r = RootCertStore::empty();
        r.add(&self.stray.der()).unwrap();
        r
    }
    /// What a peer sends: leaf, intermediate, and an unrelated extra certificate.
    fn sent_chain(&self, leaf: &Issued) -> Vec<CertificateDer<'static>> {
        vec![leaf.der(), self.inter.der(), self.stray.der()]
    }
    /// What verification uses of it: leaf and intermediate.
    fn path(&self, leaf: &Issued) -> Vec<CertificateDer<'static>> {
        vec![leaf.der(), self.inter.der()]
    }
    fn server_builder(
        &self,
        clock: &Arc<Clock>,
        versions: &[ProtocolVersion],
    ) -> ServerConfigBuilder {
        ServerConfig::builder()
            .with_single_cert(self.sent_chain(&self.server), self.server.key_der())
            .with_protocol_versions(versions)
            .with_time_provider(clock.clone())
    }
    fn client_builder(
        &self,
        clock: &Arc<Clock>,
        versions: &[ProtocolVersion],
    ) -> ClientConfigBuilder {
        ClientConfig::builder()
            .with_root_certificates(self.roots())
            .with_protocol_versions(versions)
            .with_time_provider(clock.clone())
    }
    fn with_client_cert(&self, b: ClientConfigBuilder, leaf: &Issued) -> ClientConfigBuilder {
        b.with_client_auth_cert(self.sent_chain(leaf), leaf.key_der())
    }
}

const TLS13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];
const TLS12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];

struct Outcome {
    client: ClientConnection,
    server: ServerConnection,
    result: Result<(), Failure>,
}

impl Outcome {
    fn resumed(&self) -> (bool, bool) {
        (
            self.client.negotiated().resumed,
            self.server.negotiated().resumed,
        )
    }
    fn ok(self) -> Self {
        if let Err(e) = &self.result {
            panic!("handshake failed: {e:?}");
        }
        assert!(!self.client.is_handshaking() && !self.server.is_handshaking());
        self
    }
    fn server_error(&self) -> Error {
        match &self.result {
            Err(Failure::Server(e)) => e.clone(),
            other => panic!("expected a server failure, got {other:?}"),
        }
    }
    fn client_error(&self) -> Error {
        match &self.result {
            Err(Failure::Client(e)) => e.clone(),
            other => panic!("expected a client failure, got {other:?}"),
        }
    }
    /// Delivers the server's queued alert to the client; the client's error.
    fn alert_to_client(&mut self) -> Error {
        let bytes = take_tls(&mut self.server);
        common::give_tls(&mut self.client, &bytes).unwrap_err()
    }
}

fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> Outcome {
    let mut c = ClientConnection::new(Arc::clone(client), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    let result = pump(&mut c, &mut s);
    Outcome {
        client: c,
        server: s,
        result,
    }
}

fn shared_keys(now: u64) -> Arc<TicketKeys> {
    Arc::new(TicketKeys::new(&default_provider(), now, 0).unwrap())
}

// ---------------------------------------------------------------------------------------------
// Item 1: the server's client-authentication policy survives resumption (TLS 1.3).

/// A ticket issued by a server without client authentication, presented to a server sharing
/// its ticket keys that requires a certificate, is not resumed: the client gets a full handshake
/// with a CertificateRequest and, having no certificate, `certificate_required` (RFC 8446
/// §4.4.2.4), never an anonymous resumed connection.
#[test]
fn tls13_anonymous_ticket_is_not_resumed_by_a_server_requiring_certificates() {
    let p = pki();
    let clock = Clock::at(T0);
    let keys = shared_keys(T0);
    let open = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .build()
            .unwrap(),
    );
    let strict = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let client = Arc::new(p.client_builder(&clock, TLS13).build().unwrap());
    let first = connect(&client, &open).ok();
    assert_eq!(first.resumed(), (false, false));

    let mut second = connect(&client, &strict);
    assert_eq!(
        second.server_error(),
        Error::PeerMisbehaved(PeerMisbehaved::NoCertificate)
    );
    assert!(!second.server.negotiated().resumed);
    assert_eq!(
        second.alert_to_client(),
        Error::AlertReceived(AlertDescription::CertificateRequired)
    );
}

/// The same with a client that has a certificate: a full handshake in which it authenticates,
/// and the server reports its verified chain.
#[test]
fn tls13_anonymous_ticket_at_required_server_means_full_handshake_with_certificate() {
    let p = pki();
    let clock = Clock::at(T0);
    let keys = shared_keys(T0);
    let open = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .build()
            .unwrap(),
    );
    let strict = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        p.with_client_cert(p.client_builder(&clock, TLS13), &p.client)
            .build()
            .unwrap(),
    );
    let first = connect(&client, &open).ok();
    assert_eq!(first.resumed(), (false, false));
    assert_eq!(first.server.peer_certificates(), &[][..]);

    let second = connect(&client, &strict).ok();
    assert_eq!(second.resumed(), (false, false));
    assert_eq!(second.server.peer_certificates(), &p.path(&p.client)[..]);
}

/// One server requiring certificates: the resumed connection reports the client's original
/// verified chain on the server and the server's on the client.
#[test]
fn tls13_resumption_reports_the_original_chains_on_both_sides() {
    let p = pki();
    let clock = Clock::at(T0);
    let server = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        p.with_client_cert(p.client_builder(&clock, TLS13), &p.client)
            .build()
            .unwrap(),
    );
    let first = connect(&client, &server).ok();
    assert_eq!(first.resumed(), (false, false));
    assert_eq!(first.server.peer_certificates(), &p.path(&p.client)[..]);
    assert_eq!(first.client.peer_certificates(), &p.path(&p.server)[..]);

    clock.set(T0 + 60);
    let second = connect(&client, &server).ok();
    assert_eq!(second.resumed(), (true, true));
    assert_eq!(second.server.peer_certificates(), &p.path(&p.client)[..]);
    assert_eq!(second.client.peer_certificates(), &p.path(&p.server)[..]);

    // A ticket issued on the resumed connection carries the chain on.
    clock.set(T0 + 120);
    let third = connect(&client, &server).ok();
    assert_eq!(third.resumed(), (true, true));
    assert_eq!(third.server.peer_certificates(), &p.path(&p.client)[..]);
    assert_eq!(third.client.peer_certificates(), &p.path(&p.server)[..]);
}

/// The client certificate expires between the connections: the ticket is not resumed, and the
/// full handshake refuses the expired certificate.
#[test]
fn tls13_expired_client_certificate_is_not_resumed() {
    let p = pki();
    let clock = Clock::at(EXPIRY - HOUR / 2);
    let server = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        p.with_client_cert(p.client_builder(&clock, TLS13), &p.client_expiring)
            .build()
            .unwrap(),
    );
    let first = connect(&client, &server).ok();
    assert_eq!(first.resumed(), (false, false));

    clock.set(EXPIRY + HOUR / 2);
    let second = connect(&client, &server);
    assert_eq!(
        second.server_error(),
        Error::InvalidCertificate(CertificateError::Expired)
    );
    assert!(!second.server.negotiated().resumed);
}

/// The client's CA is no longer trusted by the server (a config sharing the ticket keys with
/// another trust store): the ticket is not resumed, and the full handshake refuses the chain.
#[test]
fn tls13_client_ca_removed_is_not_resumed() {
    let p = pki();
    let clock = Clock::at(T0);
    let keys = shared_keys(T0);
    let before = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let after = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .with_client_auth(ClientAuth::Optional(p.other_roots()))
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        p.with_client_cert(p.client_builder(&clock, TLS13), &p.client)
            .build()
            .unwrap(),
    );
    connect(&client, &before).ok();
    let second = connect(&client, &after);
    assert_eq!(
        second.server_error(),
        Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    assert!(!second.server.negotiated().resumed);
}

/// A ticket made with a client certificate, presented to a server sharing the ticket keys
/// that does not authenticate clients, resumes without reporting a chain that server never
/// checked (as a full handshake there would).
#[test]
fn tls13_server_without_client_auth_reports_no_client_chain_on_resumption() {
    let p = pki();
    let clock = Clock::at(T0);
    let keys = shared_keys(T0);
    let strict = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let open = Arc::new(
        p.server_builder(&clock, TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        p.with_client_cert(p.client_builder(&clock, TLS13), &p.client)
            .build()
            .unwrap(),
    );
    connect(&client, &strict).ok();
    let second = connect(&client, &open).ok();
    assert_eq!(second.resumed(), (true, true));
    assert_eq!(second.server.peer_certificates(), &[][..]);
}

/// TLS 1.2 keeps refusing resumption when the server asks for client certificates: a ticket
/// from a config without client authentication is not resumed by one that requires it.
#[test]
fn tls12_anonymous_ticket_is_not_resumed_by_a_server_requiring_certificates() {
    let p = pki();
    let clock = Clock::at(T0);
    let keys = shared_keys(T0);
    let open = Arc::new(
        p.server_builder(&clock, TLS12)
            .with_ticket_keys(Arc::clone(&keys))
            .build()
            .unwrap(),
    );
    let strict = Arc::new(
        p.server_builder(&clock, TLS12)
            .with_ticket_keys(Arc::clone(&keys))
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let client = Arc::new(p.client_builder(&clock, TLS12).build().unwrap());
    connect(&client, &open).ok();
    let second = connect(&client, &strict);
    assert_eq!(
        second.server_error(),
        Error::PeerMisbehaved(PeerMisbehaved::NoCertificate)
    );
    assert!(!second.server.negotiated().resumed);
}

// ---------------------------------------------------------------------------------------------
// Item 2: no endless resumption.

/// Resuming every 90 minutes (within the 2-hour ticket lifetime, each time with a fresh
/// ticket) keeps a session only until 24 hours after the full handshake; then the server wants
/// a full handshake again.
#[test]
fn tls13_resumption_chain_is_capped_at_24_hours() {
    let p = pki();
    let clock = Clock::at(T0);
    let server = Arc::new(p.server_builder(&clock, TLS13).build().unwrap());
    let client = Arc::new(p.client_builder(&clock, TLS13).build().unwrap());
    assert_eq!(connect(&client, &server).ok().resumed(), (false, false));
    let mut t = T0;
    let mut resumed_until = T0;
    while t < T0 + 30 * HOUR {
        t += 90 * 60;
        clock.set(t);
        let o = connect(&client, &server).ok();
        if !o.resumed().1 {
            break;
        }
        resumed_until = t;
    }
    // 16 resumptions: the last at 24 h − 0 s is refused (the cap is "less than 24 hours").
    assert_eq!(resumed_until - T0, 15 * 90 * 60);
    assert_eq!(t - T0, 24 * HOUR);
    // And the full handshake starts a new 24 hours.
    clock.set(t + 90 * 60);
    assert_eq!(connect(&client, &server).ok().resumed(), (true, true));
}

/// A configured cap applies the same way to TLS 1.3 tickets, TLS 1.2 tickets and TLS 1.2
/// session IDs: a 1-hour session is resumed at 30 minutes, not at 61 (although the tickets
/// themselves live 2 hours).
fn configured_cap_applies(versions: &[ProtocolVersion], tls12_tickets: bool) {
    let p = pki();
    let clock = Clock::at(T0);
    let mut sb = p
        .server_builder(&clock, versions)
        .with_max_session_age(HOUR);
    if !tls12_tickets {
        sb = sb.without_tls12_tickets();
    }
    let server = Arc::new(sb.build().unwrap());
    let client = Arc::new(p.client_builder(&clock, versions).build().unwrap());
    assert_eq!(connect(&client, &server).ok().resumed(), (false, false));
    clock.set(T0 + HOUR / 2);
    assert_eq!(connect(&client, &server).ok().resumed(), (true, true));
    clock.set(T0 + HOUR + 60);
    assert!(
        !connect(&client, &server).ok().resumed().1,
        "resumed past the cap"
    );
}

#[test]
fn tls13_configured_session_age_cap_applies() {
    configured_cap_applies(TLS13, true);
}

#[test]
fn tls12_ticket_configured_session_age_cap_applies() {
    configured_cap_applies(TLS12, true);
}

#[test]
fn tls12_session_id_configured_session_age_cap_applies() {
    configured_cap_applies(TLS12, false);
}

// ---------------------------------------------------------------------------------------------
// Item 12: the client resumes only under the verifier and resolver that made the session.

/// A config that skips verification and a strict one share a session cache: the strict one
/// does not resume the unverified session; its full handshake refuses the server.
fn strict_and_lax_share_a_cache(versions: &[ProtocolVersion], tickets: bool) {
    let p = pki();
    let clock = Clock::at(T0);
    let mut sb = p.server_builder(&clock, versions);
    if !tickets {
        sb = sb.without_tls12_tickets();
    }
    let server = Arc::new(sb.build().unwrap());
    let cache = Arc::new(ClientSessionCache::new(8));
    let lax = Arc::new(
        p.client_builder(&clock, versions)
            .with_session_cache(Arc::clone(&cache))
            .dangerous()
            .with_no_certificate_verification()
            .build()
            .unwrap(),
    );
    let strict = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(p.other_roots())
            .with_protocol_versions(versions)
            .with_time_provider(clock.clone())
            .with_session_cache(Arc::clone(&cache))
            .build()
            .unwrap(),
    );
    connect(&lax, &server).ok();
    assert_eq!(connect(&lax, &server).ok().resumed(), (true, true));
    let o = connect(&strict, &server);
    assert_eq!(
        o.client_error(),
        Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    assert!(!o.client.negotiated().resumed);
}

#[test]
fn tls13_strict_client_does_not_resume_a_session_of_an_unverifying_one() {
    strict_and_lax_share_a_cache(TLS13, true);
}

#[test]
fn tls12_ticket_strict_client_does_not_resume_a_session_of_an_unverifying_one() {
    strict_and_lax_share_a_cache(TLS12, true);
}

#[test]
fn tls12_session_id_strict_client_does_not_resume_a_session_of_an_unverifying_one() {
    strict_and_lax_share_a_cache(TLS12, false);
}

/// A config with a client certificate and one without share a cache and a verifier: the one
/// without does not resume the other's session (it gets a full handshake of its own).
fn with_and_without_client_cert_share_a_cache(versions: &[ProtocolVersion]) {
    let p = pki();
    let clock = Clock::at(T0);
    // TLS 1.3: a server that accepts clients with or without a certificate, so resuming the
    // wrong session would succeed. TLS 1.2: clasp does not resume under client authentication
    // at all, so the server does not ask (the client's binding must hold regardless).
    let mut sb = p.server_builder(&clock, versions);
    if versions == TLS13 {
        sb = sb.with_client_auth(ClientAuth::Optional(p.roots()));
    }
    let server = Arc::new(sb.build().unwrap());
    let cache = Arc::new(ClientSessionCache::new(8));
    let verifier: Arc<dyn ServerCertVerifier> = Arc::new(WebPkiServerVerifier::new(
        Arc::new(p.roots()),
        &default_provider(),
    ));
    let base = || {
        p.client_builder(&clock, versions)
            .with_verifier(Arc::clone(&verifier))
            .with_session_cache(Arc::clone(&cache))
    };
    let with_cert = Arc::new(p.with_client_cert(base(), &p.client).build().unwrap());
    let without = Arc::new(base().build().unwrap());
    let first = connect(&with_cert, &server).ok();
    if versions == TLS13 {
        assert_eq!(first.server.peer_certificates(), &p.path(&p.client)[..]);
    }
    // The same verifier and resolver resume.
    assert_eq!(connect(&with_cert, &server).ok().resumed(), (true, true));
    let o = connect(&without, &server).ok();
    assert_eq!(o.resumed(), (false, false));
    assert_eq!(o.server.peer_certificates(), &[][..]);
    // ... and its own session is its own.
    assert_eq!(connect(&without, &server).ok().resumed(), (true, true));
}

#[test]
fn tls13_client_without_certificate_does_not_resume_a_session_made_with_one() {
    with_and_without_client_cert_share_a_cache(TLS13);
}

#[test]
fn tls12_client_without_certificate_does_not_resume_a_session_made_with_one() {
    with_and_without_client_cert_share_a_cache(TLS12);
}

// ---------------------------------------------------------------------------------------------
// Item 13: the verified path, and eviction after a failed abbreviated handshake.

/// Both peers send leaf, intermediate and an unrelated certificate; each reports only the path
/// that verified.
fn peer_certificates_are_the_verified_path(versions: &[ProtocolVersion]) {
    let p = pki();
    let clock = Clock::at(T0);
    let server = Arc::new(
        p.server_builder(&clock, versions)
            .with_client_auth(ClientAuth::Required(p.roots()))
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        p.with_client_cert(p.client_builder(&clock, versions), &p.client)
            .build()
            .unwrap(),
    );
    let o = connect(&client, &server).ok();
    assert_eq!(o.client.peer_certificates(), &p.path(&p.server)[..]);
    assert_eq!(o.server.peer_certificates(), &p.path(&p.client)[..]);
}

#[test]
fn tls13_peer_certificates_are_the_verified_path() {
    peer_certificates_are_the_verified_path(TLS13);
}

#[test]
fn tls12_peer_certificates_are_the_verified_path() {
    peer_certificates_are_the_verified_path(TLS12);
}

/// RFC 5246 §7.2.2: "any connection terminated with a fatal alert MUST NOT be resumed". The
/// server's Finished of an abbreviated handshake is corrupted on the way; the client fails, and
/// its next connection does not offer the session again.
#[test]
fn tls12_session_is_evicted_after_a_failed_abbreviated_handshake() {
    let p = pki();
    let clock = Clock::at(T0);
    let server = Arc::new(p.server_builder(&clock, TLS12).build().unwrap());
    let client = Arc::new(p.client_builder(&clock, TLS12).build().unwrap());
    connect(&client, &server).ok();

    let mut c = ClientConnection::new(Arc::clone(&client), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::clone(&server)).unwrap();
    let hello = take_tls(&mut c);
    common::give_tls(&mut s, &hello).unwrap();
    assert!(s.negotiated().resumed);
    // ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished: flip the last byte (the
    // Finished record's tag).
    let mut flight = take_tls(&mut s);
    *flight.last_mut().unwrap() ^= 1;
    assert_eq!(
        common::give_tls(&mut c, &flight).unwrap_err(),
        Error::DecryptError
    );

    let o = connect(&client, &server).ok();
    assert_eq!(o.resumed(), (false, false));
    // The full handshake made a new session, which resumes.
    assert_eq!(connect(&client, &server).ok().resumed(), (true, true));
}

/// DESIGN: "every decision cached across connections ... is re-checked against the current
/// configuration when reused", on the client too: before offering a session, the client
/// verifies the server chain it was made with again, at the current time. A server leaf that
/// expired since the full handshake is then not resumed: the client does a full handshake and
/// refuses the expired leaf (`Expired`). `without_resumption_reverification` restores the
/// BoringSSL/OpenSSL behaviour (the session resumes). TLS 1.3 tickets and TLS 1.2 sessions.
#[test]
fn client_verifies_the_servers_chain_again_before_resuming() {
    let pki = pki();
    let expiring = leaf(
        &pki.inter,
        &["localhost"],
        ExtendedKeyUsagePurpose::ServerAuth,
        (2025, 2),
    );
    for versions in [TLS13, TLS12] {
        for reverify in [true, false] {
            let clock = Clock::at(EXPIRY - HOUR / 2);
            let server = Arc::new(
                ServerConfig::builder()
                    .with_single_cert(vec![expiring.der(), pki.inter.der()], expiring.key_der())
                    .with_protocol_versions(versions)
                    .with_time_provider(clock.clone())
                    .with_ticket_keys(shared_keys(EXPIRY - HOUR / 2))
                    .build()
                    .unwrap(),
            );
            let mut b = pki.client_builder(&clock, versions);
            if !reverify {
                b = b.without_resumption_reverification();
            }
            let client = Arc::new(b.build().unwrap());
            let mut c = ClientConnection::new(Arc::clone(&client), localhost()).unwrap();
            let mut s = ServerConnection::new(Arc::clone(&server)).unwrap();
            pump(&mut c, &mut s).unwrap();
            clock.set(EXPIRY + HOUR / 2);
            let mut c = ClientConnection::new(client, localhost()).unwrap();
            let mut s = ServerConnection::new(server).unwrap();
            let r = pump(&mut c, &mut s);
            if reverify {
                match r {
                    Err(Failure::Client(e)) => assert_eq!(
                        e,
                        Error::InvalidCertificate(CertificateError::Expired),
                        "{versions:?}"
                    ),
                    other => panic!("{versions:?}: expected the client to refuse, got {other:?}"),
                }
            } else {
                assert!(matches!(r, Ok(())), "{versions:?}: {r:?}");
                assert!(c.negotiated().resumed, "{versions:?}");
            }
        }
    }
}
