//! The TLS 1.2 server handshake (RFC 5246 §7.4), after ClientHello.
//!
//! Full handshake (RFC 5246 §7.3 figure 1): ClientHello → ServerHello, Certificate,
//! [ServerKeyExchange], [CertificateRequest], ServerHelloDone → [ExpectCertificate] →
//! ExpectClientKeyExchange → [ExpectCertificateVerify] → ExpectCcs → ExpectFinished →
//! ([NewSessionTicket], ChangeCipherSpec, Finished) → ExpectTraffic.
//!
//! Abbreviated handshake (RFC 5246 §7.3 figure 2; RFC 5077 §3.1 with a ticket): ClientHello
//! naming a session we know → ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished →
//! ExpectResumedCcs → ExpectResumedFinished → ExpectTraffic.
//!
//! Owns the server's TLS 1.2 choices (suite by server preference, matching the certificate's
//! key kind and an available key exchange), the RSA key transport decryption, written so
//! that no branch, alert or early return depends on the decrypted padding, length or version
//! (RFC 5246 §7.4.7.1), and which sessions are issued and resumed: only sessions with an
//! extended master secret (RFC 7627 §5.3), under a 32-byte random session ID kept in the
//! config's bounded [`ServerSessionCache`](crate::session::ServerSessionCache) and, when the
//! client asks, in an RFC 5077 ticket sealed with the config's rotating ticket keys. Never:
//! renegotiation (refused); sessions for connections that offered client authentication (a
//! resumption would carry no client certificate).

use std::sync::Arc;

use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::codec::Codec;
use crate::config::ServerConfig;
use crate::conn::CommonState;
use crate::crypto::ffdhe::FfdheParams;
use crate::crypto::{ActiveKeyExchange, KeyKind, SigningKey, SupportedKxGroup};
use crate::error::{Error, InternalError, PeerIncompatible, PeerMisbehaved};
use crate::handshake::client::tls12::is_tls12_ec_group;
use crate::handshake::server::hello::choose_alpn;
use crate::handshake::tls13::log;
use crate::handshake::{unexpected, Exporter, PeerSet, State, DOWNGRADE_TLS12};
use crate::key_schedule::tls12::{ConnectionRandoms, FinishedSender, MasterSecret};
use crate::key_schedule::FinishedVerified;
use crate::key_schedule::TrafficKeys;
use crate::msgs::enums::{
    CipherSuite, ClientCertificateType, Compression, ContentType, EcPointFormat, ExtensionType,
    HandshakeType, ProtocolVersion,
};
use crate::msgs::extensions::{
    CertificateStatus, ClientExtension, DistinguishedName as WireDn, ProtocolName, ServerExtension,
};
use crate::msgs::handshake::{
    CertificateRequestTls12, CertificateTls12, ClientHello, Finished, HandshakeMessage,
    HandshakePayload, NewSessionTicketTls12, ServerHello,
};
use crate::msgs::tls12_kx::{
    signed_message, DigitallySigned, ServerDhParams, ServerEcdhParams, ServerKeyExchange,
};
use crate::record::{RecordDecrypter, RecordEncrypter};
use crate::session::{Tls12Session, TICKET_LIFETIME_SECS};
use crate::sign::{CertifiedKey, ClientHelloInfo};
use crate::suites::{Authentication, KeyExchange, SuiteInfo};
use crate::trace::Protection;
use crate::transcript::Transcript;
use crate::verify::{end_entity_key, ClientCertVerified, LeafKeyUse};

/// Length of the TLS 1.2 pre-master secret for RSA key transport (RFC 5246 §7.4.7.1).
const RSA_PRE_MASTER_LEN: usize = 48;

/// Everything the TLS 1.2 server carries between states.
struct Tls12Server {
    config: Arc<ServerConfig>,
    suite: &'static SuiteInfo,
    transcript: Transcript,
    randoms: ConnectionRandoms,
    ems: bool,
    /// ClientHello.client_version, checked inside an RSA pre-master secret.
    client_version: ProtocolVersion,
    certified: Arc<CertifiedKey>,
    /// The session ID in our ServerHello; empty when the session will not be cached.
    session_id: Vec<u8>,
    /// RFC 5077 §3.3: we promised a NewSessionTicket in ServerHello.
    send_ticket: bool,
    /// The client's server_name, kept in the session (RFC 6066 §3).
    sni: Option<String>,
}

/// Our half of the key exchange, waiting for ClientKeyExchange.
enum ServerKx {
    Ecdhe(Box<dyn ActiveKeyExchange>),
    Dhe(Box<dyn ActiveKeyExchange>),
    Rsa,
}

/// RFC 5246 §7.4.1.2–§7.4.5: choose, then send ServerHello … ServerHelloDone.
pub(crate) fn handle_client_hello(
    cx: &mut CommonState,
    config: Arc<ServerConfig>,
    ch: &ClientHello,
    msg: &HandshakeMessage,
) -> Result<Box<dyn State>, Error> {
    let provider = &config.provider;

    // 1. RFC 5746 §3.6: an initial ClientHello signals secure renegotiation with an empty
    // renegotiation_info or the SCSV; a non-empty one "MUST" abort. We require the signal.
    match ch.renegotiation_info() {
        Some(v) if !v.is_empty() => return Err(PeerMisbehaved::BadRenegotiationInfo.into()),
        Some(_) => {}
        None if ch
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV) => {}
        None => return Err(PeerMisbehaved::BadRenegotiationInfo.into()),
    }

    // 2. RFC 7627 §5.3: without extended_master_secret we abort when configured to require it.
    let ems = ch.has_extension(ExtensionType::ExtendedMasterSecret);
    cx.negotiated.extended_master_secret = ems;
    if !ems && config.require_ems {
        return Err(PeerMisbehaved::MissingExtendedMasterSecret.into());
    }

    // 2a. Resumption by ticket or session ID: the abbreviated handshake.
    let now = config.time.now().as_secs();
    let client_auth_offered = config
        .client_verifier
        .as_ref()
        .is_some_and(|v| v.offer_client_auth());
    // RFC 5077 §3.2: the client's session_ticket (empty or not) asks for a ticket.
    let send_ticket =
        config.tls12_tickets && ems && !client_auth_offered && ch.session_ticket().is_some();
    if let Some(session) = find_session(&config, ch, ems, now)? {
        return resume(cx, config, ch, msg, &session, send_ticket);
    }

    // 3. Certificate: the client's signature_algorithms (RFC 5246 §7.4.1.4.1; absent means
    // SHA-1, which we never sign with).
    let schemes = ch.signature_algorithms().unwrap_or_default();
    let info = ClientHelloInfo {
        server_name: ch.server_name(),
        signature_schemes: schemes,
        cipher_suites: &ch.cipher_suites,
    };
    let certified = config
        .cert_resolver
        .resolve(&info)
        .ok_or(PeerIncompatible::NoCommonSignatureScheme)?;
    let kind = certified.key.kind();

    // 4. Suite by server preference: the certificate's key kind, and a key exchange we can do
    // (ECDHE: a common EC group, RFC 8422 §5.1.1; DHE: a common RFC 7919 group, RFC 7919 §4;
    // RSA: only when enabled).
    let client_groups = ch.supported_groups().unwrap_or_default();
    // RFC 8422 §5.1.2: a client listing EC groups whose ec_point_formats lacks uncompressed
    // makes the server "abort the handshake and return an illegal_parameter alert".
    if let Some(ClientExtension::EcPointFormats(formats)) =
        ch.find_extension(ExtensionType::EcPointFormats)
    {
        if !formats.contains(&EcPointFormat::Uncompressed)
            && client_groups.iter().any(|g| is_tls12_ec_group(*g))
        {
            return Err(PeerMisbehaved::IllegalExtensionValue.into());
        }
    }
    // RFC 7919 §4: a client listing no FFDHE group (codepoints 256..=511) "is not compatible
    // with this document" (OpenSSL 3.0 in TLS 1.2, for one); the server "MAY select an FFDHE
    // cipher suite and offer an FFDHE group of its choice". We offer our first named group;
    // a client that does list FFDHE groups gets one of them or no DHE suite.
    let legacy_dhe_client = !client_groups.iter().any(|g| g.is_ffdhe());
    // Each peer list is searched through one sorted copy, and the group and signature
    // choices are made once, not once per suite of ours: linear in the ClientHello.
    let their_groups = PeerSet::new(client_groups);
    let common_group = |ffdhe: bool| -> Option<&'static dyn SupportedKxGroup> {
        config.groups.iter().copied().find(|g| {
            let n = g.name();
            (their_groups.contains(&n) || (ffdhe && legacy_dhe_client))
                && if ffdhe {
                    n.is_ffdhe()
                } else {
                    is_tls12_ec_group(n)
                }
        })
    };
    let can_sign = certified.key.choose_scheme(schemes).is_some();
    let ecdhe_group = common_group(false).filter(|_| can_sign);
    let dhe_group = common_group(true).filter(|_| can_sign);
    let offered_suites = PeerSet::new(&ch.cipher_suites);
    let chosen = config
        .suites
        .iter()
        .copied()
        .filter(|s| s.version == ProtocolVersion::TLSv1_2 && offered_suites.contains(&s.suite))
        .filter(|s| match s.auth {
            Authentication::Ecdsa => matches!(kind, KeyKind::Ecdsa | KeyKind::Ed25519),
            Authentication::Rsa => kind == KeyKind::Rsa,
            _ => false,
        })
        .find_map(|s| match s.kx {
            KeyExchange::Ecdhe => ecdhe_group.map(|g| (s, Some(g))),
            KeyExchange::Dhe => dhe_group.map(|g| (s, Some(g))),
            KeyExchange::Rsa => (config.allow_rsa_kx && certified.key.rsa_decrypter().is_some())
                .then_some((s, None)),
            _ => None,
        });
    let (suite, group) = chosen.ok_or(PeerIncompatible::NoCommonCipherSuite)?;
    cx.negotiated.cipher_suite = Some(suite.suite);

    // 5. ALPN (RFC 7301 §3.2).
    let alpn = choose_alpn(&config, ch)?;
    cx.negotiated.alpn_protocol.clone_from(&alpn);

    // 5a. OCSP stapling (RFC 6066 §8): only for a client that sent status_request.
    let staple = crate::ocsp::staple_for(config.ocsp.as_ref(), ch, certified.cert.first())?;

    // 6. ServerHello. RFC 8446 §4.1.3: a server that could have negotiated TLS 1.3 writes
    // DOWNGRD\x01 into the last 8 bytes of its random when it negotiates TLS 1.2.
    let mut random = [0u8; 32];
    provider.secure_random.fill(&mut random)?;
    if config.versions.contains(&ProtocolVersion::TLSv1_3) {
        random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    let mut extensions = vec![ServerExtension::RenegotiationInfo(Vec::new())];
    if ems {
        extensions.push(ServerExtension::ExtendedMasterSecret);
    }
    if suite.kx == KeyExchange::Ecdhe && ch.has_extension(ExtensionType::EcPointFormats) {
        // RFC 8422 §5.2.
        extensions.push(ServerExtension::EcPointFormats(vec![
            EcPointFormat::Uncompressed,
        ]));
    }
    if let Some(p) = &alpn {
        extensions.push(ServerExtension::Alpn(vec![ProtocolName(p.clone())]));
    }
    if ch.server_name().is_some() {
        extensions.push(ServerExtension::ServerNameAck);
    }
    if send_ticket {
        // RFC 5077 §3.2: an empty session_ticket promises a NewSessionTicket.
        extensions.push(ServerExtension::SessionTicketAck);
    }
    if staple.is_some() {
        // RFC 6066 §8: "a server ... MUST include an extension of type "status_request"
        // with empty "extension_data" in the extended server hello" before CertificateStatus.
        extensions.push(ServerExtension::StatusRequestAck);
    }
    // RFC 5246 §7.4.1.3: an empty session_id means the session will not be cached. Only
    // sessions with an extended master secret are worth caching (RFC 7627 §5.3). RFC 5077
    // §3.4: "If a server is planning on issuing a session ticket to a client that does not
    // present one, it SHOULD include an empty Session ID in the ServerHello": the ticket
    // resumes the session, so nothing is cached by ID.
    let mut session_id = Vec::new();
    if config.session_ids.enabled() && ems && !client_auth_offered && !send_ticket {
        session_id = vec![0u8; 32];
        provider.secure_random.fill(&mut session_id)?;
    }
    let sh = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        legacy_session_id_echo: session_id.clone(),
        cipher_suite: suite.suite,
        legacy_compression_method: Compression::Null,
        extensions,
        extensions_absent: false,
    }));
    let client_auth = config
        .client_verifier
        .as_ref()
        .filter(|v| v.offer_client_auth())
        .cloned();
    let mut transcript = Transcript::new();
    if client_auth.is_some() {
        // RFC 5246 §7.4.8: CertificateVerify signs the handshake messages themselves.
        transcript.keep_buffer()?;
    }
    transcript.start_hash(provider.hash(suite.hash))?;
    transcript.add(msg.encoded());
    transcript.add(sh.encoded());
    cx.send_handshake(&sh);
    let randoms = ConnectionRandoms {
        client: ch.random,
        server: random,
    };

    // 7. Certificate (§7.4.2).
    let cert = HandshakeMessage::new(HandshakePayload::CertificateTls12(CertificateTls12 {
        certificate_list: certified.cert.clone(),
    }));
    transcript.add(cert.encoded());
    cx.send_handshake(&cert);

    // 7a. CertificateStatus (RFC 6066 §8): "immediately after the Certificate message".
    if let Some(ocsp_response) = staple {
        let status =
            HandshakeMessage::new(HandshakePayload::CertificateStatus(CertificateStatus {
                ocsp_response,
            }));
        transcript.add(status.encoded());
        cx.send_handshake(&status);
        cx.negotiated.ocsp_stapled = true;
    }

    // 8. ServerKeyExchange (§7.4.3): params signed with client_random ‖ server_random.
    let kx = match (suite.kx, group) {
        (KeyExchange::Rsa, _) => ServerKx::Rsa,
        (kxa, Some(group)) => {
            let active = group.start()?;
            let params = if kxa == KeyExchange::Dhe {
                let p =
                    FfdheParams::for_group(group.name()).ok_or(PeerIncompatible::UnnamedDhGroup)?;
                ServerDhParams {
                    dh_p: p.prime(),
                    dh_g: p.generator().to_vec(),
                    dh_ys: active.pub_key().to_vec(),
                }
                .get_encoding()
            } else {
                ServerEcdhParams::new(group.name(), active.pub_key().to_vec()).get_encoding()
            };
            let signer = certified
                .key
                .choose_scheme(schemes)
                .ok_or(PeerIncompatible::NoCommonSignatureScheme)?;
            let signature = signer.sign(&signed_message(&ch.random, &random, &params))?;
            let mut body = params;
            DigitallySigned {
                scheme: signer.scheme(),
                signature,
            }
            .encode(&mut body);
            let ske =
                HandshakeMessage::new(HandshakePayload::ServerKeyExchange(ServerKeyExchange(body)));
            transcript.add(ske.encoded());
            cx.send_handshake(&ske);
            cx.negotiated.signature_scheme = Some(signer.scheme());
            cx.negotiated.group = Some(group.name());
            if kxa == KeyExchange::Dhe {
                ServerKx::Dhe(active)
            } else {
                ServerKx::Ecdhe(active)
            }
        }
        _ => return Err(InternalError::Unreachable("suite without key exchange").into()),
    };

    // 9. CertificateRequest (§7.4.4).
    if let Some(v) = &client_auth {
        let cr = HandshakeMessage::new(HandshakePayload::CertificateRequestTls12(
            CertificateRequestTls12 {
                certificate_types: vec![
                    ClientCertificateType::RsaSign,
                    ClientCertificateType::EcdsaSign,
                ],
                supported_signature_algorithms: v.supported_verify_schemes(),
                certificate_authorities: v
                    .root_hint_subjects()
                    .iter()
                    .map(|d| WireDn(d.as_bytes().to_vec()))
                    .collect(),
            },
        ));
        transcript.add(cr.encoded());
        cx.send_handshake(&cr);
    }

    // 10. ServerHelloDone (§7.4.5).
    let done = HandshakeMessage::new(HandshakePayload::ServerHelloDone);
    transcript.add(done.encoded());
    cx.send_handshake(&done);
    cx.flush_flight()?;

    let st = Tls12Server {
        config,
        suite,
        transcript,
        randoms,
        ems,
        client_version: ch.legacy_version,
        certified,
        session_id,
        send_ticket,
        sni: ch.server_name().map(str::to_owned),
    };
    Ok(match client_auth {
        Some(_) => Box::new(ExpectCertificate { st, kx }),
        None => Box::new(ExpectClientKeyExchange {
            st,
            kx,
            client_cert: None,
        }),
    })
}

/// The session a ClientHello names, if we can resume it: a ticket that opens (RFC 5077 §3.1)
/// or else a cached session ID (RFC 5246 §7.4.1.2), unexpired, younger than the config's
/// `max_session_age` since its full handshake, with an extended master secret, a suite we still
/// enable and the client offers, and the same server_name (RFC 6066 §3).
fn find_session(
    config: &ServerConfig,
    ch: &ClientHello,
    ems: bool,
    now: u64,
) -> Result<Option<Tls12Session>, Error> {
    // Resumption never weakens client authentication. In TLS 1.2 we keep it simple: a config
    // that asks for client certificates resumes nothing (the abbreviated handshake carries no
    // certificate, and we do not seal client chains into TLS 1.2 sessions to re-verify), and
    // only connections of configs that ask for none issue sessions (see `handle_client_hello`).
    // So a ticket from a config without client authentication that shares our ticket keys
    // cannot skip ours, and a session ID lives in one config's own cache.
    if config
        .client_verifier
        .as_ref()
        .is_some_and(|v| v.offer_client_auth())
    {
        return Ok(None);
    }
    // A ticket that does not open (rotated-out key, tampering) means a full handshake
    // (RFC 5077 §3.4).
    let from_ticket = ch
        .session_ticket()
        .filter(|t| !t.is_empty() && config.tls12_tickets)
        .and_then(|t| config.tickets.as_ref()?.decrypt(t, now))
        .and_then(|plain| Tls12Session::decode(&plain).ok());
    let session = match from_ticket {
        Some(s) => Some(s),
        None if !ch.legacy_session_id.is_empty() => {
            config.session_ids.get(&ch.legacy_session_id, now)
        }
        None => None,
    };
    // The session's own lifetime, and the cap counted from its full handshake (the issue time
    // is kept when a resumption renews the ticket; RFC 8446 §4.6.1 bounds TLS 1.3 PSKs the same
    // way).
    let Some(session) = session
        .filter(|s| s.is_fresh(now) && now.saturating_sub(s.issued) < config.max_session_age)
    else {
        return Ok(None);
    };
    // RFC 7627 §5.3: "If the original session did not use the "extended_master_secret"
    // extension but the new ClientHello contains the extension, then the server MUST NOT
    // perform the abbreviated handshake" (and we never resume such sessions at all) ...
    if !session.ems {
        return Ok(None);
    }
    // ... "If the original session used the "extended_master_secret" extension but the new
    // ClientHello does not contain it, the server MUST abort the abbreviated handshake."
    if !ems {
        return Err(PeerMisbehaved::MissingExtendedMasterSecret.into());
    }
    // RFC 5246 §7.4.1.2: the resumed session's suite must be in the client's list.
    let suite_ok = ch.cipher_suites.contains(&session.suite)
        && config
            .suites
            .iter()
            .any(|s| s.suite == session.suite && s.version == ProtocolVersion::TLSv1_2);
    let name_ok = session.sni.as_deref() == ch.server_name();
    Ok((suite_ok && name_ok).then_some(session))
}

/// RFC 5246 §7.3 figure 2: ServerHello echoing the session ID, [NewSessionTicket] (RFC 5077
/// §3.1: a renewed ticket), ChangeCipherSpec, Finished; then the client's ChangeCipherSpec and
/// Finished.
fn resume(
    cx: &mut CommonState,
    config: Arc<ServerConfig>,
    ch: &ClientHello,
    msg: &HandshakeMessage,
    session: &Tls12Session,
    send_ticket: bool,
) -> Result<Box<dyn State>, Error> {
    let provider = &config.provider;
    let suite = config
        .suites
        .iter()
        .copied()
        .find(|s| s.suite == session.suite)
        .ok_or(InternalError::Unreachable("resumed suite not enabled"))?;
    cx.negotiated.cipher_suite = Some(suite.suite);
    // RFC 7301 §3.1: ALPN is negotiated again on resumption.
    let alpn = choose_alpn(&config, ch)?;
    cx.negotiated.alpn_protocol.clone_from(&alpn);

    // 1. ServerHello, with the downgrade sentinel as in a full handshake (RFC 8446 §4.1.3).
    let mut random = [0u8; 32];
    provider.secure_random.fill(&mut random)?;
    if config.versions.contains(&ProtocolVersion::TLSv1_3) {
        random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    // RFC 6066 §3: "When resuming a session, the server MUST NOT include a server_name
    // extension in the server hello."
    let mut extensions = vec![
        ServerExtension::RenegotiationInfo(Vec::new()),
        ServerExtension::ExtendedMasterSecret,
    ];
    if send_ticket {
        extensions.push(ServerExtension::SessionTicketAck);
    }
    if let Some(p) = &alpn {
        extensions.push(ServerExtension::Alpn(vec![ProtocolName(p.clone())]));
    }
    let sh = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        // RFC 5246 §7.4.1.3: the same session ID signals resumption; RFC 5077 §3.4: with a
        // ticket, "it MUST respond with the same Session ID present in the ClientHello".
        legacy_session_id_echo: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        legacy_compression_method: Compression::Null,
        extensions,
        extensions_absent: false,
    }));
    let mut transcript = Transcript::new();
    transcript.start_hash(provider.hash(suite.hash))?;
    transcript.add(msg.encoded());
    transcript.add(sh.encoded());
    cx.send_handshake(&sh);

    // 2. Keys from the stored master secret and the new randoms (RFC 5246 §8.1, §6.3).
    let randoms = ConnectionRandoms {
        client: ch.random,
        server: random,
    };
    let master = MasterSecret::from_session(
        provider.hmac(suite.hash),
        session.master_secret.as_bytes(),
        randoms,
    )?;
    master.log_to(&mut log(cx));
    let block = master.key_block(suite.aead)?;

    // 3. [NewSessionTicket]: the same session (its original issue time), sealed again.
    if send_ticket {
        emit_new_session_ticket(cx, &config, session, &mut transcript)?;
    }

    // 4. ChangeCipherSpec, our write keys, Finished over ClientHello..[NewSessionTicket].
    cx.send_ccs()?;
    let enc = RecordEncrypter::tls12(
        provider.aead(suite.aead),
        block.server.key(),
        block.server.iv(),
    )?;
    cx.set_encrypter(enc, Protection::ApplicationKeys)?;
    let hash = transcript.current_hash()?;
    let verify_data = master.compute_finished(FinishedSender::Server, &hash)?;
    let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
        verify_data: verify_data.to_vec(),
    }));
    transcript.add(fin.encoded());
    cx.send_handshake(&fin);
    cx.flush_flight()?;
    cx.negotiated.resumed = true;
    Ok(Box::new(ExpectResumedCcs {
        config,
        suite,
        transcript,
        master,
        client_keys: block.client,
    }))
}

/// RFC 5077 §3.3: NewSessionTicket carrying `session` sealed under the current ticket key.
fn emit_new_session_ticket(
    cx: &mut CommonState,
    config: &ServerConfig,
    session: &Tls12Session,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    let now = config.time.now().as_secs();
    let ticket = match &config.tickets {
        Some(keys) => keys.encrypt(&session.encode(), now)?,
        // "If the server determines that it does not want to include a ticket after it has
        // included the SessionTicket extension in the ServerHello, then it sends a zero-length
        // ticket".
        None => Vec::new(),
    };
    #[cfg(test)]
    let ticket = {
        let mut ticket = ticket;
        if let Some(hook) = config.test_ticket_hook {
            hook(&mut ticket);
        }
        ticket
    };
    let end = session
        .issued
        .saturating_add(u64::from(session.lifetime).min(config.max_session_age));
    let remaining = end.saturating_sub(now);
    let nst = HandshakeMessage::new(HandshakePayload::NewSessionTicketTls12(
        NewSessionTicketTls12 {
            ticket_lifetime_hint: u32::try_from(remaining).unwrap_or(session.lifetime),
            ticket,
        },
    ));
    transcript.add(nst.encoded());
    cx.send_handshake(&nst);
    Ok(())
}

/// Abbreviated handshake: waiting for the client's ChangeCipherSpec (RFC 5246 §7.3 figure 2).
struct ExpectResumedCcs {
    config: Arc<ServerConfig>,
    suite: &'static SuiteInfo,
    transcript: Transcript,
    master: MasterSecret,
    client_keys: TrafficKeys,
}

impl State for ExpectResumedCcs {
    fn handle(
        self: Box<Self>,
        _cx: &mut CommonState,
        _msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        Err(Error::InappropriateMessage {
            expected: &[ContentType::ChangeCipherSpec],
            got: ContentType::Handshake,
        })
    }

    fn handle_ccs(self: Box<Self>, cx: &mut CommonState) -> Result<Box<dyn State>, Error> {
        let Self {
            config,
            suite,
            transcript,
            master,
            client_keys,
        } = *self;
        let aead = config.provider.aead(suite.aead);
        let dec = RecordDecrypter::tls12(aead, client_keys.key(), client_keys.iv())?;
        cx.set_decrypter(dec, Protection::ApplicationKeys)?;
        Ok(Box::new(ExpectResumedFinished { transcript, master }))
    }
}

/// Abbreviated handshake: the client's Finished, over everything including ours.
struct ExpectResumedFinished {
    transcript: Transcript,
    master: MasterSecret,
}

impl State for ExpectResumedFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Finished(fin) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::Finished]));
        };
        let Self { transcript, master } = *self;
        // RFC 5246 §7.4.9: "Recipients of Finished messages MUST verify that the contents are
        // correct" (constant time inside verify_finished).
        let hash = transcript.current_hash()?;
        let finished = master.verify_finished(FinishedSender::Client, &hash, &fin.verify_data)?;
        cx.exporter = Some(Exporter::Tls12(master));
        cx.start_traffic()?;
        Ok(Box::new(ExpectTraffic {
            _finished: finished,
        }))
    }
}

struct ExpectCertificate {
    st: Tls12Server,
    kx: ServerKx,
}

impl State for ExpectCertificate {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::CertificateTls12(cert) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::Certificate]));
        };
        let Self { mut st, kx } = *self;
        let verifier = st
            .config
            .client_verifier
            .clone()
            .ok_or(InternalError::Unreachable("client auth without verifier"))?;
        st.transcript.add(msg.encoded());
        let Some((ee, rest)) = cert.certificate_list.split_first() else {
            // RFC 5246 §7.4.6: an empty list; fatal only when we insist.
            if verifier.client_auth_mandatory() {
                return Err(PeerMisbehaved::NoCertificate.into());
            }
            st.transcript.release_buffer();
            return Ok(Box::new(ExpectClientKeyExchange {
                st,
                kx,
                client_cert: None,
            }));
        };
        let mut verified = verifier.verify_client_cert(ee, rest, st.config.time.now())?;
        // RFC 5246 §7.4.6 with RFC 5280 §4.2.1.3: the client's key signs CertificateVerify, so
        // a KeyUsage extension must include digitalSignature.
        end_entity_key(ee)?.check_usage(LeafKeyUse::Sign)?;
        // The verified path (leaf and the intermediates used), not extras the client appended.
        cx.negotiated.peer_certificates = verified
            .take_path()
            .unwrap_or_else(|| cert.certificate_list.clone());
        Ok(Box::new(ExpectClientKeyExchange {
            st,
            kx,
            client_cert: Some(verified),
        }))
    }
}

struct ExpectClientKeyExchange {
    st: Tls12Server,
    kx: ServerKx,
    client_cert: Option<ClientCertVerified>,
}

impl State for ExpectClientKeyExchange {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientKeyExchange(cke) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::ClientKeyExchange]));
        };
        let Self {
            mut st,
            kx,
            client_cert,
        } = *self;
        let provider = &st.config.provider;

        // 1. The pre-master secret (§7.4.7).
        let peer = cke.parse(st.suite.kx)?;
        let pre_master: Zeroizing<Vec<u8>> = match kx {
            ServerKx::Ecdhe(active) => Zeroizing::new(active.complete(peer)?.as_bytes().to_vec()),
            ServerKx::Dhe(active) => {
                let group = active.group();
                let mut z =
                    active.complete(&crate::crypto::ffdhe::tls12_public_value(group, peer)?)?;
                // RFC 5246 §8.1.2: leading zero bytes of Z are stripped.
                z.strip_leading_zeros();
                Zeroizing::new(z.as_bytes().to_vec())
            }
            ServerKx::Rsa => rsa_pre_master(
                st.certified.key.as_ref(),
                provider.secure_random,
                peer,
                st.client_version,
            )?,
        };
        st.transcript.add(msg.encoded());

        // 2. Master secret; RFC 7627 §4: session_hash through ClientKeyExchange.
        let hmac = provider.hmac(st.suite.hash);
        let master = if st.ems {
            let session_hash = st.transcript.current_hash()?;
            MasterSecret::from_pre_master_extended(hmac, &pre_master, &session_hash, st.randoms)?
        } else {
            MasterSecret::from_pre_master(hmac, &pre_master, st.randoms)?
        };
        drop(pre_master);
        master.log_to(&mut log(cx));

        Ok(match client_cert {
            Some(verified) => Box::new(ExpectCertificateVerify {
                st,
                master,
                _verified: verified,
            }),
            None => {
                st.transcript.release_buffer();
                Box::new(ExpectCcs { st, master })
            }
        })
    }
}

/// RFC 5246 §7.4.7.1, the Bleichenbacher countermeasure: "generate a string R of 48 random
/// bytes", decrypt, and use R whenever the padding, the length or the version is wrong —
/// selected in constant time, with no early return and no different error. A bad
/// ClientKeyExchange then fails only at the client's Finished, like any wrong key.
fn rsa_pre_master(
    key: &dyn SigningKey,
    rng: &dyn crate::crypto::SecureRandom,
    encrypted: &[u8],
    client_version: ProtocolVersion,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    // 1. R first, before anything depends on the ciphertext.
    let mut pre_master = Zeroizing::new(vec![0u8; RSA_PRE_MASTER_LEN]);
    rng.fill(&mut pre_master)?;
    let decrypter = key
        .rsa_decrypter()
        .ok_or(InternalError::Unreachable("RSA suite without RSA key"))?;
    // 2. Decrypt into a buffer large enough for any key (8192 bits) and the ciphertext.
    let mut out = Zeroizing::new(vec![0u8; encrypted.len().max(1024)]);
    let result = decrypter.decrypt_pkcs1(encrypted, &mut out);
    let decrypted_ok = subtle::Choice::from(u8::from(result.is_ok()));
    let len = result.unwrap_or(0) as u64;
    // 3. valid iff decryption succeeded, M is 48 bytes and M[0..2] == ClientHello.client_version.
    let [major, minor] = client_version.0.to_be_bytes();
    // `out` has at least 1024 bytes, so indices 0..48 exist.
    let (m0, m1) = (
        out.first().copied().unwrap_or(0),
        out.get(1).copied().unwrap_or(0),
    );
    let valid = decrypted_ok
        & len.ct_eq(&(RSA_PRE_MASTER_LEN as u64))
        & m0.ct_eq(&major)
        & m1.ct_eq(&minor);
    // 4. Select M over R byte by byte.
    for (r, m) in pre_master.iter_mut().zip(out.iter()) {
        r.conditional_assign(m, valid);
    }
    Ok(pre_master)
}

struct ExpectCertificateVerify {
    st: Tls12Server,
    master: MasterSecret,
    _verified: ClientCertVerified,
}

impl State for ExpectCertificateVerify {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::CertificateVerify(sig) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::CertificateVerify]));
        };
        let Self { mut st, master, .. } = *self;
        let verifier = st
            .config
            .client_verifier
            .clone()
            .ok_or(InternalError::Unreachable("client auth without verifier"))?;
        // RFC 5246 §7.4.8: a scheme from our CertificateRequest.
        if !verifier.supported_verify_schemes().contains(&sig.scheme) {
            return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
        }
        let ee = cx
            .negotiated
            .peer_certificates
            .first()
            .ok_or(PeerMisbehaved::NoCertificate)?;
        let message = st
            .transcript
            .buffer()
            .ok_or(InternalError::Unreachable("transcript buffer"))?;
        // RFC 8446 §4.4.3: the scheme must fit the key before the signature is checked.
        crate::verify::end_entity_key(ee)?.check_scheme(sig.scheme)?;
        let _valid = verifier.verify_tls12_signature(message, ee, sig.scheme, &sig.signature)?;
        cx.negotiated.client_signature_scheme = Some(sig.scheme);
        st.transcript.add(msg.encoded());
        st.transcript.release_buffer();
        Ok(Box::new(ExpectCcs { st, master }))
    }
}

/// Waiting for the client's ChangeCipherSpec (RFC 5246 §7.1).
struct ExpectCcs {
    st: Tls12Server,
    master: MasterSecret,
}

impl State for ExpectCcs {
    fn handle(
        self: Box<Self>,
        _cx: &mut CommonState,
        _msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        Err(Error::InappropriateMessage {
            expected: &[ContentType::ChangeCipherSpec],
            got: ContentType::Handshake,
        })
    }

    fn handle_ccs(self: Box<Self>, cx: &mut CommonState) -> Result<Box<dyn State>, Error> {
        let Self { st, master } = *self;
        let block = master.key_block(st.suite.aead)?;
        let aead = st.config.provider.aead(st.suite.aead);
        let dec = RecordDecrypter::tls12(aead, block.client.key(), block.client.iv())?;
        cx.set_decrypter(dec, Protection::ApplicationKeys)?;
        Ok(Box::new(ExpectFinished {
            st,
            master,
            server_keys: block.server,
        }))
    }
}

struct ExpectFinished {
    st: Tls12Server,
    master: MasterSecret,
    server_keys: TrafficKeys,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::Finished(fin) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::Finished]));
        };
        let Self {
            mut st,
            master,
            server_keys,
        } = *self;
        // 1. RFC 5246 §7.4.9: verify the client's Finished (constant time).
        let hash = st.transcript.current_hash()?;
        let finished = master.verify_finished(FinishedSender::Client, &hash, &fin.verify_data)?;
        st.transcript.add(msg.encoded());

        // 2. The session, now complete: cached under our session ID, and in a ticket when we
        // promised one (RFC 5077 §3.3: NewSessionTicket goes before our ChangeCipherSpec).
        if !st.session_id.is_empty() || st.send_ticket {
            let session = Tls12Session {
                suite: st.suite.suite,
                master_secret: master.master_secret_for_session(),
                ems: st.ems,
                alpn: cx.negotiated.alpn_protocol.clone(),
                sni: st.sni.take(),
                issued: st.config.time.now().as_secs(),
                lifetime: TICKET_LIFETIME_SECS,
            };
            if st.send_ticket {
                emit_new_session_ticket(cx, &st.config, &session, &mut st.transcript)?;
            }
            if !st.session_id.is_empty() {
                st.config
                    .session_ids
                    .insert(core::mem::take(&mut st.session_id), session);
            }
        }

        // 3. Our ChangeCipherSpec, then our write keys.
        cx.send_ccs()?;
        let aead = st.config.provider.aead(st.suite.aead);
        let enc = RecordEncrypter::tls12(aead, server_keys.key(), server_keys.iv())?;
        cx.set_encrypter(enc, Protection::ApplicationKeys)?;

        // 4. Our Finished over everything including the client's.
        let hash = st.transcript.current_hash()?;
        let verify_data = master.compute_finished(FinishedSender::Server, &hash)?;
        let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
            verify_data: verify_data.to_vec(),
        }));
        cx.send_handshake(&fin);
        cx.exporter = Some(Exporter::tls12(master, st.ems));
        cx.start_traffic()?;
        Ok(Box::new(ExpectTraffic {
            _finished: finished,
        }))
    }
}

/// The established TLS 1.2 connection (server side).
/// The established connection; exists only with the client's Finished verified.
struct ExpectTraffic {
    _finished: FinishedVerified,
}

impl State for ExpectTraffic {
    fn handle(
        self: Box<Self>,
        _cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        match msg.payload() {
            // RFC 5746 §4.4 / DESIGN: a ClientHello after the handshake is a renegotiation
            // attempt, refused (no_renegotiation).
            HandshakePayload::ClientHello(_) => Err(PeerMisbehaved::Renegotiation.into()),
            _ => Err(unexpected(&msg, &[])),
        }
    }
}
