//! The kit proves itself without clasp: OpenSSL and GnuTLS talk to each other through it, with
//! the generated certificates, for every key type and both versions, echoing data both ways
//! and agreeing on the negotiated version and suite.

use std::time::Duration;

use clasp_testkit::{
    gnutls_suite_tokens, openssl_cipher_name, parse, require_peers, ClientAuth, GnutlsClient,
    GnutlsClientOpts, GnutlsPriority, GnutlsServer, GnutlsServerOpts, KeyType, OpensslClient,
    OpensslClientOpts, OpensslServer, OpensslServerOpts, PeerProcess, TestPki, TlsVersion,
};

const T: Duration = Duration::from_secs(10);

/// One handshake configuration: a suite and group pinned on both sides, varied across the
/// matrix so every AEAD and the common groups get used.
struct Case {
    kt: KeyType,
    version: TlsVersion,
    /// IANA suite name.
    suite: String,
    /// (OpenSSL name, GnuTLS name) of the group.
    group: (&'static str, &'static str),
}

impl Case {
    fn all() -> Vec<Case> {
        let mut cases = Vec::new();
        for (i, kt) in KeyType::ALL.into_iter().enumerate() {
            for version in TlsVersion::ALL {
                let aead = [
                    "AES_128_GCM_SHA256",
                    "AES_256_GCM_SHA384",
                    "CHACHA20_POLY1305_SHA256",
                ][i % 3];
                let suite = match version {
                    TlsVersion::Tls13 => format!("TLS_{aead}"),
                    TlsVersion::Tls12 => {
                        let auth = if kt.is_rsa() { "RSA" } else { "ECDSA" };
                        format!("TLS_ECDHE_{auth}_WITH_{aead}")
                    }
                };
                // A P-521 certificate goes with the P-521 group: in TLS 1.2 OpenSSL uses an
                // ECDSA certificate only on a curve the client listed (RFC 8422 §5.1).
                let group = if kt == KeyType::EcdsaP521 {
                    ("P-521", "SECP521R1")
                } else {
                    [
                        ("X25519", "X25519"),
                        ("P-256", "SECP256R1"),
                        ("P-384", "SECP384R1"),
                    ][(i + 1) % 3]
                };
                cases.push(Case {
                    kt,
                    version,
                    suite,
                    group,
                });
            }
        }
        cases
    }

    fn name(&self) -> String {
        format!("{} {:?} {}", self.kt, self.version, self.suite)
    }

    /// The suite as OpenSSL prints it.
    fn openssl_suite(&self) -> &str {
        match self.version {
            TlsVersion::Tls13 => &self.suite,
            TlsVersion::Tls12 => openssl_cipher_name(&self.suite).unwrap(),
        }
    }

    /// The cipher as GnuTLS prints it.
    fn gnutls_cipher(&self) -> &'static str {
        gnutls_suite_tokens(&self.suite).unwrap().0
    }

    fn openssl_server(&self, pki: &TestPki) -> OpensslServer {
        let mut o = OpensslServerOpts::new(pki.server(self.kt))
            .version(self.version)
            .groups(self.group.0)
            .naccept(1)
            .brief();
        o = match self.version {
            TlsVersion::Tls13 => o.ciphersuites(self.openssl_suite()),
            TlsVersion::Tls12 => o.cipher(self.openssl_suite()),
        };
        OpensslServer::start(&o)
    }

    fn openssl_client(&self, pki: &TestPki, port: u16) -> OpensslClientOpts {
        let o = OpensslClientOpts::new(port, pki.ca_path())
            .version(self.version)
            .groups(self.group.0);
        match self.version {
            TlsVersion::Tls13 => o.ciphersuites(self.openssl_suite()),
            TlsVersion::Tls12 => o.cipher(self.openssl_suite()),
        }
    }

    fn gnutls_priority(&self) -> GnutlsPriority {
        GnutlsPriority::new()
            .version(self.version)
            .group(self.group.1)
            .suite(&self.suite)
    }

    fn gnutls_server(&self, pki: &TestPki) -> GnutlsServer {
        GnutlsServer::start(
            &GnutlsServerOpts::new(pki.server(self.kt)).priority(self.gnutls_priority()),
        )
    }

    fn gnutls_client(&self, pki: &TestPki, port: u16) -> GnutlsClientOpts {
        GnutlsClientOpts::new(port, pki.ca_path()).priority(self.gnutls_priority())
    }

    fn check_openssl_report(&self, who: &str, text: &str) {
        assert_eq!(
            parse::negotiated_version(text),
            Some(self.version),
            "{who} {}:\n{text}",
            self.name()
        );
        assert_eq!(
            parse::cipher(text).as_deref(),
            Some(self.openssl_suite()),
            "{who} {}:\n{text}",
            self.name()
        );
    }

    fn check_gnutls_report(&self, who: &str, text: &str) {
        assert_eq!(
            parse::negotiated_version(text),
            Some(self.version),
            "{who} {}:\n{text}",
            self.name()
        );
        assert_eq!(
            parse::cipher(text).as_deref(),
            Some(self.gnutls_cipher()),
            "{who} {}:\n{text}",
            self.name()
        );
        let group = format!("(ECDHE-{})", self.group.1);
        assert!(
            text.contains(&group),
            "{who} {}: no {group}:\n{text}",
            self.name()
        );
    }
}

/// Client and s_server (interactive mode) exchange a line each way over a running client.
fn exchange_with_openssl_server(case: &Case, server: &mut OpensslServer, client: &mut PeerProcess) {
    let up = format!("up {} {:?}\n", case.kt, case.version);
    let down = format!("down {} {:?}\n", case.kt, case.version);
    client.send(up.as_bytes());
    server.expect_output(up.trim_end(), T);
    server.send(down.as_bytes());
    client.expect_output(down.trim_end(), T);
}

#[test]
fn openssl_client_to_openssl_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    for case in Case::all() {
        let mut server = case.openssl_server(pki);
        let mut client = OpensslClient::spawn(&case.openssl_client(pki, server.port()));
        exchange_with_openssl_server(&case, &mut server, &mut client);
        let out = client.finish(T);
        out.assert_success();
        case.check_openssl_report("s_client", &out.stdout);
        assert!(
            out.stdout.contains(&format!(
                "Server Temp Key: {}",
                if case.group.0 == "X25519" {
                    "X25519"
                } else {
                    "ECDH"
                }
            )),
            "{out}"
        );
        let sout = server.finish(T);
        case.check_openssl_report("s_server", &sout.stderr);
    }
}

#[test]
fn gnutls_client_to_gnutls_server() {
    require_peers!("gnutls-cli", "gnutls-serv");
    let pki = TestPki::shared();
    for case in Case::all() {
        let server = case.gnutls_server(pki);
        let msg = format!("echo {} {:?}", case.kt, case.version);
        let out = GnutlsClient::run(
            &case
                .gnutls_client(pki, server.port())
                .send(format!("{msg}\n").as_bytes())
                .expect(&msg),
        );
        out.assert_success();
        case.check_gnutls_report("gnutls-cli", &out.stdout);
        server.expect_output(&msg, T);
        let sout = server.finish();
        case.check_gnutls_report("gnutls-serv", &sout.stdout);
    }
}

#[test]
fn openssl_client_to_gnutls_server() {
    require_peers!("openssl", "gnutls-serv");
    let pki = TestPki::shared();
    for case in Case::all() {
        let server = case.gnutls_server(pki);
        let msg = format!("echo {} {:?}", case.kt, case.version);
        let out = OpensslClient::run(
            &case
                .openssl_client(pki, server.port())
                .send(format!("{msg}\n").as_bytes())
                .expect(&msg),
        );
        out.assert_success();
        case.check_openssl_report("s_client", &out.stdout);
        let sout = server.finish();
        case.check_gnutls_report("gnutls-serv", &sout.stdout);
    }
}

#[test]
fn gnutls_client_to_openssl_server() {
    require_peers!("openssl", "gnutls-cli");
    let pki = TestPki::shared();
    for case in Case::all() {
        let mut server = case.openssl_server(pki);
        let mut client = GnutlsClient::spawn(&case.gnutls_client(pki, server.port()));
        exchange_with_openssl_server(&case, &mut server, &mut client);
        let out = client.finish(T);
        out.assert_success();
        case.check_gnutls_report("gnutls-cli", &out.stdout);
        let sout = server.finish(T);
        case.check_openssl_report("s_server", &sout.stderr);
    }
}

/// Client certificates of every key type, required by the server, both toolkits.
#[test]
fn client_auth_required() {
    require_peers!("openssl", "gnutls-cli", "gnutls-serv");
    let pki = TestPki::shared();
    for kt in KeyType::ALL {
        for v in TlsVersion::ALL {
            // openssl client -> gnutls server
            let server = GnutlsServer::start(
                &GnutlsServerOpts::new(pki.server(KeyType::EcdsaP256))
                    .version(v)
                    .client_auth(ClientAuth::Require),
            );
            let out = OpensslClient::run(
                &OpensslClientOpts::new(server.port(), pki.ca_path())
                    .version(v)
                    .client_cert(pki.client(kt))
                    .send(b"authed\n")
                    .expect("authed"),
            );
            out.assert_success();
            let sout = server.finish();
            assert!(
                sout.stdout.contains("CN=clasp test client"),
                "{kt} {v:?}:\n{sout}"
            );

            // gnutls client -> openssl server
            let server = OpensslServer::start(
                &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
                    .version(v)
                    .client_auth(ClientAuth::Require)
                    .naccept(1)
                    .rev(),
            );
            let out = GnutlsClient::run(
                &GnutlsClientOpts::new(server.port(), pki.ca_path())
                    .version(v)
                    .client_cert(pki.client(kt))
                    .send(b"abc\n")
                    .expect("cba"),
            );
            out.assert_success();
            server.expect_output("clasp test client", T);
        }
    }
    // Without a certificate the same openssl server refuses the client.
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .client_auth(ClientAuth::Require)
            .naccept(1)
            .rev(),
    );
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(server.port(), pki.ca_path())
            .version(TlsVersion::Tls13)
            .send(b"abc\n")
            .expect("cba")
            .timeout(Duration::from_secs(3)),
    );
    out.assert_failure();
}

/// The bad certificates are refused by both clients, each for its reason.
#[test]
fn bad_server_certificates_are_rejected() {
    require_peers!("openssl", "gnutls-cli");
    let pki = TestPki::shared();
    let cases = [
        (pki.expired(), "certificate has expired", "expired"),
        (pki.wrong_host(), "hostname mismatch", "does not match"),
        // s_server completes the chain from its -CAfile (here the unrelated CA), so OpenSSL sees a
        // self-signed root it does not trust.
        (
            pki.untrusted(),
            "self-signed certificate in certificate chain",
            "issuer is unknown",
        ),
    ];
    for (id, openssl_says, gnutls_says) in cases {
        let server = OpensslServer::start(&OpensslServerOpts::new(id).rev());
        let out = OpensslClient::run(
            &OpensslClientOpts::new(server.port(), pki.ca_path())
                .send(b"abc\n")
                .expect("cba"),
        );
        out.assert_failure().assert_contains(openssl_says);
        let out = GnutlsClient::run(
            &GnutlsClientOpts::new(server.port(), pki.ca_path())
                .send(b"abc\n")
                .expect("cba"),
        );
        out.assert_failure().assert_contains(gnutls_says);
        // Trusting the right CA (or not checking) the same server is fine.
        let out = OpensslClient::run(
            &OpensslClientOpts::new(server.port(), pki.ca_path())
                .no_verify()
                .send(b"abc\n")
                .expect("cba"),
        );
        out.assert_success();
    }
}

#[test]
fn resumption_is_visible() {
    require_peers!("openssl", "gnutls-cli", "gnutls-serv");
    let pki = TestPki::shared();
    for v in TlsVersion::ALL {
        // openssl: -sess_out then -sess_in against one s_server.
        let server = OpensslServer::start(
            &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
                .version(v)
                .rev(),
        );
        let sess = pki.dir().join(format!("sess-{v:?}.pem"));
        let first = OpensslClient::run(
            &OpensslClientOpts::new(server.port(), pki.ca_path())
                .version(v)
                .sess_out(&sess)
                .send(b"abc\n")
                .expect("cba"),
        );
        first.assert_success();
        assert!(!parse::resumed(&first.stdout), "{first}");
        let second = OpensslClient::run(
            &OpensslClientOpts::new(server.port(), pki.ca_path())
                .version(v)
                .sess_in(&sess)
                .send(b"abc\n")
                .expect("cba"),
        );
        second.assert_success();
        assert!(parse::resumed(&second.stdout), "{v:?}: {second}");
        // (s_server -rev prints a brief summary without a resumption marker.)

        // gnutls-cli --resume against gnutls-serv.
        let server =
            GnutlsServer::start(&GnutlsServerOpts::new(pki.server(KeyType::EcdsaP256)).version(v));
        let out = GnutlsClient::run(
            &GnutlsClientOpts::new(server.port(), pki.ca_path())
                .version(v)
                .resume()
                .send(b"again\n")
                .expect("again"),
        );
        out.assert_success();
        assert!(parse::resumed(&out.stdout), "{v:?}: {out}");
    }
}

/// TLS 1.3 0-RTT between s_client and s_server: the second connection's early data arrives.
#[test]
fn openssl_early_data() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .early_data(),
    );
    let sess = pki.dir().join("sess-early.pem");
    let early = pki.dir().join("early.txt");
    std::fs::write(&early, "early bird\n").unwrap();
    OpensslClient::run(
        &OpensslClientOpts::new(server.port(), pki.ca_path())
            .sess_out(&sess)
            .expect("Post-Handshake New Session Ticket"),
    )
    .assert_success();
    let second = OpensslClient::run(
        &OpensslClientOpts::new(server.port(), pki.ca_path())
            .sess_in(&sess)
            .early_data(&early)
            .expect("Early data was accepted"),
    );
    second.assert_success();
    server.expect_output("early bird", T);
}
