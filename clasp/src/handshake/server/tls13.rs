//! The TLS 1.3 server handshake (RFC 8446 §4), from ClientHello to traffic.
//!
//! ClientHello → [HelloRetryRequest → ExpectClientHello2] → ServerHello, EncryptedExtensions,
//! [CertificateRequest], Certificate, CertificateVerify, Finished → [ExpectCertificate →
//! ExpectCertificateVerify] → ExpectFinished → ExpectTraffic.

use std::sync::Arc;

use crate::codec::Codec;
use crate::config::ServerConfig;
use crate::conn::CommonState;
use crate::crypto::{SharedSecret, Signer};
use crate::error::{Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use crate::handshake::server::hello::choose_alpn;
use crate::handshake::tls13::{decrypter, encrypter, log, TrafficSecrets};
use crate::handshake::{tls13_signed_message, unexpected, Exporter, PeerSet, State};
use crate::key_schedule::tls13::{
    ApplicationTrafficSecret, EarlySecret, HandshakeTrafficSecret, PskKind, ResumptionMasterSecret,
    Tls13Crypto,
};
use crate::key_schedule::{BinderVerified, FinishedVerified};
use crate::msgs::enums::{
    CertificateCompressionAlgorithm, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode, SignatureScheme,
};
use crate::msgs::extensions::{
    CertReqExtension, CertificateExtension, CertificateStatus, DistinguishedName as WireDn,
    EncryptedExtension, KeyShareEntry, NewSessionTicketExtension, ProtocolName, ServerExtension,
};
use crate::msgs::handshake::{
    CertificateEntry, CertificateRequestTls13, CertificateTls13, ClientHello, EncryptedExtensions,
    Finished, HandshakeMessage, HandshakePayload, NewSessionTicketTls13, ServerHello,
    HELLO_RETRY_REQUEST_RANDOM,
};
use crate::msgs::tls12_kx::DigitallySigned;
use crate::session::{random_u32, Tls13Session, MAX_TICKET_LEN, TICKET_LIFETIME_SECS};
use crate::sign::ClientHelloInfo;
use crate::suites;
use crate::suites::SuiteInfo;
use crate::trace::Protection;
use crate::transcript::Transcript;
use crate::verify::{end_entity_key, ClientCertVerified, HandshakeSignatureValid, LeafKeyUse};

/// Our record_size_limit: 2^14 plus the inner content type (RFC 8449 §4).
const RECORD_SIZE_LIMIT_TLS13: u16 = 16385;

/// How many bytes of 0-RTT records (headers included) a server that refused them skips.
///
/// RFC 8446 §4.2.10: the server skips "up to the configured max_early_data_size". That size
/// counts plaintext, and records we cannot open show only their wire size, so each
/// 2^14-byte record of it is allowed the TLS 1.3 record expansion (header and up to 256 bytes,
/// §5.2) on top. A server that configures no early data skips at most 2^14 bytes (as
/// BoringSSL does), enough for a client holding a ticket from a server that allowed it.
fn early_data_skip_budget(max_early_data: u32) -> usize {
    const RECORD: usize = 1 << 14;
    const EXPANSION: usize = crate::record::HEADER_LEN + 256;
    match usize::try_from(max_early_data) {
        Ok(0) => RECORD,
        Ok(max) => max.saturating_add(max.div_ceil(RECORD).saturating_mul(EXPANSION)),
        Err(_) => usize::MAX,
    }
}

/// What a HelloRetryRequest fixed for the second ClientHello.
pub(crate) struct Retry {
    suite: &'static SuiteInfo,
    group: NamedGroup,
    transcript: Transcript,
    session_id: Vec<u8>,
    /// The identity of the PSK we could have resumed at the first ClientHello (with this
    /// suite's hash): the second ClientHello must offer it again (RFC 8446 §4.1.2).
    psk_identity: Option<Vec<u8>>,
}

/// RFC 8446 §4.1.1: choose suite, certificate, signature scheme and group; answer with
/// ServerHello and the rest of the server's flight (or a HelloRetryRequest).
pub(crate) fn handle_client_hello(
    cx: &mut CommonState,
    config: Arc<ServerConfig>,
    ch: &ClientHello,
    msg: &HandshakeMessage,
    retry: Option<Retry>,
) -> Result<Box<dyn State>, Error> {
    let provider = &config.provider;
    // 1. Cipher suite: the server's preference among the client's offers (one sorted copy of
    // theirs, so ours × theirs is not a scan per suite of ours).
    let offered_suites = PeerSet::new(&ch.cipher_suites);
    // RFC 8446 §4.2.11: "client-provided, externally established PSKs SHOULD influence cipher
    // suite selection": prefer a suite with the hash of the first offered PSK we know.
    let psk_hash = external_psk_hint(&config, ch);
    let suite = match &retry {
        Some(r) => r.suite,
        None => config
            .suites
            .iter()
            .copied()
            .find(|s| s.is_tls13() && offered_suites.contains(&s.suite) && Some(s.hash) == psk_hash)
            .or_else(|| {
                config
                    .suites
                    .iter()
                    .copied()
                    .find(|s| s.is_tls13() && offered_suites.contains(&s.suite))
            })
            .ok_or(PeerIncompatible::NoCommonCipherSuite)?,
    };
    if !offered_suites.contains(&suite.suite) {
        return Err(PeerMisbehaved::IllegalClientHello.into());
    }

    // 2. An external PSK (RFC 8446 §2.2) or a resumption ticket with a valid binder replaces
    // certificate authentication (of the server; the client's chain from a ticket is verified
    // again inside).
    // A ticket of ours first (the client lists it first, RFC 8446 §4.2.10), else an external
    // PSK; each kind checked with its own binder label (§7.1).
    let resumed = try_resume(&config, ch, msg, retry.as_ref(), suite)?;
    let external = match resumed {
        Some(_) => None,
        None => try_external_psk(&config, ch, msg, retry.as_ref(), suite)?,
    };
    // No PSK accepted: a PSK-only server, or one told to refuse unknown identities, stops here
    // (RFC 8446 §6.2 "unknown_psk_identity"); otherwise the certificate handshake follows.
    if external.is_none() && resumed.is_none() {
        let refuse = config.external_psks.is_some()
            && (!config.has_certificate || (config.refuse_unknown_psk && ch.psk().is_some()));
        if refuse {
            return Err(PeerIncompatible::UnknownPskIdentity.into());
        }
    }
    let psk_mode = match (&external, &resumed) {
        (Some(e), _) => Some(e.mode),
        (None, Some(_)) => Some(PskKeyExchangeMode::PskDheKe),
        (None, None) => None,
    };
    let retry_was_none = retry.is_none();
    // When the session was authenticated: now, or for a resumption the original full
    // handshake (tickets issued on this connection keep it; RFC 8446 §4.6.1).
    let auth_time = resumed
        .as_ref()
        .map_or_else(|| config.time.now().as_secs(), |r| r.session.auth_time);

    // 3. Otherwise a certificate and signature scheme. RFC 8446 §4.2.3: signature_algorithms
    // is required for certificate authentication; RSA PKCS#1 and SHA-1 are not for TLS 1.3.
    let auth = match (&resumed, &external) {
        (Some(_), _) | (_, Some(_)) => None,
        (None, None) => {
            let offered = ch
                .signature_algorithms()
                .ok_or(PeerMisbehaved::MissingExtension)?;
            let tls13_schemes: Vec<SignatureScheme> = offered
                .iter()
                .copied()
                .filter(|s| is_tls13_scheme(*s))
                .collect();
            let info = ClientHelloInfo {
                server_name: ch.server_name(),
                signature_schemes: &tls13_schemes,
                cipher_suites: &ch.cipher_suites,
            };
            let certified = config
                .cert_resolver
                .resolve(&info)
                .ok_or(PeerIncompatible::NoCommonSignatureScheme)?;
            let signer = certified
                .key
                .choose_scheme(&tls13_schemes)
                .ok_or(PeerIncompatible::NoCommonSignatureScheme)?;
            Some((certified, signer))
        }
    };

    // 3. Group: a share the client sent for a group we support, in our preference order; else
    // a HelloRetryRequest for our most preferred group the client supports (§4.1.4). None in
    // psk_ke (RFC 8446 §4.2.9: "the server MUST NOT supply a "key_share" value").
    let kx = if psk_mode == Some(PskKeyExchangeMode::PskKe) {
        None
    } else {
        match choose_group(cx, &config, ch, retry.as_ref())? {
            GroupChoice::Completed(kx) => Some(kx),
            GroupChoice::Retry(group) => {
                // The PSK we could resume with this suite must be offered again (§4.1.2).
                let psk_identity = resumed.as_ref().and_then(|r| {
                    ch.psk()
                        .and_then(|p| p.identities.get(usize::from(r.index)))
                        .map(|i| i.identity.clone())
                });
                return emit_hello_retry_request(
                    cx,
                    config.clone(),
                    ch,
                    msg,
                    (suite, group),
                    psk_identity,
                );
            }
        }
    };
    cx.negotiated.cipher_suite = Some(suite.suite);
    if let Some((_, signer)) = &auth {
        cx.negotiated.signature_scheme = Some(signer.scheme());
    }
    cx.negotiated.resumed = resumed.is_some();
    cx.negotiated.psk_key_exchange_mode = psk_mode;
    if let Some(e) = &external {
        cx.negotiated.external_psk_identity = Some(e.identity.clone());
    }
    if let Some(r) = &resumed {
        // The client's chain from the ticket, as verified again just now (empty when this
        // config does not authenticate clients or the client sent none).
        cx.negotiated.peer_certificates.clone_from(&r.client_chain);
    }

    // 4. ALPN (RFC 7301 §3.2): our preference among theirs; none in common is fatal.
    let alpn = choose_alpn(&config, ch)?;
    cx.negotiated.alpn_protocol.clone_from(&alpn);

    // 5. ServerHello.
    let mut random = [0u8; 32];
    provider.secure_random.fill(&mut random)?;
    let mut extensions = Vec::with_capacity(3);
    if let Some(kx) = &kx {
        extensions.push(ServerExtension::KeyShare(KeyShareEntry {
            group: kx.group,
            key_exchange: kx.pub_key.clone(),
        }));
    }
    // RFC 8446 §4.2.11: the index of the PSK we accepted.
    if let Some(index) = external
        .as_ref()
        .map(|e| e.index)
        .or(resumed.as_ref().map(|r| r.index))
    {
        extensions.push(ServerExtension::PreSharedKey(index));
    }
    extensions.push(ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3));
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        legacy_session_id_echo: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        legacy_compression_method: crate::msgs::enums::Compression::Null,
        extensions,
        extensions_absent: false,
    };
    let sh = HandshakeMessage::new(HandshakePayload::ServerHello(sh));
    let (mut transcript, session_id) = match retry {
        Some(r) => (r.transcript, r.session_id),
        None => {
            let mut t = Transcript::new();
            t.start_hash(provider.hash(suite.hash))?;
            (t, ch.legacy_session_id.clone())
        }
    };
    transcript.add(msg.encoded());
    let ch_hash = transcript.current_hash()?;
    transcript.add(sh.encoded());
    cx.send_handshake(&sh);
    cx.flush_flight()?;
    // RFC 8446 §D.4: "the server sends a dummy change_cipher_spec record immediately after its
    // first handshake message" when the client sent a non-empty session ID — unless that
    // first message was a HelloRetryRequest, which already carried it.
    if !session_id.is_empty() && !cx.negotiated.hello_retry {
        cx.send_ccs()?;
    }

    // 6. Handshake secrets.
    // 0-RTT (RFC 8446 §4.2.10): only for the first PSK, on a first ClientHello, with the
    // ticket's own suite and ALPN, within the ticket's limit, and never a replay.
    let offered_early = ch.has_extension(ExtensionType::EarlyData);
    let accept_early = offered_early
        && resumed.as_ref().is_some_and(|r| {
            r.index == 0
                && retry_was_none
                && r.session.max_early_data > 0
                && config.max_early_data > 0
                && r.session.suite == suite.suite
                && r.session.alpn == alpn
                && config.anti_replay.check(
                    &r.binder,
                    r.client_age_ms,
                    r.session.issued,
                    config.time.now().as_secs(),
                )
        });
    let early_keys = match (&resumed, accept_early) {
        (Some(r), true) => {
            let ets = r.early.client_early_traffic_secret(&ch_hash)?;
            ets.log_to(&mut log(cx));
            Some(ets.traffic_keys(suite.aead)?)
        }
        _ => None,
    };
    let early = match (resumed, external) {
        (Some(r), _) => r.early,
        (None, Some(e)) => e.early,
        (None, None) => EarlySecret::new(Tls13Crypto::new(provider, suite.hash), None),
    };
    // psk_ke: RFC 8446 §7.1, the 0-value stands in for the missing (EC)DHE secret.
    let handshake_secret = match &kx {
        Some(kx) => early.into_handshake(&kx.secret)?,
        None => early.into_handshake(&SharedSecret::new(vec![0u8; suite.hash.output_len()]))?,
    };
    let hash = transcript.current_hash()?;
    let client_hs = handshake_secret.client_handshake_traffic_secret(&hash)?;
    let server_hs = handshake_secret.server_handshake_traffic_secret(&hash)?;
    client_hs.log_to(&mut log(cx));
    server_hs.log_to(&mut log(cx));
    let keys = server_hs.traffic_keys(suite.aead)?;
    cx.set_encrypter(
        encrypter(suite, &keys, provider)?,
        Protection::HandshakeKeys,
    )?;
    match &early_keys {
        Some(keys) => {
            let dec = decrypter(suite, keys, provider)?;
            cx.set_decrypter(dec, Protection::EarlyData)?;
            cx.early_data_budget = Some(config.max_early_data as usize);
        }
        None => {
            let keys = client_hs.traffic_keys(suite.aead)?;
            let dec = decrypter(suite, &keys, provider)?;
            cx.set_decrypter(dec, Protection::HandshakeKeys)?;
            // Refused 0-RTT: skip what the client already sent under its early keys. Not after
            // a HelloRetryRequest: the second ClientHello "MUST NOT include the early_data
            // extension" (RFC 8446 §4.1.2), so no 0-RTT can follow it.
            if offered_early && retry_was_none {
                cx.early_data_skip = Some(early_data_skip_budget(config.max_early_data));
            }
        }
    }
    if offered_early {
        cx.negotiated.early_data_accepted = Some(early_keys.is_some());
    }
    cx.ccs_allowed = true;

    // 7. EncryptedExtensions (§4.3.1).
    let mut ee = EncryptedExtensions::default();
    if let Some(limit) = ch.record_size_limit() {
        // RFC 8449 §4: honour the client's limit from our first protected record on, and tell
        // it ours (2^14 + 1: we accept full records).
        if limit < 64 {
            return Err(PeerMisbehaved::IllegalExtensionValue.into());
        }
        cx.sendbuf.set_max_fragment_len(usize::from(limit) - 1);
        ee.extensions
            .push(EncryptedExtension::RecordSizeLimit(RECORD_SIZE_LIMIT_TLS13));
    }
    if let Some(p) = &alpn {
        ee.extensions
            .push(EncryptedExtension::Alpn(vec![ProtocolName(p.clone())]));
    }
    if ch.server_name().is_some() {
        // RFC 6066 §3: an empty server_name in the server's extensions acknowledges SNI.
        ee.extensions.push(EncryptedExtension::ServerNameAck);
    }
    if early_keys.is_some() {
        // RFC 8446 §4.2.10: accepting early data.
        ee.extensions.push(EncryptedExtension::EarlyData);
    }
    #[cfg(test)]
    if let Some(hook) = config.test_ee_hook {
        hook(&mut ee);
    }
    let ee = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(ee));
    transcript.add(ee.encoded());
    cx.send_handshake(&ee);

    // 8. CertificateRequest (§4.3.2).
    // RFC 8446 §4.3.2: "Servers which are authenticating with a PSK MUST NOT send the
    // CertificateRequest message in the main handshake".
    let client_auth = config
        .client_verifier
        .as_ref()
        .filter(|v| v.offer_client_auth() && auth.is_some())
        .cloned();
    if let Some(v) = &client_auth {
        let cr = certificate_request(v.as_ref(), Vec::new(), &config.cert_compression);
        transcript.add(cr.encoded());
        cx.send_handshake(&cr);
    }

    // 9. Certificate and CertificateVerify (§4.4.2, §4.4.3); none when resuming.
    if let Some((certified, signer)) = &auth {
        // RFC 8446 §4.4.2.1: the OCSP response goes in the end-entity CertificateEntry's
        // status_request extension, and only for a client that sent status_request.
        let staple = crate::ocsp::staple_for(config.ocsp.as_ref(), ch, certified.cert.first())?;
        #[allow(unused_mut)]
        let mut cert_msg = CertificateTls13 {
            certificate_request_context: Vec::new(),
            certificate_list: certified
                .cert
                .iter()
                .map(|c| CertificateEntry {
                    cert_data: c.clone(),
                    extensions: Vec::new(),
                })
                .collect(),
        };
        if let (Some(ocsp_response), Some(leaf)) = (staple, cert_msg.certificate_list.first_mut()) {
            leaf.extensions
                .push(CertificateExtension::CertificateStatus(CertificateStatus {
                    ocsp_response,
                }));
            cx.negotiated.ocsp_stapled = true;
        }
        #[cfg(test)]
        if let Some(hook) = config.test_cert_hook {
            hook(&mut cert_msg);
        }
        // RFC 8879 §4: compressed with our preferred algorithm among those the client offered
        // (TLS 1.3 only; this is the TLS 1.3 path), from the config's cache of compressed
        // chains; the transcript takes the CompressedCertificate as sent.
        let cert = match crate::cert_compression::choose(
            &config.cert_compression,
            ch.compress_certificate(),
        ) {
            Some(alg) => {
                let mut body = Vec::new();
                cert_msg.encode(&mut body);
                cx.negotiated.certificate_compression = Some(alg);
                #[allow(unused_mut)]
                let mut cc = crate::cert_compression::compressed_message(
                    alg,
                    &body,
                    Some(&config.cert_compression_cache),
                )?;
                #[cfg(test)]
                if let Some(hook) = config.test_compressed_cert_hook {
                    hook(&mut cc);
                }
                HandshakeMessage::new(HandshakePayload::CompressedCertificate(cc))
            }
            None => HandshakeMessage::new(HandshakePayload::CertificateTls13(cert_msg)),
        };
        transcript.add(cert.encoded());
        cx.send_handshake(&cert);
        emit_certificate_verify(cx, &mut transcript, signer.as_ref())?;
    }

    // 10. Finished (§4.4.4).
    let hash = transcript.current_hash()?;
    let verify_data = server_hs.compute_finished(&hash)?;
    let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
        verify_data: verify_data.as_ref().to_vec(),
    }));
    transcript.add(fin.encoded());
    cx.send_handshake(&fin);

    // 11. Application secrets; the server may send from now on (0.5-RTT).
    let hash = transcript.current_hash()?;
    let master = handshake_secret.into_master()?;
    let client_ap = master.client_application_traffic_secret(&hash)?;
    let server_ap = master.server_application_traffic_secret(&hash)?;
    let exporter = master.exporter_master_secret(&hash)?;
    client_ap.log_to(&mut log(cx));
    server_ap.log_to(&mut log(cx));
    exporter.log_to(&mut log(cx));
    let keys = server_ap.traffic_keys(suite.aead)?;
    cx.set_encrypter(
        encrypter(suite, &keys, provider)?,
        Protection::ApplicationKeys,
    )?;
    cx.exporter = Some(Exporter::Tls13(exporter));
    if early_keys.is_some() && config.half_rtt_data {
        // RFC 8446 §4.4.4: "Servers MAY send data after sending their first flight".
        cx.start_half_rtt()?;
    }

    let st = Tls13Server {
        post_handshake_auth: ch.has_extension(ExtensionType::PostHandshakeAuth),
        // RFC 8446 §4.2.9: the client "supports use of PSKs only with these modes"; we
        // resume only with psk_dhe_ke, so a client without it could never use a ticket.
        client_accepts_tickets: ch
            .psk_modes()
            .is_some_and(|m| m.contains(&PskKeyExchangeMode::PskDheKe)),
        sni: ch.server_name().map(str::to_owned),
        alpn,
        config,
        suite,
        transcript,
        client_hs,
        client_ap,
        server_ap,
        master,
        auth_time,
    };
    Ok(match (client_auth, early_keys.is_some()) {
        (_, true) => Box::new(ExpectEndOfEarlyData(st)),
        (Some(_), false) => Box::new(ExpectCertificate(st)),
        (None, false) => Box::new(ExpectFinished {
            st,
            _client_cert: None,
        }),
    })
}

/// The outcome of the group step.
enum GroupChoice {
    /// Our share and the shared secret.
    Completed(crate::crypto::CompletedKeyExchange),
    /// No usable share: ask for one in this group (HelloRetryRequest, RFC 8446 §4.1.4).
    Retry(NamedGroup),
}

/// RFC 8446 §4.2.8: a share the client sent for a group we support, in our preference order;
/// else our most preferred group the client supports, for a HelloRetryRequest (§4.1.4).
fn choose_group(
    cx: &mut CommonState,
    config: &ServerConfig,
    ch: &ClientHello,
    retry: Option<&Retry>,
) -> Result<GroupChoice, Error> {
    let client_groups = ch
        .supported_groups()
        .ok_or(PeerMisbehaved::MissingExtension)?;
    let shares = ch.key_shares().ok_or(PeerMisbehaved::MissingExtension)?;
    // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same
    // group ... [or] for groups not listed in the client's "supported_groups" extension.
    // Servers MAY check for violations of these rules and abort the handshake with an
    // "illegal_parameter" alert". We check: a share outside the list is a confused client.
    // Both checks over sorted copies: linear-logarithmic, never share × share or
    // share × group (issue 9 item 4: 9,300 junk groups cost 80 ms when they were).
    let share_groups: Vec<NamedGroup> = shares.iter().map(|s| s.group).collect();
    let listed = PeerSet::new(client_groups);
    if PeerSet::new(&share_groups).has_duplicates()
        || !share_groups.iter().all(|g| listed.contains(g))
    {
        return Err(PeerMisbehaved::IllegalClientHello.into());
    }
    // Our preference among their shares: one pass over the shares, remembering the first
    // share for each of our groups (at most the handful the provider implements).
    let mut ours: Vec<Option<&KeyShareEntry>> = vec![None; config.groups.len()];
    for share in shares {
        if let Some(i) = config.groups.iter().position(|g| g.name() == share.group) {
            ours[i].get_or_insert(share);
        }
    }
    let chosen_share = config
        .groups
        .iter()
        .zip(&ours)
        .find_map(|(g, s)| s.map(|s| (*g, s)));
    let Some((group, share)) = chosen_share else {
        if retry.is_some() {
            // RFC 8446 §4.1.2: the second ClientHello must carry the requested share.
            return Err(PeerMisbehaved::IllegalClientHello.into());
        }
        let group = config
            .groups
            .iter()
            .find(|g| listed.contains(&g.name()))
            .ok_or(PeerIncompatible::NoCommonGroup)?;
        return Ok(GroupChoice::Retry(group.name()));
    };
    if let Some(r) = retry {
        if group.name() != r.group {
            return Err(PeerMisbehaved::IllegalClientHello.into());
        }
    }
    let kx = group.start_and_complete(&share.key_exchange)?;
    cx.negotiated.group = Some(group.name());
    Ok(GroupChoice::Completed(kx))
}

/// RFC 8446 §4.2.11: "externally established PSKs SHOULD influence cipher suite selection":
/// the hash of the first offered identity that names one of our external PSKs (looked up only:
/// no binder is checked here).
fn external_psk_hint(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Option<crate::crypto::HashAlgorithm> {
    let store = config.external_psks.as_ref()?;
    ch.psk()?
        .identities
        .iter()
        .find_map(|id| store.resolve(&id.identity))
        .map(|p| p.hash())
}

/// An external PSK accepted (RFC 8446 §4.2.11).
struct ExternalAccepted {
    /// RFC 8446 §4.2.11.2: accepted only with its binder verified.
    _binder: BinderVerified,
    early: EarlySecret,
    index: u16,
    identity: Vec<u8>,
    /// The key exchange mode: our preference among the client's modes (§4.2.9).
    mode: PskKeyExchangeMode,
}

/// RFC 8446 §4.2.11: accept the first offered identity that names one of our external PSKs
/// with this suite's hash, when the client's psk_key_exchange_modes and ours have a mode in
/// common. Only that one binder is checked ("Servers SHOULD NOT attempt to validate multiple
/// binders"); a wrong one aborts the handshake ("If this value does not validate, the server
/// MUST abort the handshake": `BadBinder`, `decrypt_error`, §4.2.11.2). The binder key is the
/// "ext binder" one (§7.1), so a resumption binder never validates here.
fn try_external_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    msg: &HandshakeMessage,
    retry: Option<&Retry>,
    suite: &'static SuiteInfo,
) -> Result<Option<ExternalAccepted>, Error> {
    let (Some(store), Some(offer)) = (&config.external_psks, ch.psk()) else {
        return Ok(None);
    };
    // RFC 8446 §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes"
    // extension, servers MUST abort the handshake" (missing_extension, §9.2).
    let client_modes = ch.psk_modes().ok_or(PeerMisbehaved::MissingExtension)?;
    // "Servers MUST NOT select a key exchange mode that is not listed by the client."
    let Some(mode) = config
        .psk_modes
        .iter()
        .copied()
        .find(|m| client_modes.contains(m))
    else {
        return Ok(None);
    };
    for (i, (id, binder)) in offer.identities.iter().zip(&offer.binders).enumerate() {
        let Some(psk) = store.resolve(&id.identity) else {
            continue;
        };
        // "The server MUST ensure that it selects a compatible PSK (if any) and cipher suite."
        if psk.hash() != suite.hash {
            continue;
        }
        let Ok(index) = u16::try_from(i) else {
            continue;
        };
        let hash = config.provider.hash(suite.hash);
        let offset = msg
            .psk_binders_offset()
            .ok_or(PeerMisbehaved::IllegalClientHello)?;
        let truncated = msg
            .encoded()
            .get(..offset)
            .ok_or(PeerMisbehaved::IllegalClientHello)?;
        let binder_hash = match retry {
            Some(r) => r.transcript.hash_with_suffix(hash, truncated)?,
            None => hash.hash(truncated),
        };
        let early = EarlySecret::new(
            Tls13Crypto::new(&config.provider, suite.hash),
            Some(psk.key()),
        );
        let binder_verified = early
            .binder_key(PskKind::External)?
            .verify_binder(&binder_hash, &binder.0)?;
        return Ok(Some(ExternalAccepted {
            _binder: binder_verified,
            early,
            index,
            identity: psk.identity().to_vec(),
            mode,
        }));
    }
    Ok(None)
}

/// A ticket accepted for resumption.
struct Resumed {
    /// RFC 8446 §4.2.11.2: accepted only with its binder verified.
    _binder: BinderVerified,
    early: EarlySecret,
    index: u16,
    session: Tls13Session,
    /// The client's view of the ticket age (obfuscated_ticket_age − ticket_age_add).
    client_age_ms: u32,
    binder: Vec<u8>,
    /// The client's chain from the ticket, verified again under the current verifier (empty
    /// without client authentication).
    client_chain: Vec<crate::verify::CertificateDer<'static>>,
}

/// RFC 8446 §4.2.11: accept the first offered ticket we can open whose suite hash matches
/// `suite`, that has not expired, whose session is younger than `max_session_age`, that was
/// issued for the same server name and whose client authentication our current policy accepts
/// (see [`reverify_client`]); its binder must verify ("If this value does not validate, the
/// server MUST abort the handshake").
fn try_resume(
    config: &ServerConfig,
    ch: &ClientHello,
    msg: &HandshakeMessage,
    retry: Option<&Retry>,
    suite: &'static SuiteInfo,
) -> Result<Option<Resumed>, Error> {
    // RFC 8446 §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes"
    // extension, servers MUST abort the handshake"; §9.2: with "missing_extension" (whether or
    // not we would have resumed).
    if ch.psk().is_some() && ch.psk_modes().is_none() {
        return Err(PeerMisbehaved::MissingExtension.into());
    }
    let (Some(keys), Some(offer)) = (&config.tickets, ch.psk()) else {
        return Ok(None);
    };
    // RFC 8446 §4.2.9: we resume only with (EC)DHE (psk_dhe_ke), for forward secrecy.
    if !ch
        .psk_modes()
        .is_some_and(|m| m.contains(&PskKeyExchangeMode::PskDheKe))
    {
        return Ok(None);
    }
    let now = config.time.now().as_secs();
    let hash = config.provider.hash(suite.hash);
    for (i, (id, binder)) in offer.identities.iter().zip(&offer.binders).enumerate() {
        let Some(plain) = keys.decrypt(&id.identity, now) else {
            continue;
        };
        let Ok(session) = Tls13Session::decode(&plain) else {
            continue;
        };
        // RFC 8446 §4.6.1: "the PSK's lifetime" is bounded by the original authentication,
        // not only by this ticket's lifetime.
        let compatible = suites::lookup(session.suite).is_some_and(|s| s.hash == suite.hash)
            && now.saturating_sub(session.issued) < u64::from(session.lifetime)
            && now.saturating_sub(session.auth_time) < config.max_session_age
            && session.sni.as_deref() == ch.server_name();
        if !compatible {
            continue;
        }
        let Ok(index) = u16::try_from(i) else {
            continue;
        };
        let offset = msg
            .psk_binders_offset()
            .ok_or(PeerMisbehaved::IllegalClientHello)?;
        let truncated = msg
            .encoded()
            .get(..offset)
            .ok_or(PeerMisbehaved::IllegalClientHello)?;
        // The binder covers the transcript up to the truncated ClientHello; after an HRR that
        // includes message_hash(ClientHello1) and the HRR (§4.2.11.2). Computed for one
        // identity at most (see below): each costs a hash of the whole ClientHello.
        let binder_hash = match retry {
            Some(r) => r.transcript.hash_with_suffix(hash, truncated)?,
            None => hash.hash(truncated),
        };
        let early = EarlySecret::new(
            Tls13Crypto::new(&config.provider, suite.hash),
            Some(session.psk.as_bytes()),
        );
        let binder_verified = early
            .binder_key(PskKind::Resumption)?
            .verify_binder(&binder_hash, &binder.0)?;
        // The binder proves the client holds this session; whether the session's client
        // authentication still satisfies us decides whether we resume it. One verified binder
        // is all a client gets: if its session does not satisfy us, a full handshake follows
        // (RFC 8446 §4.2.11: the server selects a single PSK), rather than a chain
        // verification and a binder check for every further copy a hostile client offers (a
        // 64 KiB ClientHello with 400 copies of one refused ticket cost ~70 handshakes).
        let Some(client_chain) = reverify_client(config, &session) else {
            return Ok(None);
        };
        return Ok(Some(Resumed {
            _binder: binder_verified,
            early,
            index,
            client_age_ms: id.obfuscated_ticket_age.wrapping_sub(session.age_add),
            binder: binder.0.clone(),
            client_chain,
            session,
        }));
    }
    Ok(None)
}

/// Resumption never weakens client authentication (DESIGN: "Every decision cached across
/// connections ... is re-checked against the current configuration when reused"). RFC 8446
/// §4.3.2 forbids a CertificateRequest in a PSK handshake, so the ticket's sealed chain stands
/// in for the certificate: it must verify again under the current verifier at the current
/// time (a CA removed since, an expired certificate, a ticket from a config that shares our
/// ticket keys but trusts other CAs: all fail). `None`: do not resume this ticket (the client
/// then gets a full handshake with a CertificateRequest, never an anonymous connection).
/// `Some(chain)`: resume, reporting `chain` (empty when we do not authenticate clients, as a
/// full handshake here would report, or when an optional certificate was not sent).
fn reverify_client(
    config: &ServerConfig,
    session: &Tls13Session,
) -> Option<Vec<crate::verify::CertificateDer<'static>>> {
    let Some(verifier) = config
        .client_verifier
        .as_ref()
        .filter(|v| v.offer_client_auth())
    else {
        return Some(Vec::new());
    };
    let Some((ee, rest)) = session.peer_certs.split_first() else {
        // RFC 8446 §4.4.2.4: a server requiring a certificate never proceeds without one.
        return (!verifier.client_auth_mandatory()).then(Vec::new);
    };
    let mut verified = verifier
        .verify_client_cert(ee, rest, config.time.now())
        .ok()?;
    Some(
        verified
            .take_path()
            .unwrap_or_else(|| session.peer_certs.clone()),
    )
}

/// RFC 8446 §4.6.1: NewSessionTickets, each with its own nonce and PSK, sealed under our
/// rotating ticket keys, with the client's verified chain (`cx.negotiated.peer_certificates`)
/// and the time it was authenticated. None once the session has reached `max_session_age`.
fn emit_tickets(
    cx: &mut CommonState,
    config: &ServerConfig,
    suite: &'static SuiteInfo,
    resumption: &ResumptionMasterSecret,
    sni: Option<&str>,
    alpn: Option<&[u8]>,
    auth_time: u64,
) -> Result<(), Error> {
    let Some(keys) = &config.tickets else {
        return Ok(());
    };
    let now = config.time.now().as_secs();
    // A ticket never outlives the session's cap: its lifetime is what remains of it.
    let remaining = config
        .max_session_age
        .saturating_sub(now.saturating_sub(auth_time));
    let lifetime = u32::try_from(remaining)
        .unwrap_or(u32::MAX)
        .min(TICKET_LIFETIME_SECS);
    if lifetime == 0 {
        return Ok(());
    }
    for i in 0..config.send_tickets {
        let nonce = vec![u8::try_from(i).unwrap_or(u8::MAX)];
        let session = Tls13Session {
            suite: suite.suite,
            psk: resumption.ticket_psk(&nonce)?,
            age_add: random_u32(config.provider.secure_random)?,
            issued: now,
            lifetime,
            alpn: alpn.map(<[u8]>::to_vec),
            sni: sni.map(str::to_owned),
            max_early_data: config.max_early_data,
            auth_time,
            peer_certs: cx.negotiated.peer_certificates.clone(),
        };
        let ticket = keys.encrypt(&session.encode(), now)?;
        // A ticket the client could not send back (a huge client chain) is not worth sending.
        if ticket.len() > MAX_TICKET_LEN {
            return Ok(());
        }
        #[cfg(test)]
        let ticket = {
            let mut ticket = ticket;
            if let Some(hook) = config.test_ticket_hook {
                hook(&mut ticket);
            }
            ticket
        };
        let nst = HandshakeMessage::new(HandshakePayload::NewSessionTicketTls13(
            NewSessionTicketTls13 {
                ticket_lifetime: session.lifetime,
                ticket_age_add: session.age_add,
                ticket_nonce: nonce,
                ticket,
                // RFC 8446 §4.6.1: early_data carries max_early_data_size.
                extensions: if session.max_early_data > 0 {
                    vec![NewSessionTicketExtension::EarlyData(session.max_early_data)]
                } else {
                    Vec::new()
                },
            },
        ));
        cx.send_handshake(&nst);
    }
    Ok(())
}

/// RFC 8446 §4.3.2: a CertificateRequest with the verifier's signature schemes and, when it has
/// any, the names of the CAs it trusts (certificate_authorities, §4.2.4).
fn certificate_request(
    verifier: &dyn crate::verify::ClientCertVerifier,
    context: Vec<u8>,
    compression: &[CertificateCompressionAlgorithm],
) -> HandshakeMessage {
    let mut extensions = vec![CertReqExtension::SignatureAlgorithms(
        verifier.supported_verify_schemes(),
    )];
    if !compression.is_empty() {
        // RFC 8879 §3: the algorithms we accept for the client's certificate.
        extensions.push(CertReqExtension::CompressCertificate(compression.to_vec()));
    }
    let hints = verifier.root_hint_subjects();
    if !hints.is_empty() {
        extensions.push(CertReqExtension::CertificateAuthorities(
            hints
                .iter()
                .map(|d| WireDn(d.as_bytes().to_vec()))
                .collect(),
        ));
    }
    HandshakeMessage::new(HandshakePayload::CertificateRequestTls13(
        CertificateRequestTls13 {
            certificate_request_context: context,
            extensions,
        },
    ))
}

/// RFC 8446 §4.2.3: schemes usable in a TLS 1.3 CertificateVerify.
fn is_tls13_scheme(s: SignatureScheme) -> bool {
    matches!(
        s,
        SignatureScheme::ECDSA_NISTP256_SHA256
            | SignatureScheme::ECDSA_NISTP384_SHA384
            | SignatureScheme::ECDSA_NISTP521_SHA512
            | SignatureScheme::ED25519
            | SignatureScheme::RSA_PSS_SHA256
            | SignatureScheme::RSA_PSS_SHA384
            | SignatureScheme::RSA_PSS_SHA512
    )
}

fn emit_certificate_verify(
    cx: &mut CommonState,
    transcript: &mut Transcript,
    signer: &dyn Signer,
) -> Result<(), Error> {
    let hash = transcript.current_hash()?;
    let message = tls13_signed_message(true, hash.as_ref());
    let signature = signer.sign(&message)?;
    let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(DigitallySigned {
        scheme: signer.scheme(),
        signature,
    }));
    transcript.add(cv.encoded());
    cx.send_handshake(&cv);
    Ok(())
}

/// RFC 8446 §4.1.4: ask for a key share in `group`.
fn emit_hello_retry_request(
    cx: &mut CommonState,
    config: Arc<ServerConfig>,
    ch: &ClientHello,
    msg: &HandshakeMessage,
    (suite, group): (&'static SuiteInfo, NamedGroup),
    psk_identity: Option<Vec<u8>>,
) -> Result<Box<dyn State>, Error> {
    let mut transcript = Transcript::new();
    transcript.start_hash(config.provider.hash(suite.hash))?;
    transcript.add(msg.encoded());
    transcript.rollup_for_hrr()?;
    let hrr = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacy_session_id_echo: ch.legacy_session_id.clone(),
        cipher_suite: suite.suite,
        legacy_compression_method: crate::msgs::enums::Compression::Null,
        extensions: vec![
            ServerExtension::HrrKeyShare(group),
            ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
        ],
        extensions_absent: false,
    }));
    transcript.add(hrr.encoded());
    cx.send_handshake(&hrr);
    cx.flush_flight()?;
    if !ch.legacy_session_id.is_empty() {
        cx.send_ccs()?;
    }
    cx.negotiated.hello_retry = true;
    cx.ccs_allowed = true;
    if ch.has_extension(ExtensionType::EarlyData) {
        // RFC 8446 §4.2.10: after a HelloRetryRequest the server skips the client's 0-RTT
        // records ("ignoring records with external content type of application_data").
        cx.early_data_skip = Some(early_data_skip_budget(config.max_early_data));
        cx.negotiated.early_data_accepted = Some(false);
    }
    Ok(Box::new(ExpectClientHello2 {
        config,
        first: ch.clone(),
        retry: Retry {
            suite,
            group,
            transcript,
            session_id: ch.legacy_session_id.clone(),
            psk_identity,
        },
    }))
}

struct ExpectClientHello2 {
    config: Arc<ServerConfig>,
    first: ClientHello,
    retry: Retry,
}

impl State for ExpectClientHello2 {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientHello(ch) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::ClientHello]));
        };
        // RFC 8446 §4.2.10: 0-RTT records are skipped only before the second ClientHello (which
        // "MUST NOT include the early_data extension"); from here a record that fails to open
        // is bad_record_mac.
        cx.early_data_skip = None;
        // RFC 8446 §4.1.2: "If a TLS 1.3 ClientHello is received with any other value [than a
        // single null compression method], the server MUST abort the handshake with an
        // "illegal_parameter" alert" (hello.rs checks the first ClientHello only).
        if ch.legacy_compression_methods != [crate::msgs::enums::Compression::Null] {
            return Err(PeerMisbehaved::IllegalCompression.into());
        }
        // RFC 8446 §4.1.2: the second ClientHello repeats the first but for key_share, cookie,
        // early_data, pre_shared_key and padding.
        if ch.random != self.first.random
            || ch.legacy_session_id != self.first.legacy_session_id
            || ch.cipher_suites != self.first.cipher_suites
            || ch.supported_versions() != self.first.supported_versions()
        {
            return Err(PeerMisbehaved::IllegalClientHello.into());
        }
        let shares = ch.key_shares().unwrap_or_default();
        if shares.len() != 1 || shares.first().map(|s| s.group) != Some(self.retry.group) {
            return Err(PeerMisbehaved::IllegalClientHello.into());
        }
        // RFC 8446 §4.2.10: "A client MUST NOT include the "early_data" extension in its
        // followup ClientHello." Accepting it would also restart the skipping of records that
        // do not open, now under the client's handshake key.
        if ch.has_extension(ExtensionType::EarlyData) {
            return Err(PeerMisbehaved::IllegalClientHello.into());
        }
        // RFC 8446 §4.1.2: the client may only "remove any PSKs which are incompatible with the
        // server's indicated cipher suite"; the one we could resume with that suite must stay.
        if let Some(id) = &self.retry.psk_identity {
            let kept = ch
                .psk()
                .is_some_and(|p| p.identities.iter().any(|i| &i.identity == id));
            if !kept {
                return Err(PeerMisbehaved::IllegalClientHello.into());
            }
        }
        // The client sent its 0-RTT records before this ClientHello (§4.2.10: the server skips
        // them "up to the configured max_early_data_size"); from here on every record must
        // open, so nothing is left to skip.
        cx.early_data_skip = None;
        if self.config.retain_client_hello {
            cx.received_client_hello = Some(Box::new((ch.clone(), msg.encoded().to_vec())));
        }
        handle_client_hello(cx, self.config, ch, &msg, Some(self.retry))
    }
}

/// Everything the TLS 1.3 server carries between states.
struct Tls13Server {
    config: Arc<ServerConfig>,
    suite: &'static SuiteInfo,
    transcript: Transcript,
    client_hs: HandshakeTrafficSecret,
    client_ap: ApplicationTrafficSecret,
    server_ap: ApplicationTrafficSecret,
    master: crate::key_schedule::tls13::MasterSecret,
    sni: Option<String>,
    alpn: Option<Vec<u8>>,
    /// The client offered post_handshake_auth (RFC 8446 §4.2.6).
    post_handshake_auth: bool,
    /// The client offered psk_dhe_ke, the only mode we resume with: else no tickets.
    client_accepts_tickets: bool,
    /// When the session was authenticated (now, or the resumed session's original time).
    auth_time: u64,
}

/// Reading 0-RTT data until EndOfEarlyData (RFC 8446 §4.5).
struct ExpectEndOfEarlyData(Tls13Server);

impl State for ExpectEndOfEarlyData {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        if !matches!(msg.payload(), HandshakePayload::EndOfEarlyData) {
            return Err(unexpected(&msg, &[HandshakeType::EndOfEarlyData]));
        }
        let mut st = self.0;
        st.transcript.add(msg.encoded());
        // "... the server ... switches to the client's handshake traffic key" after it.
        cx.early_data_budget = None;
        let keys = st.client_hs.traffic_keys(st.suite.aead)?;
        let dec = decrypter(st.suite, &keys, &st.config.provider)?;
        cx.set_decrypter(dec, Protection::HandshakeKeys)?;
        Ok(Box::new(ExpectFinished {
            st,
            _client_cert: None,
        }))
    }
}

struct ExpectCertificate(Tls13Server);

impl State for ExpectCertificate {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let decompressed;
        let cert = match msg.payload() {
            HandshakePayload::CertificateTls13(cert) => cert,
            // RFC 8879 §4: the client's Certificate, compressed with an algorithm our
            // CertificateRequest listed; the transcript takes it as received.
            HandshakePayload::CompressedCertificate(cc) => {
                let body =
                    crate::cert_compression::decompress(&self.0.config.cert_compression, cc)?;
                let HandshakePayload::CertificateTls13(c) = HandshakePayload::read_body(
                    HandshakeType::Certificate,
                    &body,
                    ProtocolVersion::TLSv1_3,
                )?
                else {
                    return Err(InvalidMessage::IllegalValue("compressed certificate").into());
                };
                cx.negotiated.client_certificate_compression = Some(cc.algorithm);
                decompressed = c;
                &decompressed
            }
            _ => return Err(unexpected(&msg, &[HandshakeType::Certificate])),
        };
        let mut st = self.0;
        let verifier = st.config.client_verifier.clone().ok_or(Error::Internal(
            crate::error::InternalError::Unreachable("client auth without verifier"),
        ))?;
        if !cert.certificate_request_context.is_empty() {
            return Err(PeerMisbehaved::IllegalExtensionValue.into());
        }
        // RFC 8446 §4.4.2: a client's CertificateEntry extensions must answer ones in our
        // CertificateRequest, which asks for none.
        if cert
            .certificate_list
            .iter()
            .any(|e| !e.extensions.is_empty())
        {
            return Err(PeerMisbehaved::UnsolicitedExtension.into());
        }
        st.transcript.add(msg.encoded());
        let Some((ee, rest)) = cert.certificate_list.split_first() else {
            // RFC 8446 §4.4.2.4: no certificate; "certificate_required" if we insist.
            if verifier.client_auth_mandatory() {
                return Err(PeerMisbehaved::NoCertificate.into());
            }
            return Ok(Box::new(ExpectFinished {
                st,
                _client_cert: None,
            }));
        };
        let intermediates: Vec<_> = rest.iter().map(|e| e.cert_data.clone()).collect();
        let mut verified =
            verifier.verify_client_cert(&ee.cert_data, &intermediates, st.config.time.now())?;
        // RFC 8446 §4.4.2.2: the key must be allowed to sign (digitalSignature, if KeyUsage
        // is present).
        end_entity_key(&ee.cert_data)?.check_usage(LeafKeyUse::Sign)?;
        // The verified path (leaf and the intermediates used), not extras the client appended;
        // it is what our tickets seal for re-verification on resumption.
        cx.negotiated.peer_certificates = verified.take_path().unwrap_or_else(|| {
            cert.certificate_list
                .iter()
                .map(|e| e.cert_data.clone())
                .collect()
        });
        Ok(Box::new(ExpectCertificateVerify { st, verified }))
    }
}

struct ExpectCertificateVerify {
    st: Tls13Server,
    verified: ClientCertVerified,
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
        let Self { mut st, verified } = *self;
        let verifier = st.config.client_verifier.clone().ok_or(Error::Internal(
            crate::error::InternalError::Unreachable("client auth without verifier"),
        ))?;
        if !verifier.supported_verify_schemes().contains(&sig.scheme) {
            return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
        }
        let hash = st.transcript.current_hash()?;
        let message = tls13_signed_message(false, hash.as_ref());
        let ee = cx
            .negotiated
            .peer_certificates
            .first()
            .ok_or(PeerMisbehaved::NoCertificate)?;
        // RFC 8446 §4.4.3: the scheme must fit the key before the signature is checked.
        crate::verify::end_entity_key(ee)?.check_tls13_scheme(sig.scheme)?;
        let _valid: HandshakeSignatureValid =
            verifier.verify_tls13_signature(&message, ee, sig.scheme, &sig.signature)?;
        cx.negotiated.client_signature_scheme = Some(sig.scheme);
        st.transcript.add(msg.encoded());
        Ok(Box::new(ExpectFinished {
            st,
            _client_cert: Some(verified),
        }))
    }
}

struct ExpectFinished {
    st: Tls13Server,
    _client_cert: Option<ClientCertVerified>,
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
        let mut st = self.st;
        // RFC 8446 §4.4.4: verify the client Finished in constant time.
        let hash = st.transcript.current_hash()?;
        let finished = st.client_hs.verify_finished(&hash, &fin.verify_data)?;
        st.transcript.add(msg.encoded());
        let provider = &st.config.provider;
        let keys = st.client_ap.traffic_keys(st.suite.aead)?;
        let dec = decrypter(st.suite, &keys, provider)?;
        cx.set_decrypter(dec, Protection::ApplicationKeys)?;
        cx.ccs_allowed = false;
        let hash = st.transcript.current_hash()?;
        let resumption = st.master.into_resumption_master_secret(&hash)?;
        if st.client_accepts_tickets {
            emit_tickets(
                cx,
                &st.config,
                st.suite,
                &resumption,
                st.sni.as_deref(),
                st.alpn.as_deref(),
                st.auth_time,
            )?;
        }
        cx.start_traffic()?;
        Ok(Box::new(ExpectTraffic {
            _finished: finished,
            secrets: TrafficSecrets {
                suite: st.suite,
                aead: st.config.provider.aead(st.suite.aead),
                ours: Some(st.server_ap),
                theirs: Some(st.client_ap),
            },
            // Kept only when post-handshake authentication is possible at all: an idle
            // connection should not hold a hash context it can never use.
            transcript: (st.post_handshake_auth && st.config.client_verifier.is_some())
                .then(|| Box::new(st.transcript)),
            post_handshake_auth: st.post_handshake_auth,
            config: st.config,
            pha: PostHandshakeAuth::Idle,
        }))
    }
}

/// The established connection (server side).
struct ExpectTraffic {
    /// RFC 8446 §4.4.4: no traffic state without the client's Finished verified.
    _finished: FinishedVerified,
    secrets: TrafficSecrets,
    config: Arc<ServerConfig>,
    post_handshake_auth: bool,
    /// Through the client's Finished: the base of each post-handshake authentication (`None`
    /// when the client did not offer it or we have no client verifier). Boxed: 8 bytes when
    /// absent, which is the common case.
    transcript: Option<Box<Transcript>>,
    pha: PostHandshakeAuth,
}

/// RFC 8446 §4.6.2: the chain of a post-handshake authentication becomes the peer's only once
/// the exchange's Finished verified (the proof is the argument).
fn accept_post_handshake_chain(
    cx: &mut CommonState,
    chain: Vec<crate::verify::CertificateDer<'static>>,
    _finished: FinishedVerified,
) {
    cx.negotiated.peer_certificates = chain;
}

/// Where a post-handshake authentication exchange stands (RFC 8446 §4.6.2).
enum PostHandshakeAuth {
    Idle,
    ExpectCertificate {
        context: Vec<u8>,
        transcript: Transcript,
    },
    ExpectCertificateVerify {
        transcript: Transcript,
        chain: Vec<crate::verify::CertificateDer<'static>>,
        _verified: ClientCertVerified,
    },
    ExpectFinished {
        transcript: Transcript,
        chain: Vec<crate::verify::CertificateDer<'static>>,
    },
}

impl ExpectTraffic {
    /// One step of post-handshake authentication; `Ok(false)` if `msg` is not part of it.
    fn handle_post_handshake_auth(
        &mut self,
        cx: &mut CommonState,
        msg: &HandshakeMessage,
    ) -> Result<bool, Error> {
        let verifier = match &self.config.client_verifier {
            Some(v) => Arc::clone(v),
            None => return Ok(false),
        };
        let pha = core::mem::replace(&mut self.pha, PostHandshakeAuth::Idle);
        self.pha = match (pha, msg.payload()) {
            (
                PostHandshakeAuth::ExpectCertificate {
                    context,
                    mut transcript,
                },
                HandshakePayload::CertificateTls13(cert),
            ) => {
                if cert.certificate_request_context != context {
                    return Err(PeerMisbehaved::IllegalExtensionValue.into());
                }
                transcript.add(msg.encoded());
                let chain: Vec<_> = cert
                    .certificate_list
                    .iter()
                    .map(|e| e.cert_data.clone())
                    .collect();
                match chain.split_first() {
                    None if verifier.client_auth_mandatory() => {
                        return Err(PeerMisbehaved::NoCertificate.into())
                    }
                    None => PostHandshakeAuth::ExpectFinished { transcript, chain },
                    Some((ee, rest)) => {
                        let mut verified =
                            verifier.verify_client_cert(ee, rest, self.config.time.now())?;
                        // RFC 8446 §4.4.2.2, as in the handshake.
                        end_entity_key(ee)?.check_usage(LeafKeyUse::Sign)?;
                        // Reported once Finished verifies: the verified path, not extras.
                        let chain = verified.take_path().unwrap_or(chain);
                        PostHandshakeAuth::ExpectCertificateVerify {
                            transcript,
                            chain,
                            _verified: verified,
                        }
                    }
                }
            }
            (
                PostHandshakeAuth::ExpectCertificateVerify {
                    mut transcript,
                    chain,
                    ..
                },
                HandshakePayload::CertificateVerify(sig),
            ) => {
                if !verifier.supported_verify_schemes().contains(&sig.scheme) {
                    return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
                }
                let hash = transcript.current_hash()?;
                let message = tls13_signed_message(false, hash.as_ref());
                let ee = chain.first().ok_or(PeerMisbehaved::NoCertificate)?;
                // RFC 8446 §4.4.3: the scheme must fit the key before the signature is checked.
                crate::verify::end_entity_key(ee)?.check_tls13_scheme(sig.scheme)?;
                verifier.verify_tls13_signature(&message, ee, sig.scheme, &sig.signature)?;
                transcript.add(msg.encoded());
                PostHandshakeAuth::ExpectFinished { transcript, chain }
            }
            (
                PostHandshakeAuth::ExpectFinished { transcript, chain },
                HandshakePayload::Finished(fin),
            ) => {
                // RFC 8446 §4.4.4: the Finished of a post-handshake exchange is keyed with
                // client_application_traffic_secret_N.
                let hash = transcript.current_hash()?;
                let secret = self.secrets.theirs.as_ref().ok_or(
                    crate::error::InternalError::Unreachable("no traffic secret"),
                )?;
                let finished = secret.verify_finished(&hash, &fin.verify_data)?;
                accept_post_handshake_chain(cx, chain, finished);
                PostHandshakeAuth::Idle
            }
            (PostHandshakeAuth::Idle, _) => return Ok(false),
            // RFC 8446 §4.6.2: "servers MUST be prepared for some delay, including receiving an
            // arbitrary number of other messages between sending the CertificateRequest and
            // receiving a response": a KeyUpdate before the client's answer is handled as usual
            // (it is not part of the authentication transcript).
            (pha @ PostHandshakeAuth::ExpectCertificate { .. }, HandshakePayload::KeyUpdate(_)) => {
                self.pha = pha;
                return Ok(false);
            }
            _ => {
                return Err(unexpected(
                    msg,
                    &[
                        HandshakeType::Certificate,
                        HandshakeType::CertificateVerify,
                        HandshakeType::Finished,
                    ],
                ))
            }
        };
        Ok(true)
    }
}

impl State for ExpectTraffic {
    #[cfg(feature = "internal")]
    fn heap_parts(&self, out: &mut Vec<(&'static str, usize)>) {
        out.push((
            "TLS 1.3 server ExpectTraffic (boxed struct)",
            core::mem::size_of_val(self),
        ));
        if let Some(t) = &self.transcript {
            // The hash context inside is not itemised; it shows as unaccounted.
            out.push((
                "  transcript box (post-handshake auth)",
                core::mem::size_of_val(&**t),
            ));
        }
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        if self.handle_post_handshake_auth(cx, &msg)? {
            return Ok(self);
        }
        match msg.payload() {
            HandshakePayload::KeyUpdate(req) => {
                self.secrets.on_key_update(cx, *req)?;
                Ok(self)
            }
            _ => Err(unexpected(&msg, &[HandshakeType::KeyUpdate])),
        }
    }

    fn send_key_update(&mut self, cx: &mut CommonState, request_peer: bool) -> Result<(), Error> {
        self.secrets.send_key_update(cx, request_peer)
    }

    fn request_client_auth(&mut self, cx: &mut CommonState) -> Result<(), Error> {
        // RFC 8446 §4.6.2: "Servers MUST NOT send a post-handshake CertificateRequest to
        // clients which do not offer this extension."
        let verifier = match (&self.config.client_verifier, self.post_handshake_auth) {
            (Some(v), true) if matches!(self.pha, PostHandshakeAuth::Idle) => Arc::clone(v),
            _ => return Err(crate::error::ApiMisuse::PostHandshakeAuthUnavailable.into()),
        };
        // A fresh, unpredictable context ties the answer to this request.
        let mut context = vec![0u8; 16];
        self.config.provider.secure_random.fill(&mut context)?;
        // Post-handshake: no compress_certificate (the answer is read uncompressed).
        let cr = certificate_request(verifier.as_ref(), context.clone(), &[]);
        let mut transcript = self
            .transcript
            .as_ref()
            .ok_or(crate::error::ApiMisuse::PostHandshakeAuthUnavailable)?
            .fork()?;
        transcript.add(cr.encoded());
        cx.send_handshake(&cr);
        self.pha = PostHandshakeAuth::ExpectCertificate {
            context,
            transcript,
        };
        Ok(())
    }
}
