//! Client hello negotiation (RFC 8446 §4.1, RFC 5246 §7.4.1): send ClientHello, handle a
//! HelloRetryRequest, read ServerHello and hand over to the TLS 1.3 or TLS 1.2 state machine.

use std::sync::Arc;

use crate::config::ClientConfig;
use crate::conn::CommonState;
use crate::crypto::ActiveKeyExchange;
use crate::error::{Error, InternalError, PeerIncompatible, PeerMisbehaved};
use crate::handshake::{unexpected, State, DOWNGRADE_TLS11, DOWNGRADE_TLS12};
use crate::key_schedule::tls13::{EarlySecret, PskKind, Tls13Crypto};
use crate::msgs::enums::{
    CipherSuite, Compression, EcPointFormat, HandshakeType, NamedGroup, ProtocolVersion,
};
use crate::msgs::extensions::{
    CertificateStatusRequest, ClientExtension, KeyShareEntry, OfferedPsks, ProtocolName,
    PskIdentity, ServerExtension, ServerNameList,
};
use crate::msgs::handshake::{
    placeholder_binders, ClientHello, HandshakeMessage, HandshakePayload, ServerHello,
};
use crate::psk::ExternalPsk;
use crate::session::{ClientTicket, ClientTls12Session};
use crate::suites::{self, SuiteInfo};
use crate::transcript::Transcript;
use crate::verify::{sni_host_name, ServerName};

use super::grease::Grease;

/// Our record_size_limit in TLS 1.3: 2^14 plus the inner content type (RFC 8449 §4).
pub(crate) const RECORD_SIZE_LIMIT_TLS13: u16 = 16385;
/// Our record_size_limit when only TLS 1.2 is offered.
pub(crate) const RECORD_SIZE_LIMIT_TLS12: u16 = 16384;

/// Everything the client decided when it built its ClientHello; carried into the version
/// specific state machines.
pub(crate) struct ClientHelloDetails {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    pub(crate) random: [u8; 32],
    pub(crate) session_id: Vec<u8>,
    /// Our ClientHello as sent (for HRR rebuilds and TLS 1.2 renegotiation_info checks).
    pub(crate) hello: ClientHello,
    pub(crate) offered_tls13: bool,
    pub(crate) offered_tls12: bool,
    /// We offered 0-RTT data (RFC 8446 §4.2.10).
    pub(crate) early_data_offered: bool,
    /// The suite and ALPN of the ticket our 0-RTT data was sent under: a server that accepts the
    /// data must have kept both (RFC 8446 §4.2.10).
    pub(crate) early_data_params: Option<(CipherSuite, Option<Vec<u8>>)>,
    /// The middlebox-compatibility ChangeCipherSpec has been sent (RFC 8446 §D.4).
    pub(crate) ccs_sent: bool,
    /// The TLS 1.2 session offered by session ID or ticket (see [`offer_tls12_session`]).
    pub(crate) tls12_resuming: Option<ClientTls12Session>,
    /// The GREASE values of this connection (RFC 8701), reused in a second ClientHello.
    pub(crate) grease: Option<Grease>,
}

/// Builds and queues the first ClientHello; returns the state waiting for ServerHello.
pub(crate) fn start(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    cx: &mut CommonState,
) -> Result<Box<dyn State>, Error> {
    let provider = &config.provider;
    let mut random = [0u8; 32];
    provider.secure_random.fill(&mut random)?;
    let offered_tls13 = config.versions.contains(&ProtocolVersion::TLSv1_3);
    let offered_tls12 = config.versions.contains(&ProtocolVersion::TLSv1_2);

    // RFC 8446 §D.4: in middlebox compatibility mode the client sends a fake 32-byte session
    // ID (and later a ChangeCipherSpec); a TLS 1.2-only client sends none.
    let mut session_id = Vec::new();
    if offered_tls13 {
        session_id = vec![0u8; 32];
        provider.secure_random.fill(&mut session_id)?;
    }

    let mut key_shares: Vec<Box<dyn ActiveKeyExchange>> = Vec::new();
    if offered_tls13 {
        for name in &config.key_share_groups {
            if let Some(g) = provider.kx_group(*name) {
                key_shares.push(g.start()?);
            }
        }
    }

    // RFC 8701 §3: fresh GREASE values per connection, from the provider's random source.
    let grease = if config.grease {
        Some(Grease::random(provider)?)
    } else {
        None
    };
    let (hello, tls12_resuming) = {
        let mut hello = build_client_hello(
            &config,
            &server_name,
            random,
            &session_id,
            &key_shares,
            None,
            grease.as_ref(),
        );
        let offered = offer_tls12_session(&config, &server_name, &mut hello, &mut session_id)?;
        (hello, offered)
    };
    #[cfg(test)]
    let hello = {
        let mut hello = hello;
        if let Some(hook) = config.test_hello_hook {
            hook(&mut hello);
            // The hook may rewrite legacy_session_id (RFC 8448 §3 sends none): keep the
            // echo check and the compat-CCS decision in step with what is actually sent.
            session_id.clone_from(&hello.legacy_session_id);
        }
        hello
    };
    let details = ClientHelloDetails {
        config,
        server_name,
        random,
        session_id,
        hello: hello.clone(),
        offered_tls13,
        offered_tls12,
        early_data_offered: false,
        early_data_params: None,
        ccs_sent: false,
        tls12_resuming,
        grease,
    };
    cx.client_random = random;
    // RFC 8446 §5.1: legacy_record_version "MAY be 0x0301 for an initial ClientHello".
    cx.record_version = ProtocolVersion::TLSv1_0;
    // RFC 8446 §4.2.11: offer a stored ticket, if we have one for this server made under our
    // own verifier and client-certificate resolver.
    let now = details.config.time.now().as_secs();
    let resuming = if offered_tls13 && details.config.enable_tickets {
        details
            .config
            .session_cache
            .take(&cache_key(&details.server_name), now, &details.config)
            .filter(|t| {
                details
                    .config
                    .suites
                    .iter()
                    .any(|s| s.suite == t.session.suite)
            })
            .filter(|t| still_trusted(&details.config, &details.server_name, &t.session.peer_certs))
    } else {
        None
    };
    // RFC 8446 §4.2.10: 0-RTT only with a ticket that allows it, when the caller asked for it,
    // and only if we still offer the ticket's ALPN protocol: the server accepts early data only
    // for "the selected ALPN protocol" of the ticket, which it cannot select if we no longer
    // offer it, and early data written for one protocol means nothing under another.
    let mut details = details;
    let mut hello = hello;
    let early_budget = resuming
        .as_ref()
        .filter(|_| details.config.enable_early_data)
        .filter(|t| {
            t.session
                .alpn
                .as_ref()
                .is_none_or(|a| details.config.alpn_protocols.contains(a))
        })
        .map(|t| t.session.max_early_data)
        .filter(|max| *max > 0);
    if let (Some(_), Some(t)) = (early_budget, resuming.as_ref()) {
        hello.extensions.push(ClientExtension::EarlyData);
        details.early_data_offered = true;
        details.early_data_params = Some((t.session.suite, t.session.alpn.clone()));
    }
    // RFC 8446 §4.2.11: external PSKs whose hash some offered TLS 1.3 suite has (a PSK is
    // "associated with a single Hash algorithm").
    let externals: Vec<Arc<ExternalPsk>> = if offered_tls13 {
        details
            .config
            .external_psks
            .iter()
            .filter(|p| {
                details
                    .config
                    .suites
                    .iter()
                    .any(|s| s.is_tls13() && s.hash == p.hash())
            })
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let msg = attach_psk(
        hello,
        resuming.as_ref(),
        &externals,
        &details.config,
        now,
        None,
    )?;
    let mut transcript = Transcript::new();
    transcript.add(msg.encoded());
    cx.send_handshake(&msg);
    cx.flush_flight()?;
    cx.record_version = ProtocolVersion::TLSv1_2;
    if let (Some(max), Some(t)) = (early_budget, resuming.as_ref()) {
        start_early_data(cx, &mut details, t, msg.encoded(), max)?;
    }

    Ok(Box::new(ExpectServerHello {
        details,
        key_shares,
        transcript,
        retried: None,
        resuming,
        externals,
    }))
}

/// RFC 8446 §2.3: derive client_early_traffic_secret from the ClientHello and switch our
/// sending keys to it, so the caller can write 0-RTT data at once.
fn start_early_data(
    cx: &mut CommonState,
    details: &mut ClientHelloDetails,
    ticket: &ClientTicket,
    client_hello: &[u8],
    max: u32,
) -> Result<(), Error> {
    let config = &details.config;
    let suite =
        suites::lookup(ticket.session.suite).ok_or(PeerIncompatible::NoCommonCipherSuite)?;
    let ch_hash = config.provider.hash(suite.hash).hash(client_hello);
    let early = EarlySecret::new(
        Tls13Crypto::new(&config.provider, suite.hash),
        Some(ticket.session.psk.as_bytes()),
    );
    let ets = early.client_early_traffic_secret(&ch_hash)?;
    ets.log_to(&mut |label, secret: &[u8]| cx.log_secret(label, secret));
    let keys = ets.traffic_keys(suite.aead)?;
    // RFC 8446 §D.4: when offering early data, the compatibility CCS goes right after the
    // ClientHello.
    if !details.session_id.is_empty() {
        cx.send_ccs()?;
        details.ccs_sent = true;
    }
    let enc = crate::record::RecordEncrypter::tls13(
        config.provider.aead(suite.aead),
        keys.key(),
        keys.iv(),
    )?;
    cx.set_encrypter(enc, crate::trace::Protection::EarlyData)?;
    cx.early_data_send_budget = Some(max as usize);
    Ok(())
}

/// TLS 1.2 resumption offer (kept apart from the TLS 1.3 code above): the `session_ticket`
/// extension carrying a stored ticket, or empty to ask for one (RFC 5077 §3.2), and the
/// session ID. A stored session ID goes into legacy_session_id even when TLS 1.3 is offered
/// (RFC 8446 §4.1.2: "a client which has a cached session ID set by a pre-TLS 1.3 server
/// SHOULD set this field to that value"); with only a ticket, the random compatibility value
/// (or a fresh random one when offering TLS 1.2 alone) lets us see the server accept it by
/// echoing (RFC 5077 §3.4). Returns the session offered.
/// Whether a stored session's server chain still verifies under `config`'s verifier, for the
/// server name and now (see [`crate::config::ClientConfigBuilder::without_resumption_reverification`]):
/// DESIGN, "every decision cached across connections ... is re-checked against the current
/// configuration when reused". A session that fails is not offered; the full handshake then
/// verifies whatever chain the server sends.
fn still_trusted(
    config: &ClientConfig,
    server_name: &ServerName<'static>,
    certs: &[crate::verify::CertificateDer<'static>],
) -> bool {
    if !config.reverify_on_resumption {
        return true;
    }
    let Some((ee, rest)) = certs.split_first() else {
        // No chain: the session was authenticated by an external PSK (RFC 8446 §2.2), which
        // only a config that still holds external PSKs may lean on again.
        return !config.external_psks.is_empty();
    };
    config
        .verifier
        .verify_server_cert(ee, rest, server_name, config.time.now())
        .is_ok()
}

fn offer_tls12_session(
    config: &ClientConfig,
    server_name: &ServerName<'static>,
    hello: &mut ClientHello,
    session_id: &mut Vec<u8>,
) -> Result<Option<ClientTls12Session>, Error> {
    if !config.versions.contains(&ProtocolVersion::TLSv1_2) || !config.enable_tickets {
        return Ok(None);
    }
    let now = config.time.now().as_secs();
    // RFC 7627 §5.3: only sessions with an extended master secret are resumed, with a suite
    // we still offer, made under our own verifier and client-certificate resolver.
    let stored = config
        .session_cache
        .get_tls12(&cache_key(server_name), now, config)
        .filter(|s| s.session.ems && config.suites.iter().any(|c| c.suite == s.session.suite))
        .filter(|s| still_trusted(config, server_name, &s.server_certs));
    let ticket = stored
        .as_ref()
        .map(|s| s.ticket.clone())
        .unwrap_or_default();
    if let Some(s) = &stored {
        if !s.session_id.is_empty() {
            session_id.clone_from(&s.session_id);
        } else if session_id.is_empty() {
            *session_id = vec![0u8; 32];
            config.provider.secure_random.fill(session_id)?;
        }
    }
    hello.legacy_session_id.clone_from(session_id);
    hello
        .extensions
        .push(ClientExtension::SessionTicket(ticket));
    Ok(stored)
}

/// RFC 8446 §4.1.2: the second ClientHello repeats the first one's session_ticket.
fn repeat_session_ticket(first: &ClientHello, second: &mut ClientHello) {
    if let Some(ext) = first
        .extensions
        .iter()
        .find(|e| matches!(e, ClientExtension::SessionTicket(_)))
    {
        second.extensions.push(ext.clone());
    }
}

/// The session-cache key for a server name.
pub(crate) fn cache_key(name: &ServerName<'_>) -> String {
    sni_host_name(name).map_or_else(|| format!("{name:?}"), str::to_owned)
}

/// Appends pre_shared_key (last, RFC 8446 §4.2.11) for `ticket` and `externals` and fills in
/// their binders: HMACs over the transcript up to the truncated ClientHello (§4.2.11.2), under
/// the "res binder" key for the ticket and the "ext binder" key for external PSKs (§7.1), so
/// the two kinds can never be taken for each other. The ticket goes first: only the first PSK
/// may carry 0-RTT data (§4.2.10), and we send 0-RTT only under tickets. `prior` holds
/// message_hash(ClientHello1) and the HelloRetryRequest when this is the second ClientHello.
fn attach_psk(
    mut hello: ClientHello,
    ticket: Option<&ClientTicket>,
    externals: &[Arc<ExternalPsk>],
    config: &ClientConfig,
    now: u64,
    prior: Option<&Transcript>,
) -> Result<HandshakeMessage, Error> {
    // (hash, key, kind) for each identity, in order.
    let mut psks: Vec<(crate::crypto::HashAlgorithm, &[u8], PskKind)> = Vec::new();
    let mut identities = Vec::new();
    if let Some(t) = ticket {
        let suite = suites::lookup(t.session.suite).ok_or(PeerIncompatible::NoCommonCipherSuite)?;
        // RFC 8446 §4.2.11.1: obfuscated_ticket_age = age in milliseconds + ticket_age_add
        // (mod 2^32).
        let age_ms = u32::try_from(now.saturating_sub(t.session.issued).saturating_mul(1000))
            .unwrap_or(u32::MAX);
        identities.push(PskIdentity {
            identity: t.ticket.clone(),
            obfuscated_ticket_age: age_ms.wrapping_add(t.session.age_add),
        });
        psks.push((suite.hash, t.session.psk.as_bytes(), PskKind::Resumption));
    }
    for e in externals {
        // RFC 8446 §4.2.11: "For identities established externally, an obfuscated_ticket_age
        // of 0 SHOULD be used".
        identities.push(PskIdentity {
            identity: e.identity().to_vec(),
            obfuscated_ticket_age: 0,
        });
        psks.push((e.hash(), e.key(), PskKind::External));
    }
    if psks.is_empty() {
        return Ok(HandshakeMessage::new(HandshakePayload::ClientHello(hello)));
    }
    let lens: Vec<usize> = psks.iter().map(|(h, _, _)| h.output_len()).collect();
    hello
        .extensions
        .push(ClientExtension::PreSharedKey(OfferedPsks {
            identities,
            binders: placeholder_binders(&lens),
        }));
    let mut msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
    let offset = msg
        .psk_binders_offset()
        .ok_or(InternalError::Unreachable("pre_shared_key not last"))?;
    let truncated = msg.encoded().get(..offset).unwrap_or_default();
    let mut binders = Vec::with_capacity(psks.len());
    for (alg, key, kind) in psks {
        let hash = config.provider.hash(alg);
        let binder_hash = match prior {
            Some(tr) => tr.hash_with_suffix(hash, truncated)?,
            None => hash.hash(truncated),
        };
        let early = EarlySecret::new(Tls13Crypto::new(&config.provider, alg), Some(key));
        binders.push(early.binder_key(kind)?.compute_binder(&binder_hash)?);
    }
    let refs: Vec<&[u8]> = binders.iter().map(AsRef::as_ref).collect();
    msg.set_psk_binders(&refs)?;
    Ok(msg)
}

/// The cipher suites we offer, in preference order.
fn offered_suites(config: &ClientConfig) -> Vec<CipherSuite> {
    config.suites.iter().map(|s| s.suite).collect()
}

fn build_client_hello(
    config: &ClientConfig,
    server_name: &ServerName<'static>,
    random: [u8; 32],
    session_id: &[u8],
    key_shares: &[Box<dyn ActiveKeyExchange>],
    cookie: Option<&[u8]>,
    grease: Option<&Grease>,
) -> ClientHello {
    let tls13 = config.versions.contains(&ProtocolVersion::TLSv1_3);
    let tls12 = config.versions.contains(&ProtocolVersion::TLSv1_2);
    let mut ext = Vec::new();
    // RFC 8701 §3: "A client MAY select one or more GREASE extension values and advertise them
    // as extensions with varying length and contents": an empty one first ...
    if let Some(g) = grease {
        ext.push(ClientExtension::Unknown {
            typ: g.extension_empty,
            body: Vec::new(),
        });
    }
    // RFC 6066 §3: DNS names only; "Literal IPv4 and IPv6 addresses are not permitted".
    if config.enable_sni {
        if let Some(host) = sni_host_name(server_name) {
            ext.push(ClientExtension::ServerName(ServerNameList::from_host_name(
                host.trim_end_matches('.'),
            )));
        }
    }
    if config.request_ocsp {
        // RFC 6066 §8: ask for a stapled OCSP response (TLS 1.3: RFC 8446 §4.4.2.1).
        ext.push(ClientExtension::StatusRequest(
            CertificateStatusRequest::ocsp(),
        ));
    }
    if tls12 {
        // RFC 7627 §5.1: offer extended_master_secret.
        ext.push(ClientExtension::ExtendedMasterSecret);
        // RFC 5746 §3.4: an empty renegotiation_info on the initial handshake.
        ext.push(ClientExtension::RenegotiationInfo(Vec::new()));
    }
    // RFC 8446 §4.2.7 / RFC 8422 §5.1.1 / RFC 7919 §3; RFC 8701 §3: a GREASE group first.
    // Without TLS 1.3 on offer, only groups TLS 1.2 can use: the ML-KEM hybrids are TLS 1.3
    // only (draft-ietf-tls-ecdhe-mlkem §3).
    let groups: Vec<NamedGroup> = grease
        .map(|g| g.group)
        .into_iter()
        .chain(
            config
                .groups
                .iter()
                .map(|g| g.name())
                .filter(|g| tls13 || super::tls12::is_tls12_ec_group(*g) || g.is_ffdhe()),
        )
        .collect();
    ext.push(ClientExtension::SupportedGroups(groups));
    if tls12 {
        // RFC 8422 §5.1.2: only uncompressed points.
        ext.push(ClientExtension::EcPointFormats(vec![
            EcPointFormat::Uncompressed,
        ]));
    }
    // RFC 8446 §4.2.3; RFC 8701 §3: a GREASE scheme first.
    ext.push(ClientExtension::SignatureAlgorithms(
        grease
            .map(|g| g.signature_scheme)
            .into_iter()
            .chain(config.verifier.supported_verify_schemes())
            .collect(),
    ));
    if !config.alpn_protocols.is_empty() {
        // RFC 7301 §3.1.
        ext.push(ClientExtension::Alpn(
            config
                .alpn_protocols
                .iter()
                .map(|p| ProtocolName(p.clone()))
                .collect(),
        ));
    }
    // RFC 8449 §4: we accept full-size records (2^14 + 1 with the TLS 1.3 content type).
    ext.push(ClientExtension::RecordSizeLimit(
        match config.record_size_limit {
            Some(limit) => limit,
            None if tls13 => RECORD_SIZE_LIMIT_TLS13,
            None => RECORD_SIZE_LIMIT_TLS12,
        },
    ));
    if tls13 {
        // RFC 8446 §4.2.1: supported_versions, our preference first (after a GREASE
        // version, RFC 8701 §3).
        ext.push(ClientExtension::SupportedVersions(
            grease
                .map(|g| g.version)
                .into_iter()
                .chain(config.versions.iter().copied())
                .collect(),
        ));
        // RFC 8446 §4.2.8. RFC 8701 §3: a one-byte share for the GREASE group (taken out of a
        // second ClientHello again, see `handle_hello_retry_request`).
        let grease_share = grease.map(|g| KeyShareEntry {
            group: g.group,
            key_exchange: vec![0],
        });
        ext.push(ClientExtension::KeyShare(
            grease_share
                .into_iter()
                .chain(key_shares.iter().map(|k| KeyShareEntry {
                    group: k.group(),
                    key_exchange: k.pub_key().to_vec(),
                }))
                .collect(),
        ));
        // RFC 8446 §4.2.9: psk_dhe_ke unless psk_ke was explicitly enabled; RFC 8701 §3: a
        // GREASE mode before them.
        ext.push(ClientExtension::PskKeyExchangeModes(
            grease
                .map(|g| g.psk_mode)
                .into_iter()
                .chain(config.psk_modes.iter().copied())
                .collect(),
        ));
        if let Some(c) = cookie {
            // RFC 8446 §4.2.2: echo the HRR cookie.
            ext.push(ClientExtension::Cookie(c.to_vec()));
        }
        if config.client_cert.is_some() {
            // RFC 8446 §4.2.6: we will answer a CertificateRequest after the handshake.
            ext.push(ClientExtension::PostHandshakeAuth);
        }
        if !config.cert_compression.is_empty() {
            // RFC 8879 §3: the algorithms we can decompress the server's chain with (TLS 1.3
            // only: "if TLS 1.2 or earlier is negotiated, the peers MUST ignore this
            // extension").
            ext.push(ClientExtension::CompressCertificate(
                config.cert_compression.clone(),
            ));
        }
    }
    // RFC 8701 §3: ... and one with a single zero byte last (pre_shared_key, added later, must
    // stay the very last, RFC 8446 §4.2.11).
    if let Some(g) = grease {
        ext.push(ClientExtension::Unknown {
            typ: g.extension_one_byte,
            body: vec![0],
        });
    }
    ClientHello {
        // RFC 8446 §4.1.2: legacy_version = 0x0303.
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        legacy_session_id: session_id.to_vec(),
        // RFC 8701 §3: a GREASE suite first.
        cipher_suites: grease
            .map(|g| g.cipher_suite)
            .into_iter()
            .chain(offered_suites(config))
            .collect(),
        legacy_compression_methods: vec![Compression::Null],
        extensions: ext,
        extensions_absent: false,
    }
}

/// Waiting for ServerHello (or HelloRetryRequest).
struct ExpectServerHello {
    details: ClientHelloDetails,
    key_shares: Vec<Box<dyn ActiveKeyExchange>>,
    /// Buffers ClientHello until the suite (hence the hash) is known.
    transcript: Transcript,
    /// The suite fixed by a HelloRetryRequest, if there was one.
    retried: Option<&'static SuiteInfo>,
    /// The ticket offered in pre_shared_key, if any (identity 0).
    resuming: Option<ClientTicket>,
    /// The external PSKs offered after it, in order.
    externals: Vec<Arc<ExternalPsk>>,
}

impl State for ExpectServerHello {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ServerHello(sh) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::ServerHello]));
        };
        // 1. Common checks (RFC 8446 §4.1.3).
        // RFC 8446 §D.5: "Any endpoint receiving a Hello message with ...
        // ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a
        // "protocol_version" alert", whatever supported_versions selects.
        if sh.legacy_version <= ProtocolVersion::SSLv3 {
            return Err(PeerMisbehaved::ObsoleteLegacyVersion.into());
        }
        if sh.legacy_compression_method != Compression::Null {
            return Err(PeerMisbehaved::IllegalCompression.into());
        }
        let version = match sh.selected_version() {
            Some(v) => v,
            // RFC 8446 §4.1.3: a TLS 1.3 server sets legacy_version to 0x0303 and names 1.3
            // in supported_versions; 1.3 (or above) in legacy_version alone is no version we
            // offered that way.
            None if sh.legacy_version > ProtocolVersion::TLSv1_2 => {
                return Err(PeerMisbehaved::SelectedUnofferedVersion.into());
            }
            None => sh.legacy_version,
        };
        // RFC 8446 §4.1.4: "The value of selected_version in the HelloRetryRequest
        // "supported_versions" extension MUST be retained in the ServerHello, and a client MUST
        // abort the handshake with an "illegal_parameter" alert if the value changes."
        if self.retried.is_some() && version != ProtocolVersion::TLSv1_3 {
            return Err(PeerMisbehaved::SelectedUnofferedVersion.into());
        }
        // RFC 8446 §4.1.3: with supported_versions, "the legacy_version field MUST be set to
        // 0x0303".
        if sh.selected_version().is_some() && sh.legacy_version != ProtocolVersion::TLSv1_2 {
            return Err(PeerMisbehaved::SelectedUnofferedVersion.into());
        }
        if sh.selected_version().is_some()
            && (version != ProtocolVersion::TLSv1_3 || !self.details.offered_tls13)
        {
            // RFC 8446 §4.2.1: a supported_versions value we did not offer.
            return Err(PeerMisbehaved::SelectedUnofferedVersion.into());
        }
        // RFC 5246 Appendix E.1: a version we do not support is "protocol_version", whatever
        // suite came with it.
        if version != ProtocolVersion::TLSv1_3
            && (version != ProtocolVersion::TLSv1_2 || !self.details.offered_tls12)
        {
            return Err(PeerIncompatible::NoCommonVersion.into());
        }
        // RFC 8446 Appendix D.3: "A client that attempts to send 0-RTT data MUST fail a
        // connection if it receives a ServerHello with TLS 1.2 or older."
        if version != ProtocolVersion::TLSv1_3 && self.details.early_data_offered {
            return Err(PeerIncompatible::NoCommonVersion.into());
        }
        let suite = self.check_suite(sh.cipher_suite, version)?;

        if version == ProtocolVersion::TLSv1_3 {
            if sh.is_hello_retry_request() {
                return self.handle_hello_retry_request(cx, sh, &msg, suite);
            }
            // RFC 8446 §4.1.3: legacy_session_id_echo must match.
            if sh.legacy_session_id_echo != self.details.session_id {
                return Err(PeerMisbehaved::SessionIdMismatch.into());
            }
            if let Some(retry_suite) = self.retried {
                // RFC 8446 §4.1.4: the ServerHello suite must equal the HRR's.
                if retry_suite.suite != suite.suite {
                    return Err(PeerMisbehaved::SelectedUnofferedCipherSuite.into());
                }
            }
            cx.negotiated.version = Some(ProtocolVersion::TLSv1_3);
            cx.negotiated.cipher_suite = Some(suite.suite);
            cx.negotiated.hello_retry = self.retried.is_some();
            let Self {
                details,
                key_shares,
                mut transcript,
                resuming,
                externals,
                ..
            } = *self;
            let crypto = Tls13Crypto::new(&details.config.provider, suite.hash);
            let tickets = usize::from(resuming.is_some());
            // RFC 8446 §4.2.11: "Clients MUST verify that the server's selected_identity is
            // within the range supplied by the client, that the server selected a cipher suite
            // indicating a Hash associated with the PSK".
            let early = match (sh.psk_selected_identity().map(usize::from), resuming) {
                (None, _) => None,
                // RFC 8446 §4.2: an answer to an extension we did not send is
                // "unsupported_extension"; a bad answer to one we sent, "illegal_parameter".
                (Some(_), None) if externals.is_empty() => {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into())
                }
                (Some(0), Some(t)) => {
                    if !suites::lookup(t.session.suite).is_some_and(|s| s.hash == suite.hash) {
                        return Err(PeerMisbehaved::IllegalExtensionValue.into());
                    }
                    // A PSK handshake sends no Certificate (RFC 8446 §2.2): report the server
                    // chain verified when the session was made.
                    cx.negotiated.peer_certificates = t.session.peer_certs;
                    cx.negotiated.ocsp_response = t.ocsp_response;
                    Some((
                        EarlySecret::new(crypto, Some(t.session.psk.as_bytes())),
                        super::tls13::PskAuth::Resumption,
                    ))
                }
                (Some(i), _) => {
                    // An external PSK we offered, for this suite's hash: it authenticates the
                    // server in place of a certificate (RFC 8446 §2.2).
                    let psk = i
                        .checked_sub(tickets)
                        .and_then(|j| externals.get(j))
                        .filter(|p| p.hash() == suite.hash)
                        .ok_or(PeerMisbehaved::IllegalExtensionValue)?;
                    cx.negotiated.external_psk_identity = Some(psk.identity().to_vec());
                    Some((
                        EarlySecret::new(crypto, Some(psk.key())),
                        super::tls13::PskAuth::External,
                    ))
                }
            };
            transcript.start_hash(details.config.provider.hash(suite.hash))?;
            transcript.add(msg.encoded());
            return super::tls13::handle_server_hello(
                cx, details, suite, sh, key_shares, transcript, early,
            );
        }

        // TLS 1.2 or below.
        if version != ProtocolVersion::TLSv1_2 || !self.details.offered_tls12 {
            return Err(PeerIncompatible::NoCommonVersion.into());
        }
        if sh.is_hello_retry_request() {
            return Err(PeerMisbehaved::IllegalHelloRetryRequest.into());
        }
        // RFC 8446 §4.1.3: "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below
        // MUST check that the last 8 bytes are not equal to either of these values."
        if self.details.offered_tls13 {
            let tail = sh.random.get(24..).unwrap_or_default();
            if tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11 {
                return Err(PeerMisbehaved::DowngradeAttempt.into());
            }
        }
        cx.negotiated.version = Some(ProtocolVersion::TLSv1_2);
        cx.negotiated.cipher_suite = Some(suite.suite);
        let Self {
            details,
            mut transcript,
            ..
        } = *self;
        // RFC 5246 §7.4.8: a client CertificateVerify signs all handshake messages with the
        // scheme's hash, which may differ from the PRF hash: keep the raw bytes if we might sign.
        if details.config.client_cert.is_some() {
            transcript.keep_buffer()?;
        }
        transcript.start_hash(details.config.provider.hash(suite.hash))?;
        transcript.add(msg.encoded());
        super::tls12::handle_server_hello(cx, details, suite, sh, transcript)
    }
}

impl ExpectServerHello {
    /// The suite must be one we offered, for the version the server chose.
    fn check_suite(
        &self,
        suite: CipherSuite,
        version: ProtocolVersion,
    ) -> Result<&'static SuiteInfo, Error> {
        let info = suites::lookup(suite)
            .filter(|_| self.details.config.suites.iter().any(|s| s.suite == suite))
            .filter(|s| s.version == version);
        info.ok_or_else(|| PeerMisbehaved::SelectedUnofferedCipherSuite.into())
    }

    /// RFC 8446 §4.1.4: a HelloRetryRequest names the group to retry with (and maybe a cookie);
    /// we answer with a second ClientHello carrying one share for that group.
    fn handle_hello_retry_request(
        self: Box<Self>,
        cx: &mut CommonState,
        hrr: &ServerHello,
        msg: &HandshakeMessage,
        suite: &'static SuiteInfo,
    ) -> Result<Box<dyn State>, Error> {
        // "If a client receives a second HelloRetryRequest in the same connection ... it MUST
        // abort the handshake with an "unexpected_message" alert."
        if self.retried.is_some() {
            return Err(unexpected(msg, &[HandshakeType::ServerHello]));
        }
        if hrr.legacy_session_id_echo != self.details.session_id {
            return Err(PeerMisbehaved::SessionIdMismatch.into());
        }
        // RFC 8446 §4.1.4: "a HelloRetryRequest MUST NOT contain any extensions that were not
        // first offered by the client"; of ours, only these belong in it (§4.2 table).
        for e in &hrr.extensions {
            match e {
                ServerExtension::SupportedVersions(_)
                | ServerExtension::HrrKeyShare(_)
                | ServerExtension::Cookie(_) => {}
                _ => return Err(PeerMisbehaved::UnsolicitedExtension.into()),
            }
        }
        let cookie = hrr.cookie().map(<[u8]>::to_vec);
        let group = hrr.hrr_selected_group();
        // "Clients MUST abort the handshake with an "illegal_parameter" alert if the
        // HelloRetryRequest would not result in any change in the ClientHello."
        if group.is_none() && cookie.is_none() {
            return Err(PeerMisbehaved::IllegalHelloRetryRequest.into());
        }
        let Self {
            details,
            mut key_shares,
            mut transcript,
            resuming,
            mut externals,
            ..
        } = *self;
        // RFC 8446 §4.1.2: a PSK whose hash differs from the HRR's suite is dropped.
        let resuming = resuming
            .filter(|t| suites::lookup(t.session.suite).is_some_and(|s| s.hash == suite.hash));
        externals.retain(|p| p.hash() == suite.hash);
        let config = Arc::clone(&details.config);
        if let Some(group) = group {
            // "... selected_group field corresponds to a group which was provided in the
            // "supported_groups" extension ... and ... not a group for which a key share was
            // already provided" → illegal_parameter.
            if key_shares.iter().any(|k| k.group() == group) {
                return Err(PeerMisbehaved::IllegalHelloRetryRequest.into());
            }
            let Some(g) = config.groups.iter().find(|g| g.name() == group) else {
                return Err(PeerMisbehaved::SelectedUnofferedGroup.into());
            };
            key_shares = vec![g.start()?];
        }
        // RFC 8446 §4.4.1: the transcript replaces ClientHello1 with message_hash.
        transcript.start_hash(config.provider.hash(suite.hash))?;
        transcript.rollup_for_hrr()?;
        transcript.add(msg.encoded());

        let mut hello = build_client_hello(
            &config,
            &details.server_name,
            details.random,
            &details.session_id,
            &key_shares,
            cookie.as_deref(),
            details.grease.as_ref(),
        );
        repeat_session_ticket(&details.hello, &mut hello);
        // RFC 8446 §4.1.2: the second key_share is "a list containing a single KeyShareEntry
        // from the indicated group": no GREASE share there (the other GREASE values stay, and
        // an HRR with only a cookie keeps the first list whole).
        if let (Some(g), Some(_)) = (details.grease, group) {
            for e in &mut hello.extensions {
                if let ClientExtension::KeyShare(shares) = e {
                    shares.retain(|k| k.group != g.group);
                }
            }
        }
        #[cfg(test)]
        if let Some(hook) = config.test_hello_hook {
            hook(&mut hello);
        }
        // RFC 8446 §4.1.2: the second ClientHello is the same but for key_share, cookie,
        // early_data and padding; our builder produces exactly that.
        hello.random = details.random;
        let now = config.time.now().as_secs();
        let ch2 = attach_psk(
            hello.clone(),
            resuming.as_ref(),
            &externals,
            &config,
            now,
            Some(&transcript),
        )?;
        transcript.add(ch2.encoded());
        // RFC 8446 §D.4: in compatibility mode the client sends ChangeCipherSpec before its
        // second ClientHello.
        // RFC 8446 §4.2.10: after a HelloRetryRequest, early data is rejected; the second
        // ClientHello goes out in plaintext.
        let mut details = details;
        if details.early_data_offered {
            cx.clear_encrypter();
            cx.early_data_send_budget = None;
            cx.negotiated.early_data_accepted = Some(false);
            details.early_data_offered = false;
        }
        if !details.session_id.is_empty() && !details.ccs_sent {
            cx.send_ccs()?;
            details.ccs_sent = true;
        }
        cx.send_handshake(&ch2);
        cx.flush_flight()?;
        cx.negotiated.hello_retry = true;
        // RFC 8446 §5: from here a plaintext change_cipher_spec from the server is dropped.
        cx.negotiated.version = Some(ProtocolVersion::TLSv1_3);
        cx.ccs_allowed = true;
        Ok(Box::new(ExpectServerHello {
            details: ClientHelloDetails { hello, ..details },
            key_shares,
            transcript,
            retried: Some(suite),
            resuming,
            externals,
        }))
    }
}

#[cfg(test)]
mod group_tests {
    use super::*;
    use crate::verify::RootCertStore;

    fn offered_groups(versions: &[ProtocolVersion]) -> Vec<NamedGroup> {
        let mut roots = RootCertStore::empty();
        roots
            .add(&clasp_testkit::TestPki::shared().ca_cert())
            .unwrap();
        let config = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_protocol_versions(versions)
            .with_groups(&[
                NamedGroup::X25519MLKEM768,
                NamedGroup::X25519,
                NamedGroup::secp256r1,
            ])
            .build()
            .unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let hello = build_client_hello(&config, &name, [0; 32], &[], &[], None, None);
        hello
            .extensions
            .iter()
            .find_map(|e| match e {
                ClientExtension::SupportedGroups(g) => Some(g.clone()),
                _ => None,
            })
            .unwrap()
    }

    /// A TLS 1.2-only hello must not list a group TLS 1.2 cannot use (the hybrid): a TLS 1.2
    /// server picking from supported_groups could otherwise choose it (found in review; the
    /// old filter kept every group whenever TLS 1.2 was offered).
    #[test]
    fn tls12_only_hello_lists_no_tls13_only_group() {
        assert_eq!(
            offered_groups(&[ProtocolVersion::TLSv1_2]),
            [NamedGroup::X25519, NamedGroup::secp256r1]
        );
        assert_eq!(
            offered_groups(&[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]),
            [
                NamedGroup::X25519MLKEM768,
                NamedGroup::X25519,
                NamedGroup::secp256r1
            ]
        );
    }
}
