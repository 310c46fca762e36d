//! RFC 8448 known answers and negative tests for the TLS 1.3 key schedule.

use super::*;
use crate::crypto::aws_lc::default_provider;
use crate::testdata::hex;
use crate::testdata::rfc8448;
use crate::transcript::Transcript;

fn sha256() -> Tls13Crypto {
    Tls13Crypto::new(&default_provider(), HashAlgorithm::Sha256)
}

/// verify_data of a Finished message vector (strip the 4-byte handshake header).
fn verify_data(name: &str) -> Vec<u8> {
    let msg = rfc8448(name);
    assert_eq!(msg[0], 20, "{name} is a Finished");
    msg[4..].to_vec()
}

fn assert_keys(keys: &TrafficKeys, prefix: &str) {
    assert_eq!(
        keys.key(),
        rfc8448(&format!("{prefix}_key")),
        "{prefix}_key"
    );
    assert_eq!(keys.iv(), rfc8448(&format!("{prefix}_iv")), "{prefix}_iv");
}

/// RFC 8448 §3 (simple 1-RTT handshake): every secret, key, IV and both Finished.
#[test]
fn rfc8448_section3_full_schedule() {
    let crypto = sha256();
    let aead = AeadAlgorithm::Aes128Gcm;
    let mut transcript = Transcript::new();

    // Early Secret, no PSK.
    let early = EarlySecret::new(crypto, None);
    assert_eq!(early.0.bytes.as_bytes(), rfc8448("s3.early_secret"));
    assert_eq!(
        early.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
        rfc8448("s3.derived_for_handshake")
    );

    // Handshake Secret from the X25519 shared secret.
    let hs = early
        .into_handshake(&SharedSecret::new(rfc8448("s3.shared_secret")))
        .unwrap();
    assert_eq!(hs.0.bytes.as_bytes(), rfc8448("s3.handshake_secret"));

    transcript.add(&rfc8448("s3.client_hello"));
    transcript.start_hash(crypto.hash).unwrap();
    transcript.add(&rfc8448("s3.server_hello"));
    let ch_sh = transcript.current_hash().unwrap();
    assert_eq!(ch_sh.as_ref(), rfc8448("s3.transcript_hash_ch_sh"));

    let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
    let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
    assert_eq!(
        c_hs.secret.bytes.as_bytes(),
        rfc8448("s3.client_handshake_traffic_secret")
    );
    assert_eq!(
        s_hs.secret.bytes.as_bytes(),
        rfc8448("s3.server_handshake_traffic_secret")
    );
    assert_eq!(
        (c_hs.sender(), s_hs.sender()),
        (Sender::Client, Sender::Server)
    );
    assert_keys(&s_hs.traffic_keys(aead).unwrap(), "s3.server_handshake");
    assert_keys(&c_hs.traffic_keys(aead).unwrap(), "s3.client_handshake");

    // Server Finished over ClientHello..CertificateVerify (RFC 8446 §4.4.4).
    for m in [
        "s3.encrypted_extensions",
        "s3.certificate",
        "s3.certificate_verify",
    ] {
        transcript.add(&rfc8448(m));
    }
    let ch_cv = transcript.current_hash().unwrap();
    assert_eq!(
        s_hs.secret.finished_key().unwrap().bytes.as_bytes(),
        rfc8448("s3.server_finished_key")
    );
    let server_vd = verify_data("s3.server_finished");
    assert_eq!(s_hs.compute_finished(&ch_cv).unwrap().as_ref(), server_vd);
    assert!(s_hs.verify_finished(&ch_cv, &server_vd).is_ok());

    // Client Finished over ClientHello..server Finished.
    transcript.add(&rfc8448("s3.server_finished"));
    let ch_sf = transcript.current_hash().unwrap();
    assert_eq!(ch_sf.as_ref(), rfc8448("s3.transcript_hash_ch_sf"));
    assert_eq!(
        c_hs.secret.finished_key().unwrap().bytes.as_bytes(),
        rfc8448("s3.client_finished_key")
    );
    let client_vd = verify_data("s3.client_finished");
    assert_eq!(c_hs.compute_finished(&ch_sf).unwrap().as_ref(), client_vd);
    assert!(c_hs.verify_finished(&ch_sf, &client_vd).is_ok());

    // Master Secret and what comes from it.
    assert_eq!(
        hs.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
        rfc8448("s3.derived_for_master")
    );
    let master = hs.into_master().unwrap();
    assert_eq!(master.0.bytes.as_bytes(), rfc8448("s3.master_secret"));
    let c_ap = master.client_application_traffic_secret(&ch_sf).unwrap();
    let s_ap = master.server_application_traffic_secret(&ch_sf).unwrap();
    let exporter = master.exporter_master_secret(&ch_sf).unwrap();
    assert_eq!(
        c_ap.secret.bytes.as_bytes(),
        rfc8448("s3.client_application_traffic_secret")
    );
    assert_eq!(
        s_ap.secret.bytes.as_bytes(),
        rfc8448("s3.server_application_traffic_secret")
    );
    assert_eq!(
        exporter.secret.bytes.as_bytes(),
        rfc8448("s3.exporter_master_secret")
    );
    assert!(!exporter.is_early());
    assert_keys(&s_ap.traffic_keys(aead).unwrap(), "s3.server_application");
    assert_keys(&c_ap.traffic_keys(aead).unwrap(), "s3.client_application");

    // Resumption master secret over ClientHello..client Finished, and the ticket PSK
    // (ticket_nonce 00 00, RFC 8446 §4.6.1).
    transcript.add(&rfc8448("s3.client_finished"));
    let ch_cf = transcript.current_hash().unwrap();
    assert_eq!(ch_cf.as_ref(), rfc8448("s3.transcript_hash_ch_cf"));
    let res = master.into_resumption_master_secret(&ch_cf).unwrap();
    assert_eq!(
        res.0.bytes.as_bytes(),
        rfc8448("s3.resumption_master_secret")
    );
    assert_eq!(
        res.ticket_psk(&[0, 0]).unwrap().as_bytes(),
        rfc8448("s3.resumption_psk")
    );
    assert_ne!(
        res.ticket_psk(&[0, 1]).unwrap().as_bytes(),
        rfc8448("s3.resumption_psk")
    );

    // Key log: each secret under its own NSS label.
    let mut logged: Vec<(KeyLogLabel, Vec<u8>)> = Vec::new();
    let mut visitor = |label: KeyLogLabel, secret: &[u8]| logged.push((label, secret.to_vec()));
    c_hs.log_to(&mut visitor);
    s_hs.log_to(&mut visitor);
    c_ap.log_to(&mut visitor);
    s_ap.log_to(&mut visitor);
    exporter.log_to(&mut visitor);
    assert_eq!(
        logged,
        vec![
            (
                KeyLogLabel::ClientHandshakeTrafficSecret,
                rfc8448("s3.client_handshake_traffic_secret")
            ),
            (
                KeyLogLabel::ServerHandshakeTrafficSecret,
                rfc8448("s3.server_handshake_traffic_secret")
            ),
            (
                KeyLogLabel::ClientTrafficSecret0,
                rfc8448("s3.client_application_traffic_secret")
            ),
            (
                KeyLogLabel::ServerTrafficSecret0,
                rfc8448("s3.server_application_traffic_secret")
            ),
            (
                KeyLogLabel::ExporterSecret,
                rfc8448("s3.exporter_master_secret")
            ),
        ]
    );
}

/// RFC 8446 §4.4.4: a Finished that does not match MUST be rejected (decrypt_error).
#[test]
fn finished_mismatch_is_rejected_rfc8446_4_4_4() {
    let crypto = sha256();
    let hs = EarlySecret::new(crypto, None)
        .into_handshake(&SharedSecret::new(rfc8448("s3.shared_secret")))
        .unwrap();
    let mut transcript = Transcript::with_hash(crypto.hash);
    for m in [
        "s3.client_hello",
        "s3.server_hello",
        "s3.encrypted_extensions",
        "s3.certificate",
        "s3.certificate_verify",
    ] {
        transcript.add(&rfc8448(m));
    }
    let ch_sh = {
        let mut t = Transcript::with_hash(crypto.hash);
        t.add(&rfc8448("s3.client_hello"));
        t.add(&rfc8448("s3.server_hello"));
        t.current_hash().unwrap()
    };
    let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
    let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
    let ch_cv = transcript.current_hash().unwrap();
    let good = verify_data("s3.server_finished");
    let incorrect = Err(Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished));

    let mut flipped = good.clone();
    flipped[31] ^= 0x80;
    assert_eq!(
        s_hs.verify_finished(&ch_cv, &flipped).map(|_| ()),
        incorrect
    );
    // A wrong length is malformed (decode_error), not a wrong MAC (issue 9).
    let malformed = Err(Error::InvalidMessage(InvalidMessage::InvalidLength(
        "Finished.verify_data",
    )));
    assert_eq!(
        s_hs.verify_finished(&ch_cv, &good[..31]).map(|_| ()),
        malformed
    );
    assert_eq!(s_hs.verify_finished(&ch_cv, &[]).map(|_| ()), malformed);
    // The other side's secret, or the wrong transcript hash, does not verify.
    assert_eq!(c_hs.verify_finished(&ch_cv, &good).map(|_| ()), incorrect);
    assert_eq!(s_hs.verify_finished(&ch_sh, &good).map(|_| ()), incorrect);
}

/// RFC 8448 §5 (HelloRetryRequest): the transcript replaces ClientHello1 with message_hash
/// (RFC 8446 §4.4.1); the rest of the schedule follows from it.
#[test]
fn rfc8448_section5_hello_retry_request() {
    let crypto = sha256();
    let aead = AeadAlgorithm::Aes128Gcm;
    let mut transcript = Transcript::new();
    transcript.add(&rfc8448("s5.client_hello_1"));
    // The client learns the suite from the HRR.
    transcript.start_hash(crypto.hash).unwrap();
    transcript.rollup_for_hrr().unwrap();
    for m in [
        "s5.hello_retry_request",
        "s5.client_hello_2",
        "s5.server_hello",
    ] {
        transcript.add(&rfc8448(m));
    }
    let ch_sh = transcript.current_hash().unwrap();
    assert_eq!(ch_sh.as_ref(), rfc8448("s5.transcript_hash_ch1_sh"));

    let early = EarlySecret::new(crypto, None);
    assert_eq!(early.0.bytes.as_bytes(), rfc8448("s5.early_secret"));
    let hs = early
        .into_handshake(&SharedSecret::new(rfc8448("s5.shared_secret")))
        .unwrap();
    assert_eq!(hs.0.bytes.as_bytes(), rfc8448("s5.handshake_secret"));
    let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
    let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
    assert_eq!(
        c_hs.secret.bytes.as_bytes(),
        rfc8448("s5.client_handshake_traffic_secret")
    );
    assert_eq!(
        s_hs.secret.bytes.as_bytes(),
        rfc8448("s5.server_handshake_traffic_secret")
    );
    assert_keys(&s_hs.traffic_keys(aead).unwrap(), "s5.server_handshake");
    assert_keys(&c_hs.traffic_keys(aead).unwrap(), "s5.client_handshake");

    for m in [
        "s5.encrypted_extensions",
        "s5.certificate",
        "s5.certificate_verify",
    ] {
        transcript.add(&rfc8448(m));
    }
    let ch_cv = transcript.current_hash().unwrap();
    assert!(s_hs
        .verify_finished(&ch_cv, &verify_data("s5.server_finished"))
        .is_ok());
    transcript.add(&rfc8448("s5.server_finished"));
    let ch_sf = transcript.current_hash().unwrap();
    assert_eq!(
        c_hs.compute_finished(&ch_sf).unwrap().as_ref(),
        verify_data("s5.client_finished")
    );

    let master = hs.into_master().unwrap();
    assert_eq!(master.0.bytes.as_bytes(), rfc8448("s5.master_secret"));
    let c_ap = master.client_application_traffic_secret(&ch_sf).unwrap();
    let s_ap = master.server_application_traffic_secret(&ch_sf).unwrap();
    assert_keys(&c_ap.traffic_keys(aead).unwrap(), "s5.client_application");
    assert_keys(&s_ap.traffic_keys(aead).unwrap(), "s5.server_application");
    assert_eq!(
        master
            .exporter_master_secret(&ch_sf)
            .unwrap()
            .secret
            .bytes
            .as_bytes(),
        rfc8448("s5.exporter_master_secret")
    );
    transcript.add(&rfc8448("s5.client_finished"));
    let ch_cf = transcript.current_hash().unwrap();
    assert_eq!(ch_cf.as_ref(), rfc8448("s5.transcript_hash_ch1_cf"));
    assert_eq!(
        master
            .into_resumption_master_secret(&ch_cf)
            .unwrap()
            .0
            .bytes
            .as_bytes(),
        rfc8448("s5.resumption_master_secret")
    );
}

/// RFC 8448 §4 (resumed 0-RTT handshake): ticket PSK from §3, early secret, "res binder"
/// binder over the ClientHello prefix (RFC 8446 §4.2.11.2), early traffic and exporter
/// secrets, then the rest of the PSK-DHE schedule.
#[test]
fn rfc8448_section4_resumption_binder_and_early_data() {
    let crypto = sha256();
    let aead = AeadAlgorithm::Aes128Gcm;

    // The PSK is the §3 ticket's: HKDF-Expand-Label(res master, "resumption", 00 00).
    let res3 = ResumptionMasterSecret(Secret::new(
        crypto,
        SecretBytes::new(&rfc8448("s3.resumption_master_secret")),
    ));
    let psk = res3.ticket_psk(&[0, 0]).unwrap();
    assert_eq!(psk.as_bytes(), rfc8448("s4.psk"));

    let early = EarlySecret::new(crypto, Some(psk.as_bytes()));
    assert_eq!(early.0.bytes.as_bytes(), rfc8448("s4.early_secret"));

    // Binder over the ClientHello up to the binders list.
    let prefix = rfc8448("s4.client_hello_prefix");
    let mut transcript = Transcript::new();
    let binder_hash = transcript.hash_with_suffix(crypto.hash, &prefix).unwrap();
    assert_eq!(binder_hash.as_ref(), rfc8448("s4.binder_hash"));
    let binder_key = early.binder_key(PskKind::Resumption).unwrap();
    assert_eq!(binder_key.0.bytes.as_bytes(), rfc8448("s4.binder_key"));
    assert_eq!(
        binder_key.0.finished_key().unwrap().bytes.as_bytes(),
        rfc8448("s4.binder_finished_key")
    );
    let binder = rfc8448("s4.binder");
    assert_eq!(
        binder_key.compute_binder(&binder_hash).unwrap().as_ref(),
        binder
    );
    assert!(binder_key.verify_binder(&binder_hash, &binder).is_ok());
    assert_eq!(
        early
            .binder_key(PskKind::External)
            .unwrap()
            .verify_binder(&binder_hash, &binder)
            .map(|_| ()),
        Err(Error::PeerMisbehaved(PeerMisbehaved::BadBinder))
    );
    // The full ClientHello is the prefix followed by the binders list carrying that binder.
    let ch = rfc8448("s4.client_hello");
    assert!(ch.starts_with(&prefix));
    assert!(ch.ends_with(&binder));

    // 0-RTT secrets over the whole ClientHello.
    transcript.add(&ch);
    transcript.start_hash(crypto.hash).unwrap();
    let ch_hash = transcript.current_hash().unwrap();
    let cets = early.client_early_traffic_secret(&ch_hash).unwrap();
    assert_eq!(
        cets.0.bytes.as_bytes(),
        rfc8448("s4.client_early_traffic_secret")
    );
    assert_keys(&cets.traffic_keys(aead).unwrap(), "s4.client_early");
    assert_eq!(
        early
            .early_exporter_master_secret(&ch_hash)
            .unwrap()
            .secret
            .bytes
            .as_bytes(),
        rfc8448("s4.early_exporter_master_secret")
    );

    // PSK-DHE handshake secret.
    assert_eq!(
        early.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
        rfc8448("s4.derived_for_handshake")
    );
    let hs = early
        .into_handshake(&SharedSecret::new(rfc8448("s4.shared_secret")))
        .unwrap();
    assert_eq!(hs.0.bytes.as_bytes(), rfc8448("s4.handshake_secret"));
    transcript.add(&rfc8448("s4.server_hello"));
    let ch_sh = transcript.current_hash().unwrap();
    assert_eq!(ch_sh.as_ref(), rfc8448("s4.transcript_hash_ch_sh"));
    let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
    let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
    assert_eq!(
        c_hs.secret.bytes.as_bytes(),
        rfc8448("s4.client_handshake_traffic_secret")
    );
    assert_eq!(
        s_hs.secret.bytes.as_bytes(),
        rfc8448("s4.server_handshake_traffic_secret")
    );
    assert_keys(&s_hs.traffic_keys(aead).unwrap(), "s4.server_handshake");
    assert_keys(&c_hs.traffic_keys(aead).unwrap(), "s4.client_handshake");

    // No Certificate/CertificateVerify with a PSK: server Finished over CH..EE.
    transcript.add(&rfc8448("s4.encrypted_extensions"));
    let ch_ee = transcript.current_hash().unwrap();
    assert_eq!(
        s_hs.secret.finished_key().unwrap().bytes.as_bytes(),
        rfc8448("s4.server_finished_key")
    );
    assert!(s_hs
        .verify_finished(&ch_ee, &verify_data("s4.server_finished"))
        .is_ok());
    transcript.add(&rfc8448("s4.server_finished"));
    let ch_sf = transcript.current_hash().unwrap();
    assert_eq!(ch_sf.as_ref(), rfc8448("s4.transcript_hash_ch_sf"));

    assert_eq!(
        hs.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
        rfc8448("s4.derived_for_master")
    );
    let master = hs.into_master().unwrap();
    assert_eq!(master.0.bytes.as_bytes(), rfc8448("s4.master_secret"));
    let c_ap = master.client_application_traffic_secret(&ch_sf).unwrap();
    let s_ap = master.server_application_traffic_secret(&ch_sf).unwrap();
    assert_eq!(
        c_ap.secret.bytes.as_bytes(),
        rfc8448("s4.client_application_traffic_secret")
    );
    assert_eq!(
        s_ap.secret.bytes.as_bytes(),
        rfc8448("s4.server_application_traffic_secret")
    );
    assert_eq!(
        master
            .exporter_master_secret(&ch_sf)
            .unwrap()
            .secret
            .bytes
            .as_bytes(),
        rfc8448("s4.exporter_master_secret")
    );
    assert_keys(&s_ap.traffic_keys(aead).unwrap(), "s4.server_application");
    assert_keys(&c_ap.traffic_keys(aead).unwrap(), "s4.client_application");

    // Client Finished over CH..EndOfEarlyData.
    transcript.add(&rfc8448("s4.end_of_early_data"));
    let ch_eoed = transcript.current_hash().unwrap();
    assert_eq!(
        c_hs.secret.finished_key().unwrap().bytes.as_bytes(),
        rfc8448("s4.client_finished_key")
    );
    assert_eq!(
        c_hs.compute_finished(&ch_eoed).unwrap().as_ref(),
        verify_data("s4.client_finished")
    );
    transcript.add(&rfc8448("s4.client_finished"));
    let ch_cf = transcript.current_hash().unwrap();
    assert_eq!(ch_cf.as_ref(), rfc8448("s4.transcript_hash_ch_cf"));
    let res = master.into_resumption_master_secret(&ch_cf).unwrap();
    assert_eq!(
        res.0.bytes.as_bytes(),
        rfc8448("s4.resumption_master_secret")
    );
}

// KeyUpdate and exporter values below were computed once, independently, with Python's
// `hmac`/`hashlib` implementing HKDF-Expand (RFC 5869) and HKDF-Expand-Label (RFC 8446 §7.1)
// in a few lines, starting from the RFC 8448 §3 client_application_traffic_secret_0 and
// exporter_master_secret.

/// RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(N, "traffic upd", "", Hash.length).
#[test]
fn key_update_rfc8446_7_2() {
    let crypto = sha256();
    let secret = ApplicationTrafficSecret {
        secret: Secret::new(
            crypto,
            SecretBytes::new(&rfc8448("s3.client_application_traffic_secret")),
        ),
        sender: Sender::Client,
        generation: 0,
    };
    let next = secret.into_next().unwrap();
    assert_eq!(next.generation(), 1);
    assert_eq!(
        next.secret.bytes.as_bytes(),
        hex("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207")
    );
    let keys = next.traffic_keys(AeadAlgorithm::Aes128Gcm).unwrap();
    assert_eq!(keys.key(), hex("3879d82f5f14056e623f2ce5bfc66fce"));
    assert_eq!(keys.iv(), hex("5dfb2c5938c3379b6cc5d1f2"));

    // Generation 1 has no NSS label: nothing is logged.
    let mut count = 0;
    next.log_to(&mut |_: KeyLogLabel, _: &[u8]| count += 1);
    assert_eq!(count, 0);

    let next = next.into_next().unwrap();
    assert_eq!(next.generation(), 2);
    assert_eq!(
        next.secret.bytes.as_bytes(),
        hex("68474fe58c172143d0a009a76edd231b0d934f3058588ea0852662279e54a573")
    );
}

/// RFC 8446 §7.5 TLS-Exporter.
#[test]
fn exporter_rfc8446_7_5() {
    let exporter = ExporterSecret {
        secret: Secret::new(
            sha256(),
            SecretBytes::new(&rfc8448("s3.exporter_master_secret")),
        ),
        early: false,
    };
    let label = b"EXPERIMENTAL clasp";
    let mut out = [0u8; 32];
    exporter
        .export(label, Some(b"context value"), &mut out)
        .unwrap();
    assert_eq!(
        out.as_slice(),
        hex("61316d3f9d0ae912ed6a6e91728205d4c77c2263c81eca3e1ea5bad6b84a2beb")
    );
    // No context and an empty context are the same in TLS 1.3.
    let mut a = [0u8; 20];
    let mut b = [0u8; 20];
    exporter.export(label, None, &mut a).unwrap();
    exporter.export(label, Some(b""), &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        a.as_slice(),
        hex("640c2069cb8add4d91fdbdfd950a82d867d46644")
    );

    let misuse = Err(Error::ApiMisuse(ApiMisuse::InvalidExporterRequest));
    assert_eq!(exporter.export(&[b'x'; 250], None, &mut a), misuse);
    let mut too_long = vec![0u8; 255 * 32 + 1];
    assert_eq!(exporter.export(label, None, &mut too_long), misuse);
    let mut max = vec![0u8; 255 * 32];
    assert!(exporter.export(label, None, &mut max).is_ok());
}

#[test]
fn hkdf_expand_label_rejects_oversized_fields() {
    let hkdf = sha256().hkdf;
    let secret = [1u8; 32];
    let mut out = [0u8; 16];
    assert!(hkdf_expand_label(hkdf, &secret, &[b'a'; 249], &[], &mut out).is_ok());
    assert_eq!(
        hkdf_expand_label(hkdf, &secret, &[b'a'; 250], &[], &mut out).map(|_| ()),
        Err(crate::error::Error::ApiMisuse(
            crate::error::ApiMisuse::InvalidExporterRequest
        ))
    );
    assert_eq!(
        hkdf_expand_label(hkdf, &secret, b"key", &[0; 256], &mut out).map(|_| ()),
        Err(crate::error::Error::ApiMisuse(
            crate::error::ApiMisuse::InvalidExporterRequest
        ))
    );
    let mut big = vec![0u8; 70_000];
    assert_eq!(
        hkdf_expand_label(hkdf, &secret, b"key", &[], &mut big).map(|_| ()),
        Err(crate::error::Error::ApiMisuse(
            crate::error::ApiMisuse::InvalidExporterRequest
        ))
    );
}

/// PSK binders and early secrets (RFC 8446 §4.2.11.2, §7.1): with an external PSK the binder
/// computed by a client verifies on the server, and any change breaks it.
#[test]
fn binder_round_trip_and_tamper() {
    let crypto = sha256();
    let psk = [7u8; 32];
    let early = EarlySecret::new(crypto, Some(&psk));
    let partial_ch = b"\x01\x00\x01\x00 truncated ClientHello";
    let t = Transcript::new();
    let hash = t.hash_with_suffix(crypto.hash, partial_ch).unwrap();
    let ext = early.binder_key(PskKind::External).unwrap();
    let res = early.binder_key(PskKind::Resumption).unwrap();
    let binder = ext.compute_binder(&hash).unwrap();
    assert_eq!(binder.as_ref().len(), 32);
    assert!(ext.verify_binder(&hash, binder.as_ref()).is_ok());
    // "ext binder" and "res binder" keys differ, so the wrong kind does not verify.
    let bad = Err(Error::PeerMisbehaved(PeerMisbehaved::BadBinder));
    assert_eq!(res.verify_binder(&hash, binder.as_ref()).map(|_| ()), bad);
    let mut flipped = binder.as_ref().to_vec();
    flipped[0] ^= 1;
    assert_eq!(ext.verify_binder(&hash, &flipped).map(|_| ()), bad);
    // A different PSK gives a different early secret and binder.
    let other = EarlySecret::new(crypto, Some(&[8u8; 32]));
    assert_ne!(other.0.bytes.as_bytes(), early.0.bytes.as_bytes());
}

#[test]
fn secrets_debug_shows_no_key_bytes() {
    let crypto = sha256();
    let early = EarlySecret::new(crypto, None);
    let ch = HashOutput::new(&[0x11; 32]);
    let binder = early.binder_key(PskKind::Resumption).unwrap();
    let cets = early.client_early_traffic_secret(&ch).unwrap();
    let eems = early.early_exporter_master_secret(&ch).unwrap();
    let mut dumps = vec![
        (format!("{early:?}"), early.0.bytes.as_bytes().to_vec()),
        (format!("{binder:?}"), binder.0.bytes.as_bytes().to_vec()),
        (format!("{cets:?}"), cets.0.bytes.as_bytes().to_vec()),
        (format!("{eems:?}"), eems.secret.bytes.as_bytes().to_vec()),
    ];
    let hs = early
        .into_handshake(&SharedSecret::new(rfc8448("s3.shared_secret")))
        .unwrap();
    let c_hs = hs.client_handshake_traffic_secret(&ch).unwrap();
    dumps.push((format!("{hs:?}"), hs.0.bytes.as_bytes().to_vec()));
    dumps.push((format!("{c_hs:?}"), c_hs.secret.bytes.as_bytes().to_vec()));
    let keys = c_hs.traffic_keys(AeadAlgorithm::Aes128Gcm).unwrap();
    dumps.push((format!("{keys:?}"), keys.key().to_vec()));
    let master = hs.into_master().unwrap();
    let s_ap = master.server_application_traffic_secret(&ch).unwrap();
    let exp = master.exporter_master_secret(&ch).unwrap();
    dumps.push((format!("{master:?}"), master.0.bytes.as_bytes().to_vec()));
    dumps.push((format!("{s_ap:?}"), s_ap.secret.bytes.as_bytes().to_vec()));
    dumps.push((format!("{exp:?}"), exp.secret.bytes.as_bytes().to_vec()));
    let res = master.into_resumption_master_secret(&ch).unwrap();
    dumps.push((format!("{res:?}"), res.0.bytes.as_bytes().to_vec()));

    for (dbg, bytes) in dumps {
        assert!(dbg.contains("redacted"), "{dbg}");
        let lower: String = bytes[..4].iter().map(|b| format!("{b:02x}")).collect();
        let upper = lower.to_uppercase();
        let decimal = format!("{}, {}", bytes[0], bytes[1]);
        assert!(
            !dbg.contains(&lower) && !dbg.contains(&upper) && !dbg.contains(&decimal),
            "{dbg} leaks {lower}"
        );
    }
}

#[test]
fn early_secrets_are_logged_under_their_labels() {
    let early = EarlySecret::new(sha256(), Some(&[7u8; 32]));
    let ch = HashOutput::new(&[0x22; 32]);
    let cets = early.client_early_traffic_secret(&ch).unwrap();
    let eems = early.early_exporter_master_secret(&ch).unwrap();
    assert!(eems.is_early());
    let mut labels = Vec::new();
    cets.log_to(&mut |l: KeyLogLabel, s: &[u8]| labels.push((l, s.len())));
    eems.log_to(&mut |l: KeyLogLabel, s: &[u8]| labels.push((l, s.len())));
    assert_eq!(
        labels,
        vec![
            (KeyLogLabel::ClientEarlyTrafficSecret, 32),
            (KeyLogLabel::EarlyExporterSecret, 32)
        ]
    );
    // c e traffic and e exp master are different derivations.
    assert_ne!(cets.0.bytes.as_bytes(), eems.secret.bytes.as_bytes());
}

/// The constants the schedule uses instead of recomputing are what the provider computes:
/// Hash("") per suite hash, and with no PSK the Early Secret HKDF-Extract(0, 0) and its
/// Derive-Secret(., "derived", "") (RFC 8446 §7.1); the SHA-256 ones are RFC 8448 §3's.
#[test]
fn no_psk_secrets_match_the_schedule() {
    let provider = default_provider();
    for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        let crypto = Tls13Crypto::new(&provider, alg);
        assert_eq!(
            empty_hash(alg).as_ref(),
            crypto.hash.hash(&[]).as_ref(),
            "{alg:?}"
        );
        let zeros = vec![0u8; alg.output_len()];
        let early = crypto.hkdf.extract(&zeros, &zeros);
        assert_eq!(early.as_bytes(), no_psk_early_secret(alg), "{alg:?}");
        let early_secret = EarlySecret::new(crypto, None);
        assert_eq!(early_secret.0.bytes.as_bytes(), early.as_bytes());
        let mut derived = vec![0u8; alg.output_len()];
        hkdf_expand_label(
            crypto.hkdf,
            early.as_bytes(),
            b"derived",
            crypto.hash.hash(&[]).as_ref(),
            &mut derived,
        )
        .unwrap();
        assert_eq!(derived, no_psk_derived_secret(alg), "{alg:?}");
        // The shortcut and the general path give the same Handshake Secret.
        let ss = SharedSecret::new(vec![0x42; 32]);
        let general = early_secret.0.next_stage(ss.as_bytes()).unwrap();
        let fast = EarlySecret::new(crypto, None).into_handshake(&ss).unwrap();
        assert_eq!(fast.0.bytes.as_bytes(), general.bytes.as_bytes());
    }
    assert_eq!(
        no_psk_early_secret(HashAlgorithm::Sha256),
        rfc8448("s3.early_secret")
    );
}

/// A keyed secret (one HMAC key for several expansions) derives exactly what the one-shot
/// HKDF-Expand-Label derives, for every derivation the schedule makes from it.
#[test]
fn keyed_secret_derives_the_same() {
    let provider = default_provider();
    for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        let crypto = Tls13Crypto::new(&provider, alg);
        let bytes = vec![0x5a; alg.output_len()];
        let plain = Secret::new(crypto, SecretBytes::new(&bytes));
        let keyed = Secret::new(crypto, SecretBytes::new(&bytes))
            .keyed()
            .unwrap();
        assert!(keyed.expander.is_some() && plain.expander.is_none());
        let th = crypto.hash.hash(b"transcript");
        for label in [
            &b"c hs traffic"[..],
            b"s ap traffic",
            b"derived",
            b"res master",
        ] {
            assert_eq!(
                keyed.derive(label, &th).unwrap().bytes.as_bytes(),
                plain.derive(label, &th).unwrap().bytes.as_bytes()
            );
        }
        for aead in [AeadAlgorithm::Aes128Gcm, AeadAlgorithm::Aes256Gcm] {
            let (a, b) = (
                keyed.traffic_keys(aead).unwrap(),
                plain.traffic_keys(aead).unwrap(),
            );
            assert_eq!((a.key(), a.iv()), (b.key(), b.iv()));
        }
        assert_eq!(
            keyed.finished_mac(&th).unwrap().as_ref(),
            plain.finished_mac(&th).unwrap().as_ref()
        );
        let mac = plain.finished_mac(&th).unwrap();
        assert!(keyed.verify_finished_mac(&th, mac.as_ref()).unwrap());
        let mut bad = mac.as_ref().to_vec();
        bad[0] ^= 1;
        assert!(!keyed.verify_finished_mac(&th, &bad).unwrap());
        // Oversized fields are refused on the keyed path too.
        let mut out = [0u8; 32];
        let refused = Err(Error::ApiMisuse(ApiMisuse::InvalidExporterRequest));
        assert_eq!(
            keyed
                .expand_label_into(&[b'a'; 250], &[], &mut out)
                .map(|_| ()),
            refused
        );
        assert_eq!(
            keyed
                .expand_label_into(b"key", &[0; 256], &mut out)
                .map(|_| ()),
            refused
        );
    }
}
