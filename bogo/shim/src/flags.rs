//! The runner's command line (BoringSSL `ssl/test/test_config.cc`): parsed into one [`Conn`] per
//! connection kind (initial, resumption, 0-RTT retry).
//!
//! A flag prefixed `-on-initial-`, `-on-resume-` or `-on-retry-` applies to that connection only;
//! an unprefixed one to all three; `-on-shim-` is taken and `-on-handshaker-` dropped (this shim
//! has no split handshaker). A flag clasp cannot honour is reported as
//! [`FlagError::Unimplemented`], which the shim turns into exit code 89 ("unimplemented"), never
//! into a silent no-op that would make a test pass for the wrong reason.

use core::fmt;

/// Settings for one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conn {
    pub port: u16,
    pub ipv6: bool,
    pub shim_id: u64,
    pub resume_count: u32,
    pub server: bool,

    pub min_version: Option<u16>,
    pub max_version: Option<u16>,
    pub no_tls13: bool,
    pub no_tls12: bool,
    pub expect_version: Option<u16>,

    pub key_file: Option<String>,
    pub cert_file: Option<String>,
    pub host_name: Option<String>,
    pub expect_server_name: Option<String>,
    pub expect_peer_cert_file: Option<String>,

    /// ALPN list in wire form (length-prefixed names), as `-advertise-alpn` gives it.
    pub advertise_alpn: Option<Vec<u8>>,
    pub expect_alpn: Option<Vec<u8>>,
    pub select_alpn: Option<Vec<u8>>,
    pub decline_alpn: bool,

    pub curves: Vec<u16>,
    pub verify_prefs: Vec<u16>,
    pub signing_prefs: Vec<u16>,
    pub expect_curve_id: Option<u16>,
    pub expect_cipher: Option<u16>,
    pub expect_cipher_aes: Option<u16>,
    pub expect_cipher_no_aes: Option<u16>,
    pub expect_peer_signature_algorithm: Option<u16>,

    pub require_any_client_certificate: bool,
    pub verify_peer: bool,
    pub verify_fail: bool,

    pub shim_writes_first: bool,
    pub shim_shuts_down: bool,
    pub check_close_notify: bool,
    pub key_update: bool,
    pub read_size: Option<usize>,
    pub write_different_record_sizes: bool,
    pub use_exporter_between_reads: bool,
    pub export_keying_material: usize,
    pub export_label: Vec<u8>,
    pub export_context: Vec<u8>,
    pub use_export_context: bool,

    pub expect_session_miss: bool,
    pub no_ticket: bool,
    pub resumption_delay: u64,
    pub expect_extended_master_secret: bool,
    pub expect_hrr: bool,
    pub expect_no_hrr: bool,

    pub enable_early_data: bool,
    pub expect_accept_early_data: bool,
    pub expect_reject_early_data: bool,
    pub expect_no_offer_early_data: bool,
    /// The verify callback's result is "ok": implied by a completed handshake, since clasp's
    /// verifier must accept the chain for the handshake to finish.
    pub expect_verify_result: bool,
    /// The ticket allows 0-RTT: checked on the resumption, where the client must then be able
    /// to offer early data (clasp does not expose a stored ticket's early-data limit).
    pub expect_ticket_supports_early_data: bool,
    /// Verify the peer again on resumption: what clasp's server always does (DESIGN: resumption
    /// never weakens authentication) and its client does by default; without the flag the
    /// shim's client turns that off, as BoringSSL's client does not re-verify.
    pub reverify_on_resume: bool,
    /// BoringSSL's compliance policies (`SSL_set_compliance_policy`): versions, suites, groups
    /// and signature schemes restricted to those of the policy (`run::Policy`).
    pub fips_202205: bool,
    pub wpa_202304: bool,
    /// Why 0-RTT was (not) used, in BoringSSL's words (`SSL_early_data_reason_string`).
    pub expect_early_data_reason: Option<String>,
    /// Client: the connection leaves no session to resume (BoringSSL's new-session callback
    /// does not fire), read from `ClientSessionCache::sessions_stored`.
    pub expect_no_session: bool,
    /// Client: a TLS 1.2 resumption stores a new session (a renewed ticket).
    pub expect_ticket_renewal: bool,
    /// Server: the initial connection's session is (not) cached by session ID, read from
    /// `ServerConfig::session_id_cache`.
    pub expect_session_id: bool,
    pub expect_no_session_id: bool,
    /// Server: the client's ALPN list, in wire form, as the ALPN select callback sees it.
    pub expect_advertised_alpn: Option<Vec<u8>>,
    /// OCSP stapling flags (see `crate::ocsp`).
    pub ocsp: crate::ocsp::Ocsp,
}

/// Why the command line cannot be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagError {
    /// A flag (or flag value) naming something clasp does not do: exit 89.
    Unimplemented(String),
    /// A malformed command line: exit 1.
    Invalid(String),
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unimplemented(s) => write!(f, "unimplemented: {s}"),
            Self::Invalid(s) => write!(f, "invalid command line: {s}"),
        }
    }
}

/// What the runner asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-is-handshaker-supported`: answer "No" (no split handshakes).
    HandshakerSupported,
    /// Run the connections: `[initial, resume, retry]`.
    Run(Box<[Conn; 3]>),
}

/// Flags accepted without effect, each with the reason it is safe to ignore.
const NO_OPS: &[&str] = &[
    // BoringSSL's non-blocking BIO mode; the wire behaviour is the same for a blocking shim.
    "-async",
    // The handshake runs before the first read/write either way; the bytes on the wire match.
    "-implicit-handshake",
    // BoringSSL API sequencing checks with no wire effect.
    "-partial-write",
    "-peek-then-read",
    "-handshake-twice",
    "-no-op-extra-handshake",
    "-use-early-callback",
    "-use-custom-verify-callback",
    "-use-old-client-cert-callback",
    "-install-ddos-callback",
    // Only for handshake hints from a split handshaker, which this shim does not have.
    "-allow-hint-mismatch",
    // clasp refuses renegotiation always.
    "-forbid-renegotiation-after-handshake",
    // CBC suites do not exist in clasp.
    "-cbc-record-splitting",
];

/// Parses `args` (without the program name).
///
/// # Errors
/// [`FlagError::Unimplemented`] for a flag clasp cannot honour, [`FlagError::Invalid`] for a
/// malformed value.
pub fn parse(args: &[String]) -> Result<Command, FlagError> {
    let mut confs: [Conn; 3] = Default::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        let mut name = arg;
        if let Some(rest) = strip_prefix(name, "-on-shim") {
            name = rest;
        } else if let Some(rest) = strip_prefix(name, "-on-handshaker") {
            // Only for a split handshaker; skip the flag and its value (it may carry a
            // connection prefix of its own: -on-handshaker-on-resume-no-ticket).
            let rest = ["-on-initial", "-on-resume", "-on-retry"]
                .iter()
                .find_map(|p| strip_prefix(rest, p))
                .unwrap_or(rest);
            if takes_value(rest)? {
                i += 1;
            }
            continue;
        }
        let target: &[usize] = if let Some(rest) = strip_prefix(name, "-on-initial") {
            name = rest;
            &[0]
        } else if let Some(rest) = strip_prefix(name, "-on-resume") {
            name = rest;
            &[1]
        } else if let Some(rest) = strip_prefix(name, "-on-retry") {
            name = rest;
            &[2]
        } else {
            &[0, 1, 2]
        };
        if name == "-is-handshaker-supported" {
            return Ok(Command::HandshakerSupported);
        }
        let value = if takes_value(name)? {
            let v = args
                .get(i)
                .ok_or_else(|| FlagError::Invalid(format!("{name} needs a value")))?;
            i += 1;
            Some(v.as_str())
        } else {
            None
        };
        for &t in target {
            apply(&mut confs[t], name, value)?;
        }
    }
    Ok(Command::Run(Box::new(confs)))
}

/// `-on-initial-foo` → `-foo`.
fn strip_prefix<'a>(arg: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = arg.strip_prefix(prefix)?;
    rest.starts_with('-').then_some(rest)
}

const BOOL_FLAGS: &[&str] = &[
    "-ipv6",
    "-server",
    "-no-tls13",
    "-no-tls12",
    "-no-tls11",
    "-no-tls1",
    "-decline-alpn",
    "-require-any-client-certificate",
    "-verify-peer",
    "-verify-fail",
    "-shim-writes-first",
    "-shim-shuts-down",
    "-check-close-notify",
    "-key-update",
    "-write-different-record-sizes",
    "-use-exporter-between-reads",
    "-use-export-context",
    "-expect-session-miss",
    "-no-ticket",
    "-expect-extended-master-secret",
    "-expect-hrr",
    "-expect-no-hrr",
    "-enable-early-data",
    "-expect-accept-early-data",
    "-expect-reject-early-data",
    "-expect-no-offer-early-data",
    "-expect-verify-result",
    "-reverify-on-resume",
    "-expect-ticket-supports-early-data",
    "-fips-202205",
    "-wpa-202304",
    "-expect-no-session",
    "-expect-ticket-renewal",
    "-expect-session-id",
    "-expect-no-session-id",
];

const VALUE_FLAGS: &[&str] = &[
    "-port",
    "-shim-id",
    "-resume-count",
    "-min-version",
    "-max-version",
    "-expect-version",
    "-key-file",
    "-cert-file",
    "-host-name",
    "-expect-server-name",
    "-expect-peer-cert-file",
    "-advertise-alpn",
    "-expect-alpn",
    "-select-alpn",
    "-curves",
    "-verify-prefs",
    "-signing-prefs",
    "-expect-curve-id",
    "-expect-cipher",
    "-expect-cipher-aes",
    "-expect-cipher-no-aes",
    "-expect-peer-signature-algorithm",
    "-read-size",
    "-export-keying-material",
    "-export-label",
    "-export-context",
    "-resumption-delay",
    "-expect-total-renegotiations",
    "-expect-early-data-reason",
    "-expect-advertised-alpn",
];

fn takes_value(name: &str) -> Result<bool, FlagError> {
    if VALUE_FLAGS.contains(&name) || crate::ocsp::VALUE_FLAGS.contains(&name) {
        Ok(true)
    } else if crate::ocsp::BOOL_FLAGS.contains(&name)
        || BOOL_FLAGS.contains(&name)
        || NO_OPS.contains(&name)
    {
        Ok(false)
    } else {
        Err(FlagError::Unimplemented(name.to_owned()))
    }
}

fn int<T: core::str::FromStr>(name: &str, v: Option<&str>) -> Result<T, FlagError> {
    let v = v.unwrap_or_default();
    v.parse()
        .map_err(|_| FlagError::Invalid(format!("{name}: not a number: {v:?}")))
}

fn apply(c: &mut Conn, name: &str, value: Option<&str>) -> Result<(), FlagError> {
    let s = || value.unwrap_or_default().to_owned();
    let b = || value.unwrap_or_default().as_bytes().to_vec();
    match name {
        "-port" => c.port = int(name, value)?,
        "-shim-id" => c.shim_id = int(name, value)?,
        "-resume-count" => c.resume_count = int(name, value)?,
        "-ipv6" => c.ipv6 = true,
        "-server" => c.server = true,
        "-min-version" => c.min_version = Some(int(name, value)?),
        "-max-version" => c.max_version = Some(int(name, value)?),
        "-expect-version" => c.expect_version = Some(int(name, value)?),
        "-no-tls13" => c.no_tls13 = true,
        "-no-tls12" => c.no_tls12 = true,
        // clasp has no TLS 1.0/1.1 to turn off.
        "-no-tls11" | "-no-tls1" => {}
        "-key-file" => c.key_file = Some(s()),
        "-cert-file" => c.cert_file = Some(s()),
        "-host-name" => c.host_name = Some(s()),
        "-expect-server-name" => c.expect_server_name = Some(s()),
        "-expect-peer-cert-file" => c.expect_peer_cert_file = Some(s()),
        "-advertise-alpn" => c.advertise_alpn = Some(b()),
        "-expect-alpn" => c.expect_alpn = Some(b()),
        "-select-alpn" => c.select_alpn = Some(b()),
        "-decline-alpn" => c.decline_alpn = true,
        "-curves" => c.curves.push(int(name, value)?),
        "-verify-prefs" => c.verify_prefs.push(int(name, value)?),
        "-signing-prefs" => c.signing_prefs.push(int(name, value)?),
        "-expect-curve-id" => c.expect_curve_id = Some(int(name, value)?),
        "-expect-cipher" => c.expect_cipher = Some(int(name, value)?),
        "-expect-cipher-aes" => c.expect_cipher_aes = Some(int(name, value)?),
        "-expect-cipher-no-aes" => c.expect_cipher_no_aes = Some(int(name, value)?),
        "-expect-peer-signature-algorithm" => {
            c.expect_peer_signature_algorithm = Some(int(name, value)?);
        }
        "-require-any-client-certificate" => c.require_any_client_certificate = true,
        "-verify-peer" => c.verify_peer = true,
        "-verify-fail" => c.verify_fail = true,
        "-shim-writes-first" => c.shim_writes_first = true,
        "-shim-shuts-down" => c.shim_shuts_down = true,
        "-check-close-notify" => c.check_close_notify = true,
        "-key-update" => c.key_update = true,
        "-read-size" => c.read_size = Some(int(name, value)?),
        "-write-different-record-sizes" => c.write_different_record_sizes = true,
        "-use-exporter-between-reads" => c.use_exporter_between_reads = true,
        "-export-keying-material" => c.export_keying_material = int(name, value)?,
        "-export-label" => c.export_label = b(),
        "-export-context" => c.export_context = b(),
        "-use-export-context" => c.use_export_context = true,
        "-expect-session-miss" => c.expect_session_miss = true,
        "-no-ticket" => c.no_ticket = true,
        "-resumption-delay" => c.resumption_delay = int(name, value)?,
        "-expect-extended-master-secret" => c.expect_extended_master_secret = true,
        "-expect-hrr" => c.expect_hrr = true,
        "-expect-no-hrr" => c.expect_no_hrr = true,
        "-enable-early-data" => c.enable_early_data = true,
        "-expect-accept-early-data" => c.expect_accept_early_data = true,
        "-expect-reject-early-data" => c.expect_reject_early_data = true,
        "-expect-no-offer-early-data" => c.expect_no_offer_early_data = true,
        "-expect-verify-result" => c.expect_verify_result = true,
        "-reverify-on-resume" => c.reverify_on_resume = true,
        "-expect-ticket-supports-early-data" => c.expect_ticket_supports_early_data = true,
        "-fips-202205" => c.fips_202205 = true,
        "-wpa-202304" => c.wpa_202304 = true,
        "-expect-early-data-reason" => c.expect_early_data_reason = Some(s()),
        "-expect-no-session" => c.expect_no_session = true,
        "-expect-ticket-renewal" => c.expect_ticket_renewal = true,
        "-expect-session-id" => c.expect_session_id = true,
        "-expect-no-session-id" => c.expect_no_session_id = true,
        "-expect-advertised-alpn" => c.expect_advertised_alpn = Some(b()),
        // clasp never renegotiates: zero is the only count it can meet.
        "-expect-total-renegotiations" => {
            if int::<u32>(name, value)? != 0 {
                return Err(FlagError::Unimplemented(format!("{name} (renegotiation)")));
            }
        }
        n if NO_OPS.contains(&n) => {}
        n => match crate::ocsp::apply(&mut c.ocsp, n, value) {
            Some(r) => r?,
            None => return Err(FlagError::Unimplemented(n.to_owned())),
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn run(s: &str) -> [Conn; 3] {
        match parse(&args(s)) {
            Ok(Command::Run(c)) => *c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn basic_flags_apply_to_every_connection() {
        let c = run("-port 4433 -shim-id 7 -server -resume-count 1 -key-file k.pem -ipv6");
        for conn in &c {
            assert_eq!(conn.port, 4433);
            assert_eq!(conn.shim_id, 7);
            assert!(conn.server);
            assert!(conn.ipv6);
            assert_eq!(conn.resume_count, 1);
            assert_eq!(conn.key_file.as_deref(), Some("k.pem"));
        }
    }

    #[test]
    fn prefixes_select_the_connection() {
        let c = run("-on-resume-expect-session-miss -on-initial-curves 29 -on-retry-expect-hrr");
        assert!(!c[0].expect_session_miss && c[1].expect_session_miss);
        assert_eq!(c[0].curves, vec![29]);
        assert!(c[1].curves.is_empty());
        assert!(c[2].expect_hrr && !c[0].expect_hrr);
    }

    #[test]
    fn shim_prefix_is_taken_and_handshaker_prefix_dropped() {
        let c = run(
            "-on-shim-key-update -on-handshaker-select-alpn foo -on-handshaker-on-resume-no-ticket \
             -port 1",
        );
        assert!(!c[1].no_ticket);
        assert!(c[0].key_update);
        assert_eq!(c[0].select_alpn, None);
        assert_eq!(c[0].port, 1);
    }

    #[test]
    fn repeated_int_flags_accumulate() {
        let c =
            run("-curves 29 -curves 23 -verify-prefs 1027 -signing-prefs 2052 -signing-prefs 1027");
        assert_eq!(c[0].curves, vec![29, 23]);
        assert_eq!(c[2].verify_prefs, vec![1027]);
        assert_eq!(c[1].signing_prefs, vec![2052, 1027]);
    }

    #[test]
    fn unknown_and_unsupported_flags_are_unimplemented() {
        assert_eq!(
            parse(&args("-dtls")),
            Err(FlagError::Unimplemented("-dtls".into()))
        );
        assert_eq!(
            parse(&args("-port 1 -no-such-flag")),
            Err(FlagError::Unimplemented("-no-such-flag".into()))
        );
        assert!(matches!(
            parse(&args("-expect-total-renegotiations 1")),
            Err(FlagError::Unimplemented(_))
        ));
        assert!(parse(&args("-expect-total-renegotiations 0")).is_ok());
    }

    #[test]
    fn malformed_values_are_invalid() {
        assert!(matches!(
            parse(&args("-port x")),
            Err(FlagError::Invalid(_))
        ));
        assert!(matches!(parse(&args("-port")), Err(FlagError::Invalid(_))));
    }

    #[test]
    fn handshaker_query() {
        assert_eq!(
            parse(&args("-is-handshaker-supported")),
            Ok(Command::HandshakerSupported)
        );
    }

    #[test]
    fn no_ops_take_no_value() {
        let c = run("-async -shim-writes-first -implicit-handshake -port 9");
        assert!(c[0].shim_writes_first);
        assert_eq!(c[0].port, 9);
    }

    #[test]
    fn policies_and_early_data_reason() {
        let c = run("-fips-202205 -on-resume-expect-early-data-reason accept -wpa-202304");
        assert!(c[0].fips_202205 && c[2].fips_202205 && c[1].wpa_202304);
        assert_eq!(c[0].expect_early_data_reason, None);
        assert_eq!(c[1].expect_early_data_reason.as_deref(), Some("accept"));
    }

    #[test]
    fn session_expectations() {
        let c = run("-expect-session-id -on-retry-expect-no-session -expect-ticket-renewal");
        assert!(c[0].expect_session_id && c[1].expect_session_id);
        assert!(!c[0].expect_no_session && !c[1].expect_no_session && c[2].expect_no_session);
        assert!(c[1].expect_ticket_renewal && !c[0].expect_no_session_id);
        assert!(run("-expect-no-session-id")[0].expect_no_session_id);
    }

    #[test]
    fn advertised_alpn_and_hint_mismatch() {
        let c = run("-allow-hint-mismatch -expect-advertised-alpn \x03foo -port 2");
        assert_eq!(
            c[0].expect_advertised_alpn.as_deref(),
            Some(&b"\x03foo"[..])
        );
        assert_eq!(c[0].port, 2);
    }

    #[test]
    fn alpn_and_exporter_values_are_raw_bytes() {
        let c = run(
            "-expect-alpn foo -export-label lbl -export-context ctx -export-keying-material 32",
        );
        assert_eq!(c[0].expect_alpn.as_deref(), Some(&b"foo"[..]));
        assert_eq!(c[0].export_label, b"lbl");
        assert_eq!(c[0].export_context, b"ctx");
        assert_eq!(c[0].export_keying_material, 32);
    }
}
