//! The TLS 1.3 client handshake (RFC 8446 §4), from ServerHello to traffic.
//!
//! ExpectEncryptedExtensions → ExpectCertificateOrCertReq → ExpectCertificate →
//! ExpectCertificateVerify → ExpectFinished → ExpectTraffic.

use std::sync::Arc;

use crate::codec::Codec;
use crate::conn::CommonState;
use crate::crypto::{ActiveKeyExchange, SharedSecret};
use crate::error::{Error, InvalidMessage, PeerMisbehaved};
use crate::handshake::client::hello::cache_key;
use crate::handshake::client::hello::ClientHelloDetails;
use crate::handshake::tls13::{decrypter, encrypter, log, TrafficSecrets};
use crate::handshake::{tls13_signed_message, unexpected, Exporter, State};
use crate::key_schedule::tls13::{
    EarlySecret, HandshakeSecret, HandshakeTrafficSecret, ResumptionMasterSecret, Tls13Crypto,
};
use crate::key_schedule::FinishedVerified;
use crate::msgs::enums::{HandshakeType, ProtocolVersion, PskKeyExchangeMode, SignatureScheme};
use crate::msgs::extensions::{
    CertReqExtension, CertificateExtension, EncryptedExtension, ServerExtension,
};
use crate::msgs::handshake::{
    CertificateEntry, CertificateRequestTls13, CertificateTls13, CompressedCertificate, Finished,
    HandshakeMessage, HandshakePayload, NewSessionTicketTls13, ServerHello,
};
use crate::msgs::tls12_kx::DigitallySigned;
use crate::session::{ClientTicket, SessionBinding, Tls13Session, MAX_TICKET_LEN};
use crate::sign::CertifiedKey;
use crate::suites::SuiteInfo;
use crate::trace::Protection;
use crate::transcript::Transcript;
use crate::verify::{
    end_entity_key, DistinguishedName, HandshakeSignatureValid, LeafKeyUse, ServerCertVerified,
};

/// Everything the TLS 1.3 client carries between states.
struct Tls13Client {
    details: ClientHelloDetails,
    suite: &'static SuiteInfo,
    transcript: Transcript,
    handshake_secret: HandshakeSecret,
    client_hs: HandshakeTrafficSecret,
    server_hs: HandshakeTrafficSecret,
    /// Authenticated by a PSK (ticket or external): no Certificate or CertificateVerify follow.
    resumed: bool,
    /// Which kind of PSK, when `resumed`.
    psk_auth: Option<PskAuth>,
}

/// The kind of PSK the server accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PskAuth {
    /// A resumption ticket of an earlier connection.
    Resumption,
    /// An external PSK (RFC 8446 §2.2): the key is the authentication.
    External,
}

/// How the server proved who it is (STYLE: proof tokens; `ExpectFinished` cannot be built
/// without one).
enum ServerAuthenticated {
    /// Chain verified, then its CertificateVerify.
    Certificate(
        // Held, never read: the proof that the chain verified (its path was taken already).
        #[allow(dead_code)] ServerCertVerified,
        HandshakeSignatureValid,
    ),
    /// The server knows the resumption PSK; its Finished (checked next) proves it.
    Resumption,
    /// The server knows the external PSK we offered and it selected (its binder-keyed schedule
    /// gives the Finished key); its Finished (checked next) proves it (RFC 8446 §2.2).
    ExternalPsk,
}

/// RFC 8446 §4.1.3 / §4.2.8: process ServerHello, derive handshake keys.
pub(crate) fn handle_server_hello(
    cx: &mut CommonState,
    mut details: ClientHelloDetails,
    suite: &'static SuiteInfo,
    sh: &ServerHello,
    key_shares: Vec<Box<dyn ActiveKeyExchange>>,
    transcript: Transcript,
    early: Option<(EarlySecret, PskAuth)>,
) -> Result<Box<dyn State>, Error> {
    // 1. Only key_share, supported_versions and pre_shared_key may appear (§4.1.3);
    // pre_shared_key only if the server accepted our PSK (checked by the caller).
    for e in &sh.extensions {
        match e {
            ServerExtension::KeyShare(_) | ServerExtension::SupportedVersions(_) => {}
            ServerExtension::PreSharedKey(_) if early.is_some() => {}
            // RFC 8446 §4.2: an extension we sent but "not specified for the message in which
            // it appears" is illegal_parameter: status_request belongs in the Certificate
            // (§4.4.2.1), never in ServerHello.
            ServerExtension::StatusRequestAck
                if details
                    .hello
                    .has_extension(crate::msgs::enums::ExtensionType::StatusRequest) =>
            {
                return Err(PeerMisbehaved::IllegalExtensionValue.into())
            }
            _ => return Err(PeerMisbehaved::UnsolicitedExtension.into()),
        }
    }
    let (early, psk_auth) = match early {
        Some((e, auth)) => (Some(e), Some(auth)),
        None => (None, None),
    };
    let resumed = early.is_some();
    cx.negotiated.resumed = psk_auth == Some(PskAuth::Resumption);
    // 2. Our key share for the server's group (§4.2.8: "MUST be in the same group as one of the
    // client's shares"), or none in psk_ke. RFC 8446 §4.2.11: clients MUST verify "that a
    // server "key_share" extension is present if required by the ClientHello
    // "psk_key_exchange_modes" extension" ("illegal_parameter"); §4.2.9: "Servers MUST NOT
    // select a key exchange mode that is not listed by the client".
    let modes = &details.config.psk_modes;
    let shared = match sh.key_share() {
        Some(_) if resumed && !modes.contains(&PskKeyExchangeMode::PskDheKe) => {
            return Err(PeerMisbehaved::UnofferedPskKeyExchangeMode.into());
        }
        Some(entry) => {
            let Some(kx) = key_shares.into_iter().find(|k| k.group() == entry.group) else {
                return Err(PeerMisbehaved::SelectedUnofferedGroup.into());
            };
            let shared = kx.complete(&entry.key_exchange)?;
            cx.negotiated.group = Some(entry.group);
            if resumed {
                cx.negotiated.psk_key_exchange_mode = Some(PskKeyExchangeMode::PskDheKe);
            }
            shared
        }
        None if resumed && modes.contains(&PskKeyExchangeMode::PskKe) => {
            // psk_ke: no (EC)DHE; RFC 8446 §7.1: "If a given secret is not available, then the
            // 0-value consisting of a string of Hash.length bytes set to zeros is used."
            cx.negotiated.psk_key_exchange_mode = Some(PskKeyExchangeMode::PskKe);
            SharedSecret::new(vec![0u8; suite.hash.output_len()])
        }
        None if resumed => return Err(PeerMisbehaved::UnofferedPskKeyExchangeMode.into()),
        None => return Err(PeerMisbehaved::MissingExtension.into()),
    };

    // 3. Key schedule: (no PSK) early secret → handshake secret → handshake traffic secrets.
    let provider = &details.config.provider;
    let early = match early {
        Some(e) => e,
        None => EarlySecret::new(Tls13Crypto::new(provider, suite.hash), None),
    };
    let handshake_secret = early.into_handshake(&shared)?;
    let hello_hash = transcript.current_hash()?;
    let client_hs = handshake_secret.client_handshake_traffic_secret(&hello_hash)?;
    let server_hs = handshake_secret.server_handshake_traffic_secret(&hello_hash)?;
    client_hs.log_to(&mut log(cx));
    server_hs.log_to(&mut log(cx));

    // 4. Read the rest of the server's flight under server_handshake_traffic_secret.
    let keys = server_hs.traffic_keys(suite.aead)?;
    let dec = decrypter(suite, &keys, provider)?;
    cx.set_decrypter(dec, Protection::HandshakeKeys)?;
    cx.ccs_allowed = true;

    // 5. Our own handshake keys, now unless 0-RTT data still goes out under the early keys
    // (then after EndOfEarlyData, in ExpectFinished). Nothing but an alert can be sent before
    // our Finished, and RFC 8446 §A.1: "clients may send alerts that derive from post-ServerHello
    // messages in the clear [...] they SHOULD first rekey to the handshake keys if possible."
    // RFC 8446 §D.4: the compatibility CCS goes "immediately before its second flight", so it
    // goes now, ahead of anything encrypted (our next record is the second flight or an alert).
    if cx.send_protection != Protection::EarlyData {
        if !details.session_id.is_empty() && !details.ccs_sent {
            cx.send_ccs()?;
            details.ccs_sent = true;
        }
        let keys = client_hs.traffic_keys(suite.aead)?;
        cx.set_encrypter(
            encrypter(suite, &keys, provider)?,
            Protection::HandshakeKeys,
        )?;
    }

    Ok(Box::new(ExpectEncryptedExtensions(Tls13Client {
        details,
        suite,
        transcript,
        handshake_secret,
        client_hs,
        server_hs,
        resumed,
        psk_auth,
    })))
}

struct ExpectEncryptedExtensions(Tls13Client);

impl State for ExpectEncryptedExtensions {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::EncryptedExtensions(ee) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::EncryptedExtensions]));
        };
        let mut st = self.0;
        let sent_sni = st
            .details
            .hello
            .has_extension(crate::msgs::enums::ExtensionType::ServerName);
        for e in &ee.extensions {
            match e {
                // RFC 7301 §3.1: exactly one protocol, one we offered.
                EncryptedExtension::Alpn(_) if st.details.config.alpn_protocols.is_empty() => {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into())
                }
                EncryptedExtension::Alpn(list) => {
                    let [proto] = list.as_slice() else {
                        return Err(PeerMisbehaved::IllegalExtensionValue.into());
                    };
                    if !st.details.config.alpn_protocols.contains(&proto.0) {
                        return Err(PeerMisbehaved::IllegalExtensionValue.into());
                    }
                    cx.negotiated.alpn_protocol = Some(proto.0.clone());
                }
                // RFC 6066 §3: an empty server_name means the server used our SNI; RFC 8446
                // §4.2: only if we sent one ("MUST NOT send extension responses if the remote
                // endpoint did not send the corresponding extension requests").
                EncryptedExtension::ServerNameAck if !sent_sni => {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into())
                }
                EncryptedExtension::ServerNameAck => {
                    cx.negotiated.server_name =
                        crate::verify::sni_host_name(&st.details.server_name).map(str::to_owned);
                }
                // RFC 8446 §4.2.11: "If the server supplies an "early_data" extension, the
                // client MUST verify that the server's selected_identity is 0. If any other
                // value is returned, the client MUST abort the handshake with an
                // "illegal_parameter" alert": no PSK accepted at all is no better (§4.2.10:
                // "In order to accept early data, the server MUST have accepted a PSK").
                EncryptedExtension::EarlyData
                    if st.details.early_data_offered
                        && st.psk_auth != Some(PskAuth::Resumption) =>
                {
                    return Err(PeerMisbehaved::IllegalExtensionValue.into())
                }
                // RFC 8446 §4.2.10: early_data only if we offered it.
                EncryptedExtension::EarlyData if st.details.early_data_offered => {
                    // RFC 8446 §4.2.10: early data is only acceptable under the ticket's own
                    // cipher suite (not merely one with the same hash).
                    let ticket_suite = st.details.early_data_params.as_ref().map(|p| p.0);
                    if ticket_suite != Some(st.suite.suite) {
                        return Err(PeerMisbehaved::IllegalExtensionValue.into());
                    }
                    cx.negotiated.early_data_accepted = Some(true);
                }
                EncryptedExtension::EarlyData => {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into())
                }
                // RFC 8449 §4: never send protected records longer than the peer's limit
                // (which counts the TLS 1.3 content type); "values less than 64 ...
                // illegal_parameter".
                EncryptedExtension::RecordSizeLimit(n) => {
                    if *n < 64 {
                        return Err(PeerMisbehaved::IllegalExtensionValue.into());
                    }
                    cx.sendbuf.set_max_fragment_len(usize::from(*n) - 1);
                    // Both sides sent the extension: ours now binds the server too.
                    if let Some(ours) = st.details.config.record_size_limit {
                        cx.max_received_fragment = usize::from(ours) - 1;
                    }
                }
                EncryptedExtension::SupportedGroups(_) => {}
                // Nothing else we send may be answered in EncryptedExtensions (RFC 8446 §4.2
                // table). RFC 8446 §4.2: one we sent but that does not belong here is
                // "illegal_parameter"; one we never sent is "unsupported_extension".
                EncryptedExtension::Unknown { typ, .. } => {
                    if st.details.hello.has_extension(*typ) {
                        return Err(PeerMisbehaved::IllegalExtensionValue.into());
                    }
                    return Err(PeerMisbehaved::UnsolicitedExtension.into());
                }
            }
        }
        // RFC 8446 §4.2.10: ... and under the ticket's ALPN protocol.
        if cx.negotiated.early_data_accepted == Some(true) {
            let ticket_alpn = st.details.early_data_params.as_ref().map(|p| &p.1);
            if ticket_alpn != Some(&cx.negotiated.alpn_protocol) {
                return Err(PeerMisbehaved::IllegalExtensionValue.into());
            }
        }
        if st.details.early_data_offered && cx.negotiated.early_data_accepted.is_none() {
            // The server ignored our early data; the caller must send it again. Stop using the
            // early keys now (the server skips what they protect), so that anything we send
            // before our Finished, an alert included, is readable (RFC 8446 §4.2.10).
            cx.negotiated.early_data_accepted = Some(false);
            cx.early_data_send_budget = None;
            let keys = st.client_hs.traffic_keys(st.suite.aead)?;
            cx.set_encrypter(
                encrypter(st.suite, &keys, &st.details.config.provider)?,
                Protection::HandshakeKeys,
            )?;
        }
        st.transcript.add(msg.encoded());
        if st.resumed {
            // RFC 8446 §2.2: a PSK handshake has no Certificate/CertificateVerify.
            let auth = match st.psk_auth {
                Some(PskAuth::External) => ServerAuthenticated::ExternalPsk,
                _ => ServerAuthenticated::Resumption,
            };
            return Ok(Box::new(ExpectFinished {
                st,
                req: None,
                _auth: auth,
            }));
        }
        Ok(Box::new(ExpectCertificateOrCertReq(st)))
    }
}

struct ExpectCertificateOrCertReq(Tls13Client);

impl State for ExpectCertificateOrCertReq {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        match msg.payload() {
            HandshakePayload::CertificateTls13(cert) => {
                handle_certificate(cx, self.0, None, cert, &msg)
            }
            HandshakePayload::CompressedCertificate(cc) => {
                let cert = decompress_certificate(cx, &self.0, cc)?;
                handle_certificate(cx, self.0, None, &cert, &msg)
            }
            HandshakePayload::CertificateRequestTls13(req) => {
                // RFC 8446 §4.3.2: "certificate_request_context ... SHALL be zero length unless
                // used for post-handshake authentication".
                if !req.certificate_request_context.is_empty() {
                    return Err(PeerMisbehaved::IllegalExtensionValue.into());
                }
                // "The "signature_algorithms" extension MUST be specified".
                if req.signature_algorithms().is_none() {
                    return Err(PeerMisbehaved::MissingExtension.into());
                }
                let req = req.clone();
                let mut st = self.0;
                st.transcript.add(msg.encoded());
                Ok(Box::new(ExpectCertificate { st, req }))
            }
            _ => Err(unexpected(
                &msg,
                &[
                    HandshakeType::Certificate,
                    HandshakeType::CertificateRequest,
                ],
            )),
        }
    }
}

struct ExpectCertificate {
    st: Tls13Client,
    req: CertificateRequestTls13,
}

impl State for ExpectCertificate {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        match msg.payload() {
            HandshakePayload::CertificateTls13(cert) => {
                handle_certificate(cx, self.st, Some(self.req), cert, &msg)
            }
            HandshakePayload::CompressedCertificate(cc) => {
                let cert = decompress_certificate(cx, &self.st, cc)?;
                handle_certificate(cx, self.st, Some(self.req), &cert, &msg)
            }
            _ => Err(unexpected(&msg, &[HandshakeType::Certificate])),
        }
    }
}

/// RFC 8879 §4: the server's Certificate out of a CompressedCertificate, with an algorithm we
/// offered. The transcript takes the CompressedCertificate as received (the caller adds `msg`).
fn decompress_certificate(
    cx: &mut CommonState,
    st: &Tls13Client,
    cc: &CompressedCertificate,
) -> Result<CertificateTls13, Error> {
    let body = crate::cert_compression::decompress(&st.details.config.cert_compression, cc)?;
    // The body is a TLS 1.3 Certificate; one that does not parse is decode_error, as when it
    // comes uncompressed.
    let HandshakePayload::CertificateTls13(cert) =
        HandshakePayload::read_body(HandshakeType::Certificate, &body, ProtocolVersion::TLSv1_3)?
    else {
        return Err(InvalidMessage::IllegalValue("compressed certificate").into());
    };
    cx.negotiated.certificate_compression = Some(cc.algorithm);
    Ok(cert)
}

/// RFC 8446 §4.4.2: the server's chain, verified before its signature is looked at.
fn handle_certificate(
    cx: &mut CommonState,
    mut st: Tls13Client,
    req: Option<CertificateRequestTls13>,
    cert: &CertificateTls13,
    msg: &HandshakeMessage,
) -> Result<Box<dyn State>, Error> {
    if !cert.certificate_request_context.is_empty() {
        return Err(PeerMisbehaved::IllegalExtensionValue.into());
    }
    // RFC 8446 §4.4.2.4: "If the server supplies an empty Certificate message, the client MUST
    // abort the handshake with a "decode_error" alert."
    let Some((ee, rest)) = cert.certificate_list.split_first() else {
        return Err(InvalidMessage::IllegalValue("empty server Certificate").into());
    };
    // RFC 8446 §4.4.2: CertificateEntry extensions "MUST correspond to ones from the
    // ClientHello"; of ours only status_request belongs there (§4.4.2.1), and only if we sent
    // it ("unsupported_extension" otherwise, §4.2). The end-entity's response is the one that
    // speaks for the server; one on an intermediate is allowed and ignored.
    let asked_ocsp = st
        .details
        .hello
        .has_extension(crate::msgs::enums::ExtensionType::StatusRequest);
    for entry in &cert.certificate_list {
        for e in &entry.extensions {
            match e {
                CertificateExtension::CertificateStatus(_) if asked_ocsp => {}
                _ => return Err(PeerMisbehaved::UnsolicitedExtension.into()),
            }
        }
    }
    let staple = ee.extensions.iter().find_map(|e| match e {
        CertificateExtension::CertificateStatus(s) => Some(s.ocsp_response.clone()),
        _ => None,
    });
    let intermediates: Vec<_> = rest.iter().map(|e| e.cert_data.clone()).collect();
    let config = Arc::clone(&st.details.config);
    // 1. verify the chain and the name.
    let mut verified = config.verifier.verify_server_cert(
        &ee.cert_data,
        &intermediates,
        &st.details.server_name,
        config.time.now(),
    )?;
    // 2. RFC 8446 §4.4.2.2: "The certificate MUST allow the key to be used for signing (i.e.,
    // the digitalSignature bit MUST be set if the Key Usage extension is present)".
    end_entity_key(&ee.cert_data)?.check_usage(LeafKeyUse::Sign)?;
    // The verified path (leaf and the intermediates used), not extras the server appended.
    cx.negotiated.peer_certificates = verified.take_path().unwrap_or_else(|| {
        cert.certificate_list
            .iter()
            .map(|e| e.cert_data.clone())
            .collect()
    });
    cx.negotiated.ocsp_stapled = staple.is_some();
    cx.negotiated.ocsp_response = staple;
    st.transcript.add(msg.encoded());
    Ok(Box::new(ExpectCertificateVerify { st, req, verified }))
}

struct ExpectCertificateVerify {
    st: Tls13Client,
    req: Option<CertificateRequestTls13>,
    verified: ServerCertVerified,
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
        let Self {
            mut st,
            req,
            verified,
        } = *self;
        let config = Arc::clone(&st.details.config);
        // RFC 8446 §4.4.3: "the algorithm field MUST be one of those offered in the client's
        // "signature_algorithms" extension".
        if !config
            .verifier
            .supported_verify_schemes()
            .contains(&sig.scheme)
        {
            return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
        }
        let hash = st.transcript.current_hash()?;
        let message = tls13_signed_message(true, hash.as_ref());
        let ee = cx
            .negotiated
            .peer_certificates
            .first()
            .ok_or(PeerMisbehaved::NoCertificate)?;
        // RFC 8446 §4.4.3: the scheme must fit the key before the signature is checked.
        crate::verify::end_entity_key(ee)?.check_tls13_scheme(sig.scheme)?;
        let sig_valid =
            config
                .verifier
                .verify_tls13_signature(&message, ee, sig.scheme, &sig.signature)?;
        cx.negotiated.signature_scheme = Some(sig.scheme);
        st.transcript.add(msg.encoded());
        Ok(Box::new(ExpectFinished {
            st,
            req,
            _auth: ServerAuthenticated::Certificate(verified, sig_valid),
        }))
    }
}

struct ExpectFinished {
    st: Tls13Client,
    req: Option<CertificateRequestTls13>,
    /// Proof that the server authenticated itself.
    _auth: ServerAuthenticated,
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
        let Self { mut st, req, .. } = *self;
        let config = Arc::clone(&st.details.config);
        let provider = &config.provider;

        // 1. RFC 8446 §4.4.4: verify the server Finished (constant time).
        let hash = st.transcript.current_hash()?;
        let finished = st.server_hs.verify_finished(&hash, &fin.verify_data)?;
        st.transcript.add(msg.encoded());

        // 2. Application secrets from ClientHello..server Finished (§7.1).
        let hash = st.transcript.current_hash()?;
        let Tls13Client {
            details,
            suite,
            mut transcript,
            handshake_secret,
            client_hs,
            server_hs: _,
            resumed: _,
            psk_auth: _,
        } = st;
        let master = handshake_secret.into_master()?;
        let client_ap = master.client_application_traffic_secret(&hash)?;
        let server_ap = master.server_application_traffic_secret(&hash)?;
        let exporter = master.exporter_master_secret(&hash)?;
        client_ap.log_to(&mut log(cx));
        server_ap.log_to(&mut log(cx));
        exporter.log_to(&mut log(cx));
        let keys = server_ap.traffic_keys(suite.aead)?;
        let dec = decrypter(suite, &keys, provider)?;
        cx.set_decrypter(dec, Protection::ApplicationKeys)?;
        cx.ccs_allowed = false;

        // 3. Our second flight under client_handshake_traffic_secret. RFC 8446 §D.4: a
        // ChangeCipherSpec first when in middlebox compatibility mode.
        if !details.session_id.is_empty() && !details.ccs_sent {
            cx.send_ccs()?;
        }
        // RFC 8446 §4.5: EndOfEarlyData, under the early keys, if the server took our 0-RTT.
        cx.early_data_send_budget = None;
        if cx.negotiated.early_data_accepted == Some(true) {
            let eoed = HandshakeMessage::new(HandshakePayload::EndOfEarlyData);
            transcript.add(eoed.encoded());
            cx.send_handshake(&eoed);
        }
        // (Already installed after ServerHello unless 0-RTT was in flight.)
        if cx.send_protection != Protection::HandshakeKeys {
            let keys = client_hs.traffic_keys(suite.aead)?;
            cx.set_encrypter(
                encrypter(suite, &keys, provider)?,
                Protection::HandshakeKeys,
            )?;
        }

        // 4. Client certificate, if asked (§4.4.2, §4.4.3).
        if let Some(req) = req {
            emit_client_certificate(cx, &details.config, &mut transcript, &req)?;
        }

        // 5. Client Finished (§4.4.4).
        let hash = transcript.current_hash()?;
        let verify_data = client_hs.compute_finished(&hash)?;
        let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
            verify_data: verify_data.as_ref().to_vec(),
        }));
        transcript.add(fin.encoded());
        cx.send_handshake(&fin);

        // 6. Traffic keys; resumption_master_secret covers the client Finished (§7.1).
        let keys = client_ap.traffic_keys(suite.aead)?;
        cx.set_encrypter(
            encrypter(suite, &keys, provider)?,
            Protection::ApplicationKeys,
        )?;
        let hash = transcript.current_hash()?;
        let resumption = master.into_resumption_master_secret(&hash)?;
        cx.exporter = Some(Exporter::Tls13(exporter));
        cx.start_traffic()?;
        Ok(Box::new(ExpectTraffic {
            _finished: finished,
            secrets: TrafficSecrets {
                suite,
                aead: config.provider.aead(suite.aead),
                ours: Some(client_ap),
                theirs: Some(server_ap),
            },
            // Boxed and kept only when used: an idle connection without tickets or
            // post-handshake auth carries 8 bytes for each instead of the whole struct.
            resumption: config.enable_tickets.then(|| Box::new(resumption)),
            cache_key: if config.enable_tickets {
                cache_key(&details.server_name).into_boxed_str()
            } else {
                Box::default()
            },
            post_handshake_auth: details.config.client_cert.is_some(),
            transcript: details
                .config
                .client_cert
                .is_some()
                .then(|| Box::new(transcript)),
            config,
        }))
    }
}

/// RFC 8446 §4.4.2 and §4.4.3: our Certificate (possibly empty) and CertificateVerify.
fn emit_client_certificate(
    cx: &mut CommonState,
    config: &crate::config::ClientConfig,
    transcript: &mut Transcript,
    req: &CertificateRequestTls13,
) -> Result<(), Error> {
    // RFC 8446 §4.4.3: "RSA signatures MUST use an RSASSA-PSS algorithm": a CertificateRequest
    // may list rsa_pkcs1_* (for certificate signatures, §4.2.3), which must not be picked here.
    let schemes: Vec<SignatureScheme> = req
        .signature_algorithms()
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|s| {
            !matches!(
                *s,
                SignatureScheme::RSA_PKCS1_SHA1
                    | SignatureScheme::RSA_PKCS1_SHA256
                    | SignatureScheme::RSA_PKCS1_SHA384
                    | SignatureScheme::RSA_PKCS1_SHA512
            )
        })
        .collect();
    let cas: Vec<DistinguishedName> = req
        .extensions
        .iter()
        .find_map(|e| match e {
            CertReqExtension::CertificateAuthorities(list) => Some(
                list.iter()
                    .map(|dn| DistinguishedName::from_der(dn.0.clone()))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let chosen: Option<Arc<CertifiedKey>> = config
        .client_cert
        .as_ref()
        .and_then(|r| r.resolve(&cas, &schemes));
    let signer = chosen
        .as_ref()
        .and_then(|ck| ck.key.choose_scheme(&schemes).map(|s| (ck, s)));
    let certificate_list = match &signer {
        Some((ck, _)) => ck
            .cert
            .iter()
            .map(|c| CertificateEntry {
                cert_data: c.clone(),
                extensions: Vec::new(),
            })
            .collect(),
        None => Vec::new(),
    };
    let cert_msg = CertificateTls13 {
        certificate_request_context: req.certificate_request_context.clone(),
        certificate_list,
    };
    // RFC 8879 §4: compressed with an algorithm the server's CertificateRequest accepts (ours
    // first), when there is one; the transcript takes the message as sent.
    let cert =
        match crate::cert_compression::choose(&config.cert_compression, req.compress_certificate())
        {
            Some(alg) => {
                let mut body = Vec::new();
                cert_msg.encode(&mut body);
                cx.negotiated.client_certificate_compression = Some(alg);
                HandshakeMessage::new(HandshakePayload::CompressedCertificate(
                    crate::cert_compression::compressed_message(alg, &body, None)?,
                ))
            }
            None => HandshakeMessage::new(HandshakePayload::CertificateTls13(cert_msg)),
        };
    transcript.add(cert.encoded());
    cx.send_handshake(&cert);
    if let Some((_, signer)) = signer {
        let hash = transcript.current_hash()?;
        let message = tls13_signed_message(false, hash.as_ref());
        let signature = signer.sign(&message)?;
        let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(DigitallySigned {
            scheme: signer.scheme(),
            signature,
        }));
        transcript.add(cv.encoded());
        cx.send_handshake(&cv);
    }
    Ok(())
}

/// The established connection: post-handshake messages (RFC 8446 §4.6).
struct ExpectTraffic {
    /// RFC 8446 §4.4.4: no traffic state without the server's Finished verified.
    _finished: FinishedVerified,
    secrets: TrafficSecrets,
    resumption: Option<Box<ResumptionMasterSecret>>,
    /// The session cache key (empty when tickets are off: nothing is stored).
    cache_key: Box<str>,
    config: Arc<crate::config::ClientConfig>,
    /// We sent post_handshake_auth (RFC 8446 §4.2.6).
    post_handshake_auth: bool,
    /// The transcript through our Finished: the base of post-handshake authentication (kept
    /// only when we offered it).
    transcript: Option<Box<Transcript>>,
}

impl ExpectTraffic {
    /// RFC 8446 §4.6.1: keep the ticket with its PSK (from resumption_master_secret and the
    /// ticket nonce) for a later connection to the same server.
    fn store_ticket(&self, cx: &CommonState, nst: &NewSessionTicketTls13) -> Result<(), Error> {
        let (Some(rms), true) = (&self.resumption, self.config.enable_tickets) else {
            return Ok(());
        };
        // "The value of zero indicates that the ticket should be discarded immediately."
        if nst.ticket_lifetime == 0 {
            return Ok(());
        }
        // A ticket too large to fit in a ClientHello would break the next connection: drop it
        // here (see MAX_TICKET_LEN).
        if nst.ticket.len() > MAX_TICKET_LEN {
            return Ok(());
        }
        let now = self.config.time.now().as_secs();
        let session = Tls13Session {
            suite: self.secrets.suite.suite,
            psk: rms.ticket_psk(&nst.ticket_nonce)?,
            age_add: nst.ticket_age_add,
            issued: now,
            // "Servers MUST NOT use any value greater than 604800 seconds (7 days)".
            lifetime: nst.ticket_lifetime.min(604_800),
            alpn: cx.negotiated.alpn_protocol.clone(),
            sni: None,
            max_early_data: nst.max_early_data_size().unwrap_or(0),
            auth_time: now,
            // Reported again when the ticket resumes (a resumed connection's own is the
            // original's, so the chain carries through).
            peer_certs: cx.negotiated.peer_certificates.clone(),
        };
        self.config.session_cache.insert(
            &self.cache_key,
            ClientTicket {
                ticket: nst.ticket.clone(),
                session,
                binding: SessionBinding::of(&self.config),
                ocsp_response: cx.negotiated.ocsp_response.clone(),
            },
        );
        Ok(())
    }
}

impl ExpectTraffic {
    /// RFC 8446 §4.6.2: Certificate, CertificateVerify and Finished over the main handshake's
    /// transcript plus this CertificateRequest, under the current application keys.
    fn answer_post_handshake_auth(
        &self,
        cx: &mut CommonState,
        req: &CertificateRequestTls13,
        msg: &HandshakeMessage,
    ) -> Result<(), Error> {
        // "certificate_request_context ... SHALL be zero length unless used for the
        // post-handshake authentication exchanges"; there it must tell requests apart.
        if req.certificate_request_context.is_empty() || req.signature_algorithms().is_none() {
            return Err(PeerMisbehaved::IllegalExtensionValue.into());
        }
        let mut transcript = self
            .transcript
            .as_ref()
            .ok_or(crate::error::InternalError::Unreachable("no transcript"))?
            .fork()?;
        transcript.add(msg.encoded());
        emit_client_certificate(cx, &self.config, &mut transcript, req)?;
        let secret = self
            .secrets
            .ours
            .as_ref()
            .ok_or(crate::error::InternalError::Unreachable(
                "no traffic secret",
            ))?;
        let hash = transcript.current_hash()?;
        let verify_data = secret.compute_finished(&hash)?;
        cx.send_handshake(&HandshakeMessage::new(HandshakePayload::Finished(
            Finished {
                verify_data: verify_data.as_ref().to_vec(),
            },
        )));
        Ok(())
    }
}

impl State for ExpectTraffic {
    #[cfg(feature = "internal")]
    fn heap_parts(&self, out: &mut Vec<(&'static str, usize)>) {
        out.push((
            "TLS 1.3 client ExpectTraffic (boxed struct)",
            core::mem::size_of_val(self),
        ));
        out.push(("  cache_key", self.cache_key.len()));
        if let Some(t) = &self.transcript {
            // The hash context inside is not itemised; it shows as unaccounted.
            out.push((
                "  transcript box (post-handshake auth)",
                core::mem::size_of_val(&**t),
            ));
        }
        if let Some(r) = &self.resumption {
            out.push((
                "  resumption master secret box",
                core::mem::size_of_val(&**r),
            ));
        }
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        match msg.payload() {
            HandshakePayload::NewSessionTicketTls13(nst) => {
                self.store_ticket(cx, nst)?;
                Ok(self)
            }
            HandshakePayload::CertificateRequestTls13(req) if self.post_handshake_auth => {
                // Each answer costs a signature and about a kilobyte of output: at most 32 in
                // a row without application data between them.
                cx.count_post_handshake_message()?;
                self.answer_post_handshake_auth(cx, req, &msg)?;
                Ok(self)
            }
            HandshakePayload::KeyUpdate(req) => {
                self.secrets.on_key_update(cx, *req)?;
                Ok(self)
            }
            _ => Err(unexpected(
                &msg,
                &[HandshakeType::NewSessionTicket, HandshakeType::KeyUpdate],
            )),
        }
    }

    fn send_key_update(&mut self, cx: &mut CommonState, request_peer: bool) -> Result<(), Error> {
        self.secrets.send_key_update(cx, request_peer)
    }
}
