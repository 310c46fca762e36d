//! OCSP stapling against real OpenSSL peers, both directions, TLS 1.2 and 1.3:
//! `openssl s_client -status` against `clasp server --ocsp` (including a reload of the file),
//! and `clasp client` against `openssl s_server -status_file`, which must show good, revoked,
//! and forged (other signer, other serial) responses for what they are.
//!
//! The PKI and the responses are made here with the openssl tool: `openssl ocsp` signs a
//! response from an index file (RFC 6960 responses, the issuer itself as the responder).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use clasp_testkit::{
    require_peers, OpensslClient, OpensslClientOpts, OpensslServer, OpensslServerOpts, TlsVersion,
};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

/// Runs `openssl ARGS` in `dir`, panicking with its output on failure.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a leaf for localhost it issued, a second leaf (another serial), an unrelated CA (the
/// forger), and the OCSP responses.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("clasp-ocsp-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let p = Pki { dir };
        for ca in ["ca", "evil"] {
            p.run(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
                "-days",
                "30",
                "-subj",
                &format!("/CN=clasp ocsp test {ca}"),
            ]);
        }
        std::fs::write(
            p.dir.join("leaf.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        for leaf in ["leaf", "other"] {
            p.run(&[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{leaf}.key"),
                "-out",
                &format!("{leaf}.csr"),
                "-subj",
                "/CN=localhost",
            ]);
            p.run(&[
                "x509",
                "-req",
                "-in",
                &format!("{leaf}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{leaf}.pem"),
                "-days",
                "30",
                "-extfile",
                "leaf.ext",
            ]);
        }
        p
    }

    fn run(&self, args: &[&str]) {
        openssl(&self.dir, args);
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// The serial of `cert` as `openssl x509 -serial` prints it (upper-case hex).
    fn serial(&self, cert: &str) -> String {
        let out = Command::new("openssl")
            .current_dir(&self.dir)
            .args(["x509", "-in", cert, "-noout", "-serial"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .trim_start_matches("serial=")
            .to_string()
    }

    /// A response for `cert` saying `status` ('V' good, 'R' revoked), signed by `signer`
    /// (`ca` or the forger `evil`), written to `out`.
    fn response(&self, cert: &str, status: char, signer: &str, out: &str) -> String {
        let serial = self.serial(cert);
        let revoked = if status == 'R' { "250101000000Z" } else { "" };
        std::fs::write(
            self.dir.join("index.txt"),
            format!("{status}\t301231000000Z\t{revoked}\t{serial}\tunknown\t/CN=localhost\n"),
        )
        .unwrap();
        self.run(&[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            cert,
            "-no_nonce",
            "-reqout",
            "req.der",
        ]);
        self.run(&[
            "ocsp",
            "-index",
            "index.txt",
            "-CA",
            "ca.pem",
            "-rsigner",
            &format!("{signer}.pem"),
            "-rkey",
            &format!("{signer}.key"),
            "-reqin",
            "req.der",
            "-respout",
            out,
            "-ndays",
            "1",
        ]);
        self.path(out)
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `clasp server`, killed on drop.
struct ClaspServer {
    child: Child,
    port: u16,
}

impl Drop for ClaspServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ClaspServer {
    fn start(pki: &Pki, ocsp: &str) -> Self {
        let mut child = Command::new(BIN)
            .args(["server", "--port", "0", "--cert"])
            .arg(pki.path("leaf.pem"))
            .arg("--key")
            .arg(pki.path("leaf.key"))
            .args(["--ocsp", ocsp])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn clasp server");
        let stdout = child.stdout.take().expect("stdout");
        // From here the guard kills and reaps the child on every path (a panic included).
        let mut server = Self { child, port: 0 };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) else {
                panic!("clasp server did not start");
            };
            if let Some(rest) = line.strip_prefix("listening on https://127.0.0.1:") {
                server.port = rest.trim_end_matches('/').parse().expect("port");
                return server;
            }
        }
    }
}

/// `openssl s_client -status` against the server; returns its stdout.
fn s_client_status(pki: &Pki, port: u16, version: TlsVersion) -> String {
    let mut opts = OpensslClientOpts::new(port, pki.path("ca.pem")).version(version);
    opts.extra_args = vec!["-status".into()];
    let out = OpensslClient::run(&opts);
    assert!(
        out.stdout.contains("Verify return code: 0 (ok)"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// `openssl s_client -status` sees the response `clasp server --ocsp` staples, in TLS 1.2 and
/// 1.3, and the reloaded one after the file changes.
#[test]
fn openssl_client_gets_the_staple_from_clasp_server() {
    require_peers!("openssl");
    let pki = Pki::new("srv");
    let staple = pki.response("leaf.pem", 'V', "ca", "good.der");
    let server = ClaspServer::start(&pki, &staple);
    for v in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let out = s_client_status(&pki, server.port, v);
        assert!(
            out.contains("OCSP Response Status: successful"),
            "{v:?}: {out}"
        );
        assert!(out.contains("Cert Status: good"), "{v:?}: {out}");
    }
    // Replace the file: within a few seconds new connections get the new response.
    let revoked = pki.response("leaf.pem", 'R', "ca", "revoked.der");
    std::fs::copy(&revoked, &staple).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let mut seen = String::new();
    for _ in 0..10 {
        seen = s_client_status(&pki, server.port, TlsVersion::Tls13);
        if seen.contains("Cert Status: revoked") {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(seen.contains("Cert Status: revoked"), "{seen}");
    // A broken file keeps the previous response.
    std::fs::write(&staple, b"garbage").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let out = s_client_status(&pki, server.port, TlsVersion::Tls12);
    assert!(out.contains("Cert Status: revoked"), "{out}");
}

/// A client that does not ask gets no staple (s_client without -status prints nothing).
#[test]
fn openssl_client_without_status_gets_none() {
    require_peers!("openssl");
    let pki = Pki::new("nostatus");
    let staple = pki.response("leaf.pem", 'V', "ca", "good.der");
    let server = ClaspServer::start(&pki, &staple);
    let opts = OpensslClientOpts::new(server.port, pki.path("ca.pem")).version(TlsVersion::Tls13);
    let out = OpensslClient::run(&opts);
    assert!(
        out.stdout.contains("Verify return code: 0 (ok)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("OCSP response"), "{}", out.stdout);
}

/// `clasp client --json` against `openssl s_server -status_file`: stdout is the JSON summary.
fn clasp_client(pki: &Pki, staple: &str, version: TlsVersion) -> (String, String) {
    let opts = OpensslServerOpts {
        cert: Some(pki.dir.join("leaf.pem")),
        key: Some(pki.dir.join("leaf.key")),
        version: Some(version),
        extra_args: vec!["-status_file".into(), staple.into()],
        ..OpensslServerOpts::default()
    };
    let server = OpensslServer::start(&opts);
    let flag = match version {
        TlsVersion::Tls12 => "--tls12",
        _ => "--tls13",
    };
    let out = Command::new(BIN)
        .args(["client", &format!("127.0.0.1:{}", server.port())])
        .args([
            "--servername",
            "localhost",
            "--ca",
            &pki.path("ca.pem"),
            flag,
        ])
        .args(["--json", "--wait", "0.2"])
        .stdin(Stdio::null())
        .output()
        .expect("run clasp client");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn clasp_client_shows_a_good_staple_from_openssl() {
    require_peers!("openssl");
    let pki = Pki::new("good");
    let staple = pki.response("leaf.pem", 'V', "ca", "good.der");
    for v in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let (json, text) = clasp_client(&pki, &staple, v);
        assert!(json.contains("\"ocsp_stapled\":true"), "{v:?}: {json}");
        assert!(json.contains("\"status\":\"good\""), "{v:?}: {json}");
        assert!(
            json.contains("\"signature_verified\":true"),
            "{v:?}: {json}"
        );
        assert!(json.contains("\"current\":true"), "{v:?}: {json}");
        assert!(json.contains("\"valid\":true"), "{v:?}: {json}");
        assert!(text.contains("ocsp response: VALID"), "{v:?}: {text}");
        assert!(text.contains("verified (by the issuer)"), "{v:?}: {text}");
        assert!(text.contains("ocsp this_update:"), "{v:?}: {text}");
        assert!(text.contains("ocsp next_update:"), "{v:?}: {text}");
        assert!(text.contains("ocsp produced_at:"), "{v:?}: {text}");
    }
}

#[test]
fn clasp_client_shows_a_revoked_staple_as_invalid() {
    require_peers!("openssl");
    let pki = Pki::new("revoked");
    let staple = pki.response("leaf.pem", 'R', "ca", "revoked.der");
    let (json, text) = clasp_client(&pki, &staple, TlsVersion::Tls13);
    assert!(
        json.contains("\"status\":\"revoked at 2025-01-01 00:00:00 UTC\""),
        "{json}"
    );
    assert!(json.contains("\"signature_verified\":true"), "{json}");
    assert!(json.contains("\"valid\":false"), "{json}");
    assert!(text.contains("ocsp response: INVALID"), "{text}");
}

/// Forged responses: signed by an unrelated CA (bad signature), or signed by the right issuer
/// but about another certificate (wrong serial). Both are INVALID, in both versions.
#[test]
fn clasp_client_shows_forged_staples_as_invalid() {
    require_peers!("openssl");
    let pki = Pki::new("forged");
    let forged = pki.response("leaf.pem", 'V', "evil", "forged.der");
    let other = pki.response("other.pem", 'V', "ca", "other.der");
    for v in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let (json, text) = clasp_client(&pki, &forged, v);
        assert!(
            json.contains("\"signature_verified\":false"),
            "{v:?}: {json}"
        );
        assert!(json.contains("\"valid\":false"), "{v:?}: {json}");
        assert!(text.contains("ocsp response: INVALID"), "{v:?}: {text}");
        assert!(text.contains("bad signature"), "{v:?}: {text}");

        let (json, text) = clasp_client(&pki, &other, v);
        assert!(json.contains("\"valid\":false"), "{v:?}: {json}");
        assert!(text.contains("ocsp response: INVALID"), "{v:?}: {text}");
        assert!(text.contains("wrong serial"), "{v:?}: {text}");
    }
}

/// `/handshake.json` says the response was stapled (curl --cert-status asks for it and checks
/// it), and the TLS 1.2 ladder shows the CertificateStatus message.
#[test]
fn handshake_page_shows_the_staple() {
    require_peers!("openssl");
    let pki = Pki::new("page");
    let staple = pki.response("leaf.pem", 'V', "ca", "good.der");
    let server = ClaspServer::start(&pki, &staple);
    // openssl s_client asks for the staple (-status); curl's --cert-status wants the issuer in
    // the served chain and cannot compute the OCSP ID for a leaf-only chain.
    for (max, message) in [
        ("-tls1_2", "CertificateStatus"),
        ("-tls1_3", "\"ocsp_staple\""),
    ] {
        let mut child = Command::new("openssl")
            .args([
                "s_client",
                "-quiet",
                "-status",
                max,
                "-servername",
                "localhost",
            ])
            .args(["-connect", &format!("127.0.0.1:{}", server.port)])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run openssl s_client");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin
                .write_all(
                    b"GET /handshake.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                )
                .expect("write request");
        }
        let out = child.wait_with_output().expect("s_client output");
        let body = String::from_utf8_lossy(&out.stdout);
        let max = max.trim_start_matches("-tls");
        assert!(body.contains("\"ocsp_stapled\":true"), "TLS {max}: {body}");
        assert!(body.contains(message), "TLS {max}: {body}");
    }
}
