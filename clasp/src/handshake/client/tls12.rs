//! The TLS 1.2 client handshake (RFC 5246 §7.4), after ServerHello.
//!
//! Full handshake (RFC 5246 §7.3 figure 1): ServerHello → ExpectCertificate →
//! ExpectServerKeyExchange (ECDHE/DHE only) → ExpectCertificateRequestOrDone →
//! [ExpectServerHelloDone] → our flight ([Certificate], ClientKeyExchange, [CertificateVerify],
//! ChangeCipherSpec, Finished) → [ExpectNewSessionTicket] → ExpectCcs → ExpectFinished →
//! ExpectTraffic.
//!
//! Abbreviated handshake (RFC 5246 §7.3 figure 2; RFC 5077 §3.1 with a ticket): ServerHello
//! echoing the session ID we offered → [ExpectNewSessionTicket] → ExpectCcs → ExpectFinished →
//! our ChangeCipherSpec, Finished → ExpectTraffic.
//!
//! Owns the client's TLS 1.2 decisions: which ServerHello extensions are acceptable, which
//! ServerKeyExchange parameters are acceptable (named EC groups we enabled; the RFC 7919 and
//! RFC 3526 DH primes, by exact match), the RSA key transport, the key switches at ChangeCipherSpec, recognising a resumed
//! session and storing sessions for later. Never: renegotiation (refused), anonymous suites,
//! resuming a session without an extended master secret (RFC 7627 §5.3).
//!
//! Strictness: the server MUST answer our empty `renegotiation_info` with an empty one
//! (RFC 5746 §3.4 lets a client abort when it is absent; we do, `BadRenegotiationInfo`). A server
//! that does not echo `extended_master_secret` still gets a full handshake with the RFC 5246 §8.1
//! master secret (RFC 7627 §5.3 leaves that to the client); the state records `ems = false`.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::conn::CommonState;
use crate::crypto::ffdhe::{dh_group_for_params, FfdheParams};
use crate::crypto::{KeyKind, SharedSecret, Signer};
use crate::error::{Error, InvalidMessage, PeerMisbehaved};
use crate::handshake::client::hello::ClientHelloDetails;
use crate::handshake::tls13::log;
use crate::handshake::{unexpected, Exporter, State};
use crate::key_schedule::tls12::{ConnectionRandoms, FinishedSender, MasterSecret};
use crate::key_schedule::FinishedVerified;
use crate::key_schedule::TrafficKeys;
use crate::msgs::enums::{
    ContentType, EcPointFormat, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::ServerExtension;
use crate::msgs::handshake::{
    CertificateRequestTls12, CertificateTls12, Finished, HandshakeMessage, HandshakePayload,
    NewSessionTicketTls12, ServerHello,
};
use crate::msgs::tls12_kx::{
    signed_message, ClientKeyExchange, DigitallySigned, ServerKeyExchangeParams,
};
use crate::record::{RecordDecrypter, RecordEncrypter};
use crate::session::{
    ClientTls12Session, SessionBinding, Tls12Session, MAX_TICKET_LEN, TICKET_LIFETIME_SECS,
};
use crate::sign::CertifiedKey;
use crate::suites::{Authentication, KeyExchange, SuiteInfo};
use crate::trace::Protection;
use crate::transcript::Transcript;
use crate::verify::{
    end_entity_key, CertificateDer, DistinguishedName, HandshakeSignatureValid, LeafKeyUse,
    ServerCertVerified,
};

/// Whether `g` is an elliptic-curve group usable for TLS 1.2 ECDHE (RFC 8422 §5.1.1; the
/// post-quantum hybrids are TLS 1.3 only).
pub(crate) fn is_tls12_ec_group(g: NamedGroup) -> bool {
    matches!(
        g,
        NamedGroup::X25519
            | NamedGroup::X448
            | NamedGroup::secp256r1
            | NamedGroup::secp384r1
            | NamedGroup::secp521r1
    )
}

/// Everything the TLS 1.2 client carries between states.
struct Tls12Client {
    details: ClientHelloDetails,
    suite: &'static SuiteInfo,
    transcript: Transcript,
    randoms: ConnectionRandoms,
    /// RFC 7627: the server echoed extended_master_secret.
    ems: bool,
    /// RFC 5077 §3.2: the server's empty session_ticket promises a NewSessionTicket.
    ticket_promised: bool,
    /// The session ID from ServerHello (RFC 5246 §7.4.1.3), to store the session under.
    server_session_id: Vec<u8>,
    /// The ticket from NewSessionTicket and its lifetime hint (RFC 5077 §3.3), if any.
    new_ticket: Option<NewSessionTicketTls12>,
    /// The session being resumed (abbreviated handshake).
    resumed: Option<ClientTls12Session>,
    /// RFC 6066 §8: the server acknowledged our status_request; a CertificateStatus may
    /// follow its Certificate.
    ocsp_acked: bool,
}

/// RFC 5246 §7.4.1.3: check the ServerHello's extensions and wait for the server Certificate.
pub(crate) fn handle_server_hello(
    cx: &mut CommonState,
    details: ClientHelloDetails,
    suite: &'static SuiteInfo,
    server_hello: &ServerHello,
    transcript: Transcript,
) -> Result<Box<dyn State>, Error> {
    let mut ems = false;
    let mut saw_reneg = false;
    let mut ticket_promised = false;
    let mut ocsp_acked = false;
    for e in &server_hello.extensions {
        match e {
            // RFC 5746 §3.4: "the client MUST ... verify that the length of the
            // "renegotiated_connection" field is zero, and if it is not, MUST abort".
            ServerExtension::RenegotiationInfo(v) => {
                if !v.is_empty() {
                    return Err(PeerMisbehaved::BadRenegotiationInfo.into());
                }
                saw_reneg = true;
            }
            // RFC 7627 §5.1: the server agreed to the extended master secret.
            ServerExtension::ExtendedMasterSecret => ems = true,
            // RFC 8422 §5.2: the server's list must contain uncompressed (the only one we sent).
            ServerExtension::EcPointFormats(f) => {
                if !f.contains(&EcPointFormat::Uncompressed) {
                    return Err(PeerMisbehaved::IllegalExtensionValue.into());
                }
            }
            // RFC 6066 §3: an empty server_name acknowledges our SNI.
            ServerExtension::ServerNameAck => {
                let sent = details
                    .hello
                    .has_extension(crate::msgs::enums::ExtensionType::ServerName);
                if !sent {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into());
                }
                cx.negotiated.server_name =
                    crate::verify::sni_host_name(&details.server_name).map(str::to_owned);
            }
            // RFC 5077 §3.2: an empty session_ticket answers ours and promises a
            // NewSessionTicket.
            ServerExtension::SessionTicketAck => {
                let sent = details
                    .hello
                    .has_extension(crate::msgs::enums::ExtensionType::SessionTicket);
                if !sent {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into());
                }
                ticket_promised = true;
            }
            // RFC 8449 §4: the server's limit on the records we send (in TLS 1.2 it counts
            // plaintext only, at most 2^14); "MUST treat receipt of a smaller value [than 64]
            // as a fatal error and generate an illegal_parameter alert". Both sides sent it,
            // so ours binds the server too.
            ServerExtension::RecordSizeLimit(n) => {
                let sent = details
                    .hello
                    .has_extension(crate::msgs::enums::ExtensionType::RecordSizeLimit);
                if !sent {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into());
                }
                if *n < 64 {
                    return Err(PeerMisbehaved::IllegalExtensionValue.into());
                }
                cx.sendbuf.set_max_fragment_len(usize::from(*n));
                if let Some(ours) = details.config.record_size_limit {
                    cx.max_received_fragment = usize::from(ours).min(1 << 14);
                }
            }
            // RFC 6066 §8: an empty status_request answers ours; the server "MAY" then send
            // CertificateStatus. On resumption it means nothing (OpenSSL sends it anyway) and
            // is ignored: the abbreviated handshake has no Certificate.
            ServerExtension::StatusRequestAck => {
                let sent = details
                    .hello
                    .has_extension(crate::msgs::enums::ExtensionType::StatusRequest);
                if !sent {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into());
                }
                ocsp_acked = true;
            }
            // RFC 7301 §3.1: exactly one protocol, one we offered.
            ServerExtension::Alpn(list) => {
                // RFC 5246 §7.4.1.4: nothing in ServerHello that the ClientHello lacked.
                if details.config.alpn_protocols.is_empty() {
                    return Err(PeerMisbehaved::UnsolicitedExtension.into());
                }
                let [proto] = list.as_slice() else {
                    return Err(PeerMisbehaved::IllegalExtensionValue.into());
                };
                if !details.config.alpn_protocols.contains(&proto.0) {
                    return Err(PeerMisbehaved::IllegalExtensionValue.into());
                }
                cx.negotiated.alpn_protocol = Some(proto.0.clone());
            }
            // RFC 5246 §7.4.1.4: "If a client receives an extension type in ServerHello that it
            // did not request in the associated ClientHello, it MUST abort".
            _ => return Err(PeerMisbehaved::UnsolicitedExtension.into()),
        }
    }
    // RFC 5746 §3.4: without renegotiation_info the server may be unpatched; we are strict.
    if !saw_reneg {
        return Err(PeerMisbehaved::BadRenegotiationInfo.into());
    }
    // RFC 7627 §5.3: "If a client receives a ServerHello without the extension, it SHOULD
    // abort the handshake if it does not wish to interoperate with legacy servers" — only when
    // configured (`require_ems`); otherwise the session is neither resumed nor exported from.
    if !ems && details.config.require_ems {
        return Err(PeerMisbehaved::MissingExtendedMasterSecret.into());
    }
    cx.negotiated.extended_master_secret = ems;
    let randoms = ConnectionRandoms {
        client: details.random,
        server: server_hello.random,
    };
    let mut details = details;
    let offered = details.tls12_resuming.take();
    let echo = &server_hello.legacy_session_id_echo;
    // RFC 5246 §7.4.1.3: the server resumes by echoing the session ID we sent; RFC 5077 §3.4:
    // with a ticket, "If the server accepts the ticket and the Session ID is not empty, then it
    // MUST respond with the same Session ID present in the ClientHello".
    let resuming = !echo.is_empty() && *echo == details.session_id;
    let st = Tls12Client {
        details,
        suite,
        transcript,
        randoms,
        ems,
        ticket_promised,
        server_session_id: server_hello.legacy_session_id_echo.clone(),
        new_ticket: None,
        resumed: None,
        ocsp_acked,
    };
    if !resuming {
        return Ok(Box::new(ExpectCertificate(st)));
    }
    // The echo of a session ID that names no session we offered (our random compatibility
    // value) is not a resumption we can perform.
    let session = offered.ok_or(PeerMisbehaved::SessionIdMismatch)?;
    let session = check_resumption(&st, session)?;
    resume(cx, session, st)
}

/// Checks the server's choice against the session it resumes; returns the session.
fn check_resumption(
    st: &Tls12Client,
    session: ClientTls12Session,
) -> Result<ClientTls12Session, Error> {
    // RFC 5246 §7.4.1.3: "For resumed sessions, this field [cipher_suite] is the value from the
    // state of the session being resumed."
    if session.session.suite != st.suite.suite {
        return Err(PeerMisbehaved::SelectedUnofferedCipherSuite.into());
    }
    // RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension but
    // the new ServerHello does not contain the extension, the client MUST abort the handshake."
    if session.session.ems && !st.ems {
        return Err(PeerMisbehaved::MissingExtendedMasterSecret.into());
    }
    Ok(session)
}

/// RFC 5246 §7.3 abbreviated handshake: keys from the stored master secret and the new
/// randoms; then [NewSessionTicket], the server's ChangeCipherSpec and Finished.
fn resume(
    cx: &mut CommonState,
    session: ClientTls12Session,
    mut st: Tls12Client,
) -> Result<Box<dyn State>, Error> {
    let provider = &st.details.config.provider;
    let master = MasterSecret::from_session(
        provider.hmac(st.suite.hash),
        session.session.master_secret.as_bytes(),
        st.randoms,
    )?;
    master.log_to(&mut log(cx));
    let block = master.key_block(st.suite.aead)?;
    st.transcript.release_buffer();
    cx.negotiated.resumed = true;
    cx.negotiated.peer_certificates = session.server_certs.clone();
    cx.negotiated
        .ocsp_response
        .clone_from(&session.ocsp_response);
    // RFC 5246 §7.2.2: "any connection terminated with a fatal alert MUST NOT be resumed".
    // Forget the session while its abbreviated handshake runs; `store_session` puts it back
    // once the server's Finished has verified, so only a failed attempt loses it.
    let key = super::hello::cache_key(&st.details.server_name);
    st.details
        .config
        .session_cache
        .remove_tls12_if_same(&key, &session);
    st.resumed = Some(session);
    let next = ExpectCcs {
        st,
        master,
        server_keys: block.server,
        client_keys: Some(block.client),
    };
    Ok(if next.st.ticket_promised {
        Box::new(ExpectNewSessionTicket(next))
    } else {
        Box::new(next)
    })
}

struct ExpectCertificate(Tls12Client);

/// RFC 5246 §7.4.2: "The end-entity certificate's public key (and associated restrictions)
/// MUST be compatible with the selected key exchange algorithm": RSA and ECDHE_RSA/DHE_RSA need
/// an RSA key, ECDHE_ECDSA an ECDSA or EdDSA key (RFC 8422 §5.3). RSA key transport needs
/// keyEncipherment, the signed key exchanges digitalSignature, "if the key usage extension is
/// present". The type is checked first: a key of the wrong type is the server's choice of suite
/// gone wrong (illegal_parameter), a KeyUsage bit the certificate's limit (unsupported_certificate).
///
/// RFC 4492 §5.1: an ECC suite "must be negotiated only if the server can successfully complete
/// the handshake while using the curves ... supported by the client (cf. Sections 5.3 and
/// 5.4)": an ECDSA key must be on a curve we offered in supported_groups.
fn check_key_fits_suite(
    ee: &CertificateDer<'_>,
    suite: &SuiteInfo,
    offered_groups: &[&'static dyn crate::crypto::SupportedKxGroup],
) -> Result<(), Error> {
    let key = end_entity_key(ee)?;
    let fits = match suite.auth {
        Authentication::Rsa => key.kind == KeyKind::Rsa,
        Authentication::Ecdsa => matches!(key.kind, KeyKind::Ecdsa | KeyKind::Ed25519),
        _ => false,
    };
    if !fits {
        return Err(PeerMisbehaved::CertificateKeyMismatchesSuite.into());
    }
    if key.kind == KeyKind::Ecdsa
        && !key
            .curve
            .is_some_and(|c| offered_groups.iter().any(|g| g.name() == c))
    {
        return Err(PeerMisbehaved::CertificateCurveNotOffered.into());
    }
    key.check_usage(if suite.kx == KeyExchange::Rsa {
        LeafKeyUse::Encipher
    } else {
        LeafKeyUse::Sign
    })
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
        let mut st = self.0;
        let config = Arc::clone(&st.details.config);
        // RFC 5246 §7.4.2: every suite we offer authenticates the server with a certificate.
        let Some((ee, rest)) = cert.certificate_list.split_first() else {
            return Err(InvalidMessage::IllegalValue("empty server Certificate").into());
        };
        // 1. The chain and the name.
        let mut verified = config.verifier.verify_server_cert(
            ee,
            rest,
            &st.details.server_name,
            config.time.now(),
        )?;
        // 2. The key fits the suite and its KeyUsage allows the use we make of it.
        check_key_fits_suite(ee, st.suite, &config.groups)?;
        // The verified path (leaf and the intermediates used), not extras the server appended.
        cx.negotiated.peer_certificates = verified
            .take_path()
            .unwrap_or_else(|| cert.certificate_list.clone());
        st.transcript.add(msg.encoded());
        // 3. RFC 5246 §7.4.3: ServerKeyExchange follows for (EC)DHE, never for RSA key transport.
        let ocsp_acked = st.ocsp_acked;
        let next = match st.suite.kx {
            KeyExchange::Rsa => AfterCertificate::RequestOrDone(ExpectCertificateRequestOrDone {
                st,
                kx: ClientKx::Rsa,
                _verified: verified,
            }),
            _ => AfterCertificate::KeyExchange(ExpectServerKeyExchange { st, verified }),
        };
        // 4. RFC 6066 §8: after an acknowledged status_request, CertificateStatus may come
        // next; without the acknowledgement it is an unexpected message.
        Ok(if ocsp_acked {
            Box::new(ExpectCertificateStatus(next))
        } else {
            next.into_state()
        })
    }
}

/// What follows the server's Certificate (and its optional CertificateStatus).
enum AfterCertificate {
    KeyExchange(ExpectServerKeyExchange),
    RequestOrDone(ExpectCertificateRequestOrDone),
}

impl AfterCertificate {
    fn st(&mut self) -> &mut Tls12Client {
        match self {
            Self::KeyExchange(s) => &mut s.st,
            Self::RequestOrDone(s) => &mut s.st,
        }
    }

    fn into_state(self) -> Box<dyn State> {
        match self {
            Self::KeyExchange(s) => Box::new(s),
            Self::RequestOrDone(s) => Box::new(s),
        }
    }
}

/// RFC 6066 §8: the server acknowledged status_request; "a server MAY also choose not to send
/// a "CertificateStatus" message", so anything else is handed to the state that follows.
struct ExpectCertificateStatus(AfterCertificate);

impl State for ExpectCertificateStatus {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let mut next = self.0;
        let HandshakePayload::CertificateStatus(status) = msg.payload() else {
            return next.into_state().handle(cx, msg);
        };
        // The codec already refused an empty response (`OCSPResponse<1..2^24-1>`: decode_error)
        // and one over MAX_OCSP_RESPONSE_SIZE. The response is kept, not judged (crate::ocsp).
        cx.negotiated.ocsp_response = Some(status.ocsp_response.clone());
        cx.negotiated.ocsp_stapled = true;
        next.st().transcript.add(msg.encoded());
        Ok(next.into_state())
    }
}

/// The key exchange as known after the server's flight.
enum ClientKx {
    /// (EC)DHE done: our public value to send, and the shared secret (the pre-master secret).
    Agreed {
        public: Vec<u8>,
        shared: SharedSecret,
        _sig_valid: HandshakeSignatureValid,
    },
    /// RSA key transport: the pre-master secret is chosen when we send ClientKeyExchange.
    Rsa,
}

struct ExpectServerKeyExchange {
    st: Tls12Client,
    verified: ServerCertVerified,
}

impl State for ExpectServerKeyExchange {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ServerKeyExchange(ske) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::ServerKeyExchange]));
        };
        let Self { mut st, verified } = *self;
        let config = Arc::clone(&st.details.config);
        let provider = &config.provider;

        // 1. Decode for the negotiated key exchange and check the group.
        let mut dh_params: Option<&'static FfdheParams> = None;
        let (group, peer_public, params_raw, signature) = match ske.parse(st.suite.kx)? {
            ServerKeyExchangeParams::Ecdhe(p) => {
                // RFC 8422 §5.4: the curve must be one we offered in supported_groups.
                let name = p.params.named_group;
                if !is_tls12_ec_group(name) || !config.groups.iter().any(|g| g.name() == name) {
                    return Err(PeerMisbehaved::SelectedUnofferedGroup.into());
                }
                (name, p.params.public, p.params_raw, p.signature)
            }
            ServerKeyExchangeParams::Dhe(p) => {
                // RFC 7919 §3 / §5.1: only well-known safe primes can be accepted cheaply: the
                // RFC 7919 groups and the RFC 3526 MODP groups of 2048 bits and up (OpenSSL
                // 3.0's automatic parameters), by exact match; anything else is refused with
                // the reason. An RFC 3526 group has no code point (`NamedGroup(0)` here;
                // `key_exchange_group()` reports `None`).
                let params = dh_group_for_params(&p.params.dh_p, &p.params.dh_g)?;
                dh_params = Some(params);
                let name = params.name().unwrap_or(NamedGroup(0));
                (name, p.params.dh_ys, p.params_raw, p.signature)
            }
        };

        // 2. RFC 5246 §7.4.3: the signature over client_random ‖ server_random ‖ params, with a
        // scheme we offered (§7.4.1.4.1).
        let signature =
            signature.ok_or(InvalidMessage::MissingData("ServerKeyExchange signature"))?;
        if !config
            .verifier
            .supported_verify_schemes()
            .contains(&signature.scheme)
        {
            return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
        }
        // RFC 8422 §5.4 / RFC 5246 §7.4.3: the signature follows the suite's authentication
        // (ECDHE_ECDSA: ECDSA or EdDSA; *_RSA: RSA). Otherwise a server could present a key
        // of the other kind than the suite it chose.
        if !scheme_fits_auth(signature.scheme, st.suite.auth) {
            return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
        }
        let message = signed_message(&st.randoms.client, &st.randoms.server, &params_raw);
        let ee = cx
            .negotiated
            .peer_certificates
            .first()
            .ok_or(PeerMisbehaved::NoCertificate)?;
        let sig_valid = config.verifier.verify_tls12_signature(
            &message,
            ee,
            signature.scheme,
            &signature.signature,
        )?;
        cx.negotiated.signature_scheme = Some(signature.scheme);

        // 3. Our half of the exchange, completed now so an invalid server value fails here
        // (RFC 8422 §5.4 point checks; RFC 7919 §5.1 "1 < Y < p-1").
        let (public, shared) = if let Some(params) = dh_params {
            let kx = params.start(provider.secure_random)?;
            let public = kx.pub_key().to_vec();
            let mut shared = kx.complete(&params.tls12_public_value(&peer_public)?)?;
            // RFC 5246 §8.1.2: "Leading bytes of Z that contain all zero bits are stripped".
            shared.strip_leading_zeros();
            (public, shared)
        } else {
            let g = provider
                .kx_group(group)
                .ok_or(PeerMisbehaved::SelectedUnofferedGroup)?;
            let kx = g.start()?;
            let public = kx.pub_key().to_vec();
            (public, kx.complete(&peer_public)?)
        };
        cx.negotiated.group = match dh_params {
            Some(params) => params.name(),
            None => Some(group),
        };
        st.transcript.add(msg.encoded());
        Ok(Box::new(ExpectCertificateRequestOrDone {
            st,
            kx: ClientKx::Agreed {
                public,
                shared,
                _sig_valid: sig_valid,
            },
            _verified: verified,
        }))
    }
}

struct ExpectCertificateRequestOrDone {
    st: Tls12Client,
    kx: ClientKx,
    _verified: ServerCertVerified,
}

impl State for ExpectCertificateRequestOrDone {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        match msg.payload() {
            // RFC 5246 §7.4.4.
            HandshakePayload::CertificateRequestTls12(req) => {
                let req = req.clone();
                let Self {
                    mut st,
                    kx,
                    _verified,
                } = *self;
                st.transcript.add(msg.encoded());
                Ok(Box::new(ExpectServerHelloDone {
                    st,
                    kx,
                    req,
                    _verified,
                }))
            }
            HandshakePayload::ServerHelloDone => {
                let Self { st, kx, _verified } = *self;
                emit_client_flight(cx, st, kx, None, &msg)
            }
            _ => Err(unexpected(
                &msg,
                &[
                    HandshakeType::CertificateRequest,
                    HandshakeType::ServerHelloDone,
                ],
            )),
        }
    }
}

struct ExpectServerHelloDone {
    st: Tls12Client,
    kx: ClientKx,
    req: CertificateRequestTls12,
    _verified: ServerCertVerified,
}

impl State for ExpectServerHelloDone {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ServerHelloDone = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::ServerHelloDone]));
        };
        let Self { st, kx, req, .. } = *self;
        emit_client_flight(cx, st, kx, Some(&req), &msg)
    }
}

/// RFC 5246 §7.4.6–§7.4.9: [Certificate], ClientKeyExchange, [CertificateVerify],
/// ChangeCipherSpec, Finished.
fn emit_client_flight(
    cx: &mut CommonState,
    mut st: Tls12Client,
    kx: ClientKx,
    req: Option<&CertificateRequestTls12>,
    done: &HandshakeMessage,
) -> Result<Box<dyn State>, Error> {
    st.transcript.add(done.encoded());
    let config = Arc::clone(&st.details.config);
    let provider = &config.provider;
    let suite = st.suite;

    // 1. Client Certificate when asked (§7.4.6). Signing needs the raw transcript
    // (§7.4.8); without it we send an empty Certificate and let the server decide.
    let signer = match &req {
        Some(req) => emit_client_certificate(cx, &st, req),
        None => None,
    };
    if let Some(cert) = signer.as_ref().map(|(c, _)| c) {
        st.transcript.add(cert.encoded());
    } else if req.is_some() {
        let empty = HandshakeMessage::new(HandshakePayload::CertificateTls12(CertificateTls12 {
            certificate_list: Vec::new(),
        }));
        st.transcript.add(empty.encoded());
        cx.send_handshake(&empty);
    }

    // 2. ClientKeyExchange and the pre-master secret (§7.4.7).
    let (cke, pre_master): (ClientKeyExchange, Zeroizing<Vec<u8>>) = match kx {
        ClientKx::Agreed { public, shared, .. } => {
            let body = if suite.kx == KeyExchange::Dhe {
                ClientKeyExchange::dhe(&public)
            } else {
                ClientKeyExchange::ecdhe(&public)
            };
            (body, Zeroizing::new(shared.as_bytes().to_vec()))
        }
        ClientKx::Rsa => {
            // §7.4.7.1: client_version (the version in our ClientHello) ‖ 46 random bytes,
            // RSAES-PKCS1-v1_5 encrypted to the server certificate's key.
            let mut pm = Zeroizing::new(vec![0u8; 48]);
            provider
                .secure_random
                .fill(pm.get_mut(2..).unwrap_or_default())?;
            let v = st.details.hello.legacy_version.0.to_be_bytes();
            pm.get_mut(..2).unwrap_or_default().copy_from_slice(&v);
            let ee = cx
                .negotiated
                .peer_certificates
                .first()
                .ok_or(PeerMisbehaved::NoCertificate)?;
            let spki = crate::verify::end_entity_spki(ee)?;
            let ct = provider.rsa_encrypter.encrypt_pkcs1(spki.as_ref(), &pm)?;
            (ClientKeyExchange::rsa(&ct), pm)
        }
    };
    let cke = HandshakeMessage::new(HandshakePayload::ClientKeyExchange(cke));
    st.transcript.add(cke.encoded());
    cx.send_handshake(&cke);

    // 3. Master secret: RFC 7627 §4 session_hash covers ClientHello..ClientKeyExchange.
    let hmac = provider.hmac(suite.hash);
    let master = if st.ems {
        let session_hash = st.transcript.current_hash()?;
        MasterSecret::from_pre_master_extended(hmac, &pre_master, &session_hash, st.randoms)?
    } else {
        MasterSecret::from_pre_master(hmac, &pre_master, st.randoms)?
    };
    drop(pre_master);
    master.log_to(&mut log(cx));

    // 4. CertificateVerify over handshake_messages (§7.4.8).
    if let Some((_, signer)) = &signer {
        let message = st
            .transcript
            .buffer()
            .ok_or(crate::error::InternalError::Unreachable(
                "transcript buffer",
            ))?
            .to_vec();
        let signature = signer.sign(&message)?;
        let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(DigitallySigned {
            scheme: signer.scheme(),
            signature,
        }));
        st.transcript.add(cv.encoded());
        cx.send_handshake(&cv);
    }
    st.transcript.release_buffer();

    // 5. ChangeCipherSpec, then our write keys from the key block (§6.3, §7.1).
    let block = master.key_block(suite.aead)?;
    cx.send_ccs()?;
    let enc = RecordEncrypter::tls12(
        provider.aead(suite.aead),
        block.client.key(),
        block.client.iv(),
    )?;
    cx.set_encrypter(enc, Protection::ApplicationKeys)?;

    // 6. Finished (§7.4.9).
    let hash = st.transcript.current_hash()?;
    let verify_data = master.compute_finished(FinishedSender::Client, &hash)?;
    let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
        verify_data: verify_data.to_vec(),
    }));
    st.transcript.add(fin.encoded());
    cx.send_handshake(&fin);
    cx.flush_flight()?;

    let next = ExpectCcs {
        st,
        master,
        server_keys: block.server,
        client_keys: None,
    };
    Ok(if next.st.ticket_promised {
        Box::new(ExpectNewSessionTicket(next))
    } else {
        Box::new(next)
    })
}

/// §7.4.6 / §7.4.4: picks our certificate and signer for a CertificateRequest; queues the
/// Certificate message and returns it (the caller adds it to the transcript). `None` when we
/// have no suitable certificate, or cannot sign because the raw transcript was not kept.
#[allow(clippy::type_complexity)]
fn emit_client_certificate(
    cx: &mut CommonState,
    st: &Tls12Client,
    req: &CertificateRequestTls12,
) -> Option<(HandshakeMessage, Box<dyn Signer>)> {
    // Without the raw transcript (TLS 1.2 CertificateVerify signs it) we cannot sign.
    st.transcript.buffer()?;
    let schemes: Vec<SignatureScheme> = req.supported_signature_algorithms.clone();
    let cas: Vec<DistinguishedName> = req
        .certificate_authorities
        .iter()
        .map(|dn| DistinguishedName::from_der(dn.0.clone()))
        .collect();
    let chosen: Option<Arc<CertifiedKey>> = st
        .details
        .config
        .client_cert
        .as_ref()
        .and_then(|r| r.resolve(&cas, &schemes));
    let (ck, signer) = chosen
        .as_ref()
        .and_then(|ck| ck.key.choose_scheme(&schemes).map(|s| (ck, s)))?;
    let cert = HandshakeMessage::new(HandshakePayload::CertificateTls12(CertificateTls12 {
        certificate_list: ck.cert.clone(),
    }));
    cx.send_handshake(&cert);
    Some((cert, signer))
}

/// RFC 5077 §3.3: after a ServerHello with session_ticket, NewSessionTicket comes right before
/// the server's ChangeCipherSpec. An empty ticket means the server changed its mind.
struct ExpectNewSessionTicket(ExpectCcs);

impl State for ExpectNewSessionTicket {
    fn handle(
        self: Box<Self>,
        _cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::NewSessionTicketTls12(nst) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::NewSessionTicket]));
        };
        let mut next = self.0;
        next.st.transcript.add(msg.encoded());
        // A ticket too large to fit in a ClientHello would break the next connection: keep
        // none (see MAX_TICKET_LEN).
        if !nst.ticket.is_empty() && nst.ticket.len() <= MAX_TICKET_LEN {
            next.st.new_ticket = Some(nst.clone());
        }
        Ok(Box::new(next))
    }
}

/// Waiting for the server's ChangeCipherSpec (RFC 5246 §7.1).
struct ExpectCcs {
    st: Tls12Client,
    master: MasterSecret,
    server_keys: TrafficKeys,
    /// Abbreviated handshake: our keys, installed after the server's Finished.
    client_keys: Option<TrafficKeys>,
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
        let Self {
            st,
            master,
            server_keys,
            client_keys,
        } = *self;
        let provider = &st.details.config.provider;
        let dec = RecordDecrypter::tls12(
            provider.aead(st.suite.aead),
            server_keys.key(),
            server_keys.iv(),
        )?;
        cx.set_decrypter(dec, Protection::ApplicationKeys)?;
        Ok(Box::new(ExpectFinished {
            st,
            master,
            client_keys,
        }))
    }
}

struct ExpectFinished {
    st: Tls12Client,
    master: MasterSecret,
    client_keys: Option<TrafficKeys>,
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
            client_keys,
        } = *self;
        // RFC 5246 §7.4.9: "Recipients of Finished messages MUST verify that the contents are
        // correct" (constant time inside verify_finished).
        let hash = st.transcript.current_hash()?;
        let finished = master.verify_finished(FinishedSender::Server, &hash, &fin.verify_data)?;
        cx.negotiated.version = Some(ProtocolVersion::TLSv1_2);
        if let Some(keys) = client_keys {
            // RFC 5246 §7.3 figure 2: in the abbreviated handshake our ChangeCipherSpec and
            // Finished (over everything including the server's Finished) come last.
            st.transcript.add(msg.encoded());
            let provider = &st.details.config.provider;
            cx.send_ccs()?;
            let enc = RecordEncrypter::tls12(provider.aead(st.suite.aead), keys.key(), keys.iv())?;
            cx.set_encrypter(enc, Protection::ApplicationKeys)?;
            let hash = st.transcript.current_hash()?;
            let verify_data = master.compute_finished(FinishedSender::Client, &hash)?;
            cx.send_handshake(&HandshakeMessage::new(HandshakePayload::Finished(
                Finished {
                    verify_data: verify_data.to_vec(),
                },
            )));
        }
        let ems = st.ems;
        store_session(cx, st, &master);
        cx.exporter = Some(Exporter::tls12(master, ems));
        cx.start_traffic()?;
        Ok(Box::new(ExpectTraffic {
            _finished: finished,
        }))
    }
}

/// Keeps the session for a later abbreviated handshake: after a full handshake with an
/// extended master secret (RFC 7627 §5.3), under the session ID and/or ticket the server gave;
/// after a resumption, the same session with the renewed ticket (RFC 5077 §3.4).
fn store_session(cx: &CommonState, st: Tls12Client, master: &MasterSecret) {
    let config = &st.details.config;
    let key = super::hello::cache_key(&st.details.server_name);
    let (ticket, hint) = match st.new_ticket {
        Some(t) => (t.ticket, t.ticket_lifetime_hint),
        None => (Vec::new(), 0),
    };
    // A new session, or a resumed one with a renewed ticket (RFC 5077 §3.3): counted in
    // ClientSessionCache::sessions_stored; a resumed session put back unchanged is not.
    let new = st.resumed.is_none() || !ticket.is_empty();
    let entry = match st.resumed {
        Some(mut old) => {
            if !ticket.is_empty() {
                old.ticket = ticket;
            }
            old
        }
        None => {
            if !st.ems || (st.server_session_id.is_empty() && ticket.is_empty()) {
                config.session_cache.remove_tls12(&key);
                return;
            }
            // RFC 5077 §3.3: the lifetime hint is advisory; 0 means unspecified.
            let lifetime = if hint == 0 {
                TICKET_LIFETIME_SECS
            } else {
                hint.min(TICKET_LIFETIME_SECS)
            };
            ClientTls12Session {
                session_id: st.server_session_id,
                ticket,
                session: Tls12Session {
                    suite: st.suite.suite,
                    master_secret: master.master_secret_for_session(),
                    ems: true,
                    alpn: cx.negotiated.alpn_protocol.clone(),
                    sni: crate::verify::sni_host_name(&st.details.server_name).map(str::to_owned),
                    issued: config.time.now().as_secs(),
                    lifetime,
                },
                server_certs: cx.negotiated.peer_certificates.clone(),
                binding: SessionBinding::of(config),
                ocsp_response: cx.negotiated.ocsp_response.clone(),
            }
        }
    };
    if config.enable_tickets {
        config.session_cache.insert_tls12(&key, entry, new);
    }
}

/// The established TLS 1.2 connection: no handshake message is acceptable.
/// The established connection; exists only with the server's Finished verified.
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
            // RFC 5746 §4.2 / DESIGN: renegotiation is refused (no_renegotiation).
            HandshakePayload::HelloRequest => Err(PeerMisbehaved::Renegotiation.into()),
            _ => Err(unexpected(&msg, &[])),
        }
    }
}

/// Whether a TLS 1.2 handshake signature `scheme` belongs to the certificate kind `auth`
/// (RFC 5246 §7.4.1.4.1 SignatureAndHashAlgorithm, RFC 8422 §5.1.3, RFC 8446 §4.2.3 code points).
fn scheme_fits_auth(scheme: SignatureScheme, auth: Authentication) -> bool {
    let [_hash, sig] = scheme.0.to_be_bytes();
    let rsa_pss = matches!(scheme.0, 0x0804..=0x0806 | 0x0809..=0x080b);
    let eddsa = matches!(scheme.0, 0x0807 | 0x0808);
    match auth {
        // PKCS#1 v1.5 (signature byte 1) or RSA-PSS.
        Authentication::Rsa => (sig == 1 && scheme.0 < 0x0800) || rsa_pss,
        // ECDSA (signature byte 3) or EdDSA.
        Authentication::Ecdsa => (sig == 3 && scheme.0 < 0x0800) || eddsa,
        _ => true,
    }
}
