//! The TLS 1.2 server handshake (RFC 5246 §7.4), after ClientHello.
//!
//! ClientHello → ServerHello, Certificate, [ServerKeyExchange], [CertificateRequest],
//! ServerHelloDone → [ExpectCertificate] → ExpectClientKeyExchange → [ExpectCertificateVerify]
//! → ExpectCcs → ExpectFinished → (ChangeCipherSpec, Finished) → ExpectTraffic.
//!
//! Owns the server's TLS 1.2 choices (suite by server preference, matching the certificate's
//! key kind and an available key exchange), and the RSA key transport decryption, written so
//! that no branch, alert or early return depends on the decrypted padding, length or version
//! (RFC 5246 §7.4.7.1). Never: resumption (the session ID is empty), renegotiation (refused).

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
use crate::handshake::client::tls13::log;
use crate::handshake::{unexpected, Exporter, State, DOWNGRADE_TLS12};
use crate::key_schedule::tls12::{ConnectionRandoms, FinishedSender, MasterSecret};
use crate::key_schedule::TrafficKeys;
use crate::msgs::enums::{
    CipherSuite, ClientCertificateType, Compression, ContentType, EcPointFormat, ExtensionType,
    HandshakeType, ProtocolVersion,
};
use crate::msgs::extensions::{DistinguishedName as WireDn, ProtocolName, ServerExtension};
use crate::msgs::handshake::{
    CertificateRequestTls12, CertificateTls12, ClientHello, Finished, HandshakeMessage,
    HandshakePayload, ServerHello,
};
use crate::msgs::tls12_kx::{
    signed_message, DigitallySigned, ServerDhParams, ServerEcdhParams, ServerKeyExchange,
};
use crate::record::{RecordDecrypter, RecordEncrypter};
use crate::sign::{CertifiedKey, ClientHelloInfo};
use crate::suites::{Authentication, KeyExchange, SuiteInfo};
use crate::trace::Protection;
use crate::transcript::Transcript;
use crate::verify::ClientCertVerified;

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
    if !ems && config.require_ems {
        return Err(PeerMisbehaved::MissingExtendedMasterSecret.into());
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
    // RFC 7919 §4: a client listing no FFDHE group (codepoints 256..=511) "is not compatible
    // with this document" (OpenSSL 3.0 in TLS 1.2, for one); the server "MAY select an FFDHE
    // cipher suite and offer an FFDHE group of its choice". We offer our first named group;
    // a client that does list FFDHE groups gets one of them or no DHE suite.
    let legacy_dhe_client = !client_groups.iter().any(|g| g.is_ffdhe());
    let common_group = |ffdhe: bool| -> Option<&'static dyn SupportedKxGroup> {
        config.groups.iter().copied().find(|g| {
            let n = g.name();
            (client_groups.contains(&n) || (ffdhe && legacy_dhe_client))
                && if ffdhe {
                    n.is_ffdhe()
                } else {
                    is_tls12_ec_group(n)
                }
        })
    };
    let chosen = config
        .suites
        .iter()
        .copied()
        .filter(|s| s.version == ProtocolVersion::TLSv1_2 && ch.cipher_suites.contains(&s.suite))
        .filter(|s| match s.auth {
            Authentication::Ecdsa => matches!(kind, KeyKind::Ecdsa | KeyKind::Ed25519),
            Authentication::Rsa => kind == KeyKind::Rsa,
            _ => false,
        })
        .find_map(|s| match s.kx {
            KeyExchange::Ecdhe => common_group(false)
                .filter(|_| certified.key.choose_scheme(schemes).is_some())
                .map(|g| (s, Some(g))),
            KeyExchange::Dhe => common_group(true)
                .filter(|_| certified.key.choose_scheme(schemes).is_some())
                .map(|g| (s, Some(g))),
            KeyExchange::Rsa => (config.allow_rsa_kx && certified.key.rsa_decrypter().is_some())
                .then_some((s, None)),
            _ => None,
        });
    let (suite, group) = chosen.ok_or(PeerIncompatible::NoCommonCipherSuite)?;
    cx.negotiated.cipher_suite = Some(suite.suite);

    // 5. ALPN (RFC 7301 §3.2).
    let alpn = choose_alpn(&config, ch)?;
    cx.negotiated.alpn_protocol.clone_from(&alpn);

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
    let sh = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        // RFC 5246 §7.4.1.3: an empty session_id means the session will not be cached.
        legacy_session_id_echo: Vec::new(),
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

fn choose_alpn(config: &ServerConfig, ch: &ClientHello) -> Result<Option<Vec<u8>>, Error> {
    let Some(theirs) = ch.alpn_protocols() else {
        return Ok(None);
    };
    if config.alpn_protocols.is_empty() {
        return Ok(None);
    }
    config
        .alpn_protocols
        .iter()
        .find(|ours| theirs.iter().any(|t| &t.0 == *ours))
        .cloned()
        .map(Some)
        .ok_or_else(|| PeerIncompatible::NoApplicationProtocol.into())
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
        let verified = verifier.verify_client_cert(ee, rest, st.config.time.now())?;
        cx.negotiated.peer_certificates = cert.certificate_list.clone();
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
                let mut z = active.complete(peer)?;
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
        let _valid = verifier.verify_tls12_signature(message, ee, sig.scheme, &sig.signature)?;
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
        let _finished = master.verify_finished(FinishedSender::Client, &hash, &fin.verify_data)?;
        st.transcript.add(msg.encoded());

        // 2. Our ChangeCipherSpec, then our write keys.
        cx.send_ccs()?;
        let aead = st.config.provider.aead(st.suite.aead);
        let enc = RecordEncrypter::tls12(aead, server_keys.key(), server_keys.iv())?;
        cx.set_encrypter(enc, Protection::ApplicationKeys)?;

        // 3. Our Finished over everything including the client's.
        let hash = st.transcript.current_hash()?;
        let verify_data = master.compute_finished(FinishedSender::Server, &hash)?;
        let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
            verify_data: verify_data.to_vec(),
        }));
        cx.send_handshake(&fin);
        cx.exporter = Some(Exporter::Tls12(master));
        cx.start_traffic()?;
        Ok(Box::new(ExpectTraffic))
    }
}

/// The established TLS 1.2 connection (server side).
struct ExpectTraffic;

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
