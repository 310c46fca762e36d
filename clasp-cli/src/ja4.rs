//! The visitor's ClientHello, summarised from its raw bytes, and its JA4 fingerprint.
//!
//! JA4 (FoxIO, `technical_details/JA4.md`) is `a_b_c`:
//! - `a`: "t" (TLS over TCP), the version ("13", "12", …; the highest non-GREASE value of
//!   supported_versions, else legacy_version), "d" if SNI is present else "i", the cipher count and
//!   the extension count (two digits each, GREASE excluded, SNI and ALPN included, capped at 99),
//!   and the first and last character of the first ALPN value ("00" if none).
//! - `b`: the first 12 hex digits of SHA-256 over the sorted, comma-separated, 4-hex cipher list
//!   (GREASE excluded); "000000000000" if the list is empty.
//! - `c`: the first 12 hex digits of SHA-256 over the sorted extension list (GREASE, SNI 0000 and
//!   ALPN 0010 excluded), then "_" and the signature algorithms in the order sent (the "_" and the
//!   list are left out when there are none); "000000000000" if no extensions remain.
//!
//! This module reads the raw message so it sees exactly what was sent (unknown extensions and
//! GREASE included), never a re-encoding. It never panics on the bytes: every read is bounded.

use std::fmt::Write as _;

use clasp::codec::{ListLength, Reader};
use clasp::crypto::aws_lc::SHA256;
use clasp::crypto::Hash as _;

/// Extension code points JA4 and the page look inside.
const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_SUPPORTED_GROUPS: u16 = 0x000a;
const EXT_SIGNATURE_ALGORITHMS: u16 = 0x000d;
const EXT_ALPN: u16 = 0x0010;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const EXT_KEY_SHARE: u16 = 0x0033;

/// What a ClientHello offered, as sent (GREASE values kept; see [`is_grease`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelloSummary {
    /// `legacy_version`.
    pub legacy_version: u16,
    /// Cipher suites in the order sent.
    pub cipher_suites: Vec<u16>,
    /// Extension types in the order sent.
    pub extensions: Vec<u16>,
    /// The first host name in server_name, if any.
    pub server_name: Option<String>,
    /// ALPN protocol names in the order sent.
    pub alpn: Vec<Vec<u8>>,
    /// supported_versions.
    pub supported_versions: Vec<u16>,
    /// supported_groups.
    pub groups: Vec<u16>,
    /// signature_algorithms in the order sent.
    pub signature_algorithms: Vec<u16>,
    /// The groups of the key_share entries.
    pub key_share_groups: Vec<u16>,
}

/// GREASE values (RFC 8701 §2): 0x?a?a with both bytes equal.
#[must_use]
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

fn u16_list(r: &mut Reader<'_>, len: ListLength, what: &'static str) -> Option<Vec<u16>> {
    let mut sub = r.length_prefixed(len, what).ok()?;
    let mut out = Vec::new();
    while sub.any_left() {
        out.push(sub.u16(what).ok()?);
    }
    Some(out)
}

/// Parses a ClientHello handshake message (with or without its 4-byte handshake header).
/// Returns `None` for bytes that are not a well-formed ClientHello.
#[must_use]
pub fn summarize(raw: &[u8]) -> Option<HelloSummary> {
    let mut r = Reader::new(raw);
    // RFC 8446 §4: msg_type client_hello(1), uint24 length. The body starts with a version
    // (0x03xx), never 0x01, so the two shapes cannot be confused.
    if raw.first() == Some(&1) {
        r.u8("msg_type").ok()?;
        let n = r.u24("length").ok()?;
        r = r.sub(usize::try_from(n).ok()?, "ClientHello").ok()?;
    }
    let mut s = HelloSummary {
        legacy_version: r.u16("legacy_version").ok()?,
        ..HelloSummary::default()
    };
    r.take(32)?; // random
    r.length_prefixed(ListLength::U8, "legacy_session_id")
        .ok()?;
    s.cipher_suites = u16_list(&mut r, ListLength::NonEmptyU16, "cipher_suites")?;
    r.length_prefixed(ListLength::NonEmptyU8, "legacy_compression_methods")
        .ok()?;
    if !r.any_left() {
        return Some(s); // no extensions block (RFC 5246 §7.4.1.2)
    }
    let mut exts = r.length_prefixed(ListLength::U16, "extensions").ok()?;
    while exts.any_left() {
        let typ = exts.u16("extension_type").ok()?;
        let mut body = exts
            .length_prefixed(ListLength::U16, "extension_data")
            .ok()?;
        s.extensions.push(typ);
        // A body we cannot read is still an extension that was sent: JA4 counts it.
        read_extension(&mut s, typ, &mut body);
    }
    Some(s)
}

/// Fills the fields of `s` that extension `typ` carries; malformed bodies are skipped.
fn read_extension(s: &mut HelloSummary, typ: u16, body: &mut Reader<'_>) -> Option<()> {
    match typ {
        // RFC 6066 §3: ServerNameList, entries of (NameType, HostName).
        EXT_SERVER_NAME => {
            let mut list = body
                .length_prefixed(ListLength::NonEmptyU16, "server_name_list")
                .ok()?;
            while list.any_left() {
                let kind = list.u8("name_type").ok()?;
                let name = list
                    .length_prefixed(ListLength::NonEmptyU16, "host_name")
                    .ok()?
                    .rest();
                if kind == 0 && s.server_name.is_none() {
                    s.server_name = Some(String::from_utf8_lossy(name).into_owned());
                }
            }
        }
        // RFC 8446 §4.2.7
        EXT_SUPPORTED_GROUPS => {
            s.groups = u16_list(body, ListLength::NonEmptyU16, "named_group_list")?;
        }
        // RFC 8446 §4.2.3
        EXT_SIGNATURE_ALGORITHMS => {
            s.signature_algorithms = u16_list(
                body,
                ListLength::NonEmptyU16,
                "supported_signature_algorithms",
            )?;
        }
        // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>
        EXT_ALPN => {
            let mut list = body
                .length_prefixed(ListLength::NonEmptyU16, "protocol_name_list")
                .ok()?;
            while list.any_left() {
                let name = list
                    .length_prefixed(ListLength::U8, "protocol_name")
                    .ok()?
                    .rest();
                s.alpn.push(name.to_vec());
            }
        }
        // RFC 8446 §4.2.1: ProtocolVersion versions<2..254>
        EXT_SUPPORTED_VERSIONS => {
            s.supported_versions = u16_list(body, ListLength::NonEmptyU8, "versions")?;
        }
        // RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1>
        EXT_KEY_SHARE => {
            let mut list = body
                .length_prefixed(ListLength::U16, "client_shares")
                .ok()?;
            while list.any_left() {
                let group = list.u16("group").ok()?;
                list.length_prefixed(ListLength::NonEmptyU16, "key_exchange")
                    .ok()?;
                s.key_share_groups.push(group);
            }
        }
        _ => {}
    }
    Some(())
}

/// A JA4 fingerprint and its unhashed forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ja4 {
    /// The fingerprint, `a_b_c`.
    pub ja4: String,
    /// JA4_r: `a`, then the sorted lists that `b` and `c` hash.
    pub raw: String,
    /// JA4_o: like JA4 but over the lists in the order sent (SNI and ALPN kept).
    pub original: String,
    /// JA4_ro: the unhashed form of [`Self::original`].
    pub raw_original: String,
}

fn hex_list(v: &[u16]) -> String {
    let mut out = String::with_capacity(v.len() * 5);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{x:04x}");
    }
    out
}

/// First 12 lower-case hex digits of SHA-256 of `s`.
fn hash12(s: &str) -> String {
    let digest = SHA256.hash(s.as_bytes());
    let mut out = String::with_capacity(12);
    for b in digest.as_ref().iter().take(6) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn version_code(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// The ALPN part of JA4_a: first and last character of the first value, or of its hex form when
/// either end byte is not alphanumeric.
fn alpn_code(alpn: &[Vec<u8>]) -> String {
    let Some(first) = alpn.first() else {
        return "00".into();
    };
    let (Some(&a), Some(&z)) = (first.first(), first.last()) else {
        return "00".into();
    };
    if a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric() {
        format!("{}{}", char::from(a), char::from(z))
    } else {
        // First hex digit of the first byte, last hex digit of the last byte.
        format!("{:x}{:x}", a >> 4, z & 0x0f)
    }
}

/// Computes JA4 for a TLS-over-TCP ClientHello.
#[must_use]
pub fn ja4(s: &HelloSummary) -> Ja4 {
    let version = s
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .unwrap_or(s.legacy_version);
    let ciphers: Vec<u16> = s
        .cipher_suites
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .collect();
    let exts: Vec<u16> = s
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let sigs: Vec<u16> = s
        .signature_algorithms
        .iter()
        .copied()
        .filter(|a| !is_grease(*a))
        .collect();
    let a = format!(
        "t{}{}{:02}{:02}{}",
        version_code(version),
        if exts.contains(&EXT_SERVER_NAME) {
            "d"
        } else {
            "i"
        },
        ciphers.len().min(99),
        exts.len().min(99),
        alpn_code(&s.alpn),
    );

    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts
        .iter()
        .copied()
        .filter(|e| *e != EXT_SERVER_NAME && *e != EXT_ALPN)
        .collect();
    sorted_exts.sort_unstable();

    let c_text = |ext_list: &[u16]| {
        if sigs.is_empty() {
            hex_list(ext_list)
        } else {
            format!("{}_{}", hex_list(ext_list), hex_list(&sigs))
        }
    };
    let b_hash = |list: &[u16]| {
        if list.is_empty() {
            "000000000000".to_string()
        } else {
            hash12(&hex_list(list))
        }
    };
    let c_hash = |list: &[u16]| {
        if list.is_empty() {
            "000000000000".to_string()
        } else {
            hash12(&c_text(list))
        }
    };

    Ja4 {
        ja4: format!("{a}_{}_{}", b_hash(&sorted_ciphers), c_hash(&sorted_exts)),
        raw: format!("{a}_{}_{}", hex_list(&sorted_ciphers), c_text(&sorted_exts)),
        original: format!("{a}_{}_{}", b_hash(&ciphers), c_hash(&exts)),
        raw_original: format!("{a}_{}_{}", hex_list(&ciphers), c_text(&exts)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes a ClientHello handshake message with these lists (random and session id zero).
    fn client_hello(ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0u8; 32]);
        body.push(0); // empty session id
        body.extend_from_slice(&u16::try_from(ciphers.len() * 2).unwrap().to_be_bytes());
        for c in ciphers {
            body.extend_from_slice(&c.to_be_bytes());
        }
        body.extend_from_slice(&[1, 0]); // null compression
        let mut e = Vec::new();
        for (typ, data) in exts {
            e.extend_from_slice(&typ.to_be_bytes());
            e.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
            e.extend_from_slice(data);
        }
        body.extend_from_slice(&u16::try_from(e.len()).unwrap().to_be_bytes());
        body.extend_from_slice(&e);
        let mut msg = vec![1];
        msg.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
        msg.extend_from_slice(&body);
        msg
    }

    fn u16s(prefix_len: usize, v: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        let n = v.len() * 2;
        if prefix_len == 1 {
            out.push(u8::try_from(n).unwrap());
        } else {
            out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
        }
        for x in v {
            out.extend_from_slice(&x.to_be_bytes());
        }
        out
    }

    /// The example in FoxIO's JA4 specification (technical_details/JA4.md, "Example" and "Raw
    /// Output"): ciphers, extensions and signature algorithms in the order given there, with
    /// GREASE values sprinkled in (which must not count), an SNI, ALPN "h2" first and TLS 1.3 in
    /// supported_versions. Published: JA4 = t13d1516h2_8daaf6152771_e5627efa2ab1,
    /// JA4_o = t13d1516h2_acb858a92679_18f69afefd3d.
    #[test]
    fn foxio_specification_example() {
        let ciphers = [
            0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
            0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
        ];
        let sigs = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ];
        let sni = {
            let name = b"example.com";
            let mut v = Vec::new();
            v.extend_from_slice(&u16::try_from(name.len() + 3).unwrap().to_be_bytes());
            v.push(0);
            v.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
            v.extend_from_slice(name);
            v
        };
        let alpn = vec![
            0, 12, 2, b'h', b'2', 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1',
        ];
        let mut exts: Vec<(u16, Vec<u8>)> = Vec::new();
        exts.push((0x0a0a, vec![])); // GREASE
        for typ in [
            0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
            0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
        ] {
            let data = match typ {
                0x0000 => sni.clone(),
                0x0010 => alpn.clone(),
                0x000d => u16s(2, &sigs),
                0x002b => u16s(1, &[0x3a3a, 0x0304, 0x0303]),
                0x000a => u16s(2, &[0x4a4a, 0x001d, 0x0017]),
                0x0033 => {
                    let mut share = vec![0x00, 0x1d, 0x00, 0x20];
                    share.extend_from_slice(&[7u8; 32]);
                    let mut v = u16::try_from(share.len()).unwrap().to_be_bytes().to_vec();
                    v.extend_from_slice(&share);
                    v
                }
                _ => vec![],
            };
            exts.push((typ, data));
        }
        exts.push((0xfafa, vec![0])); // GREASE
        let raw = client_hello(&ciphers, &exts);
        let s = summarize(&raw).expect("well-formed");
        assert_eq!(s.server_name.as_deref(), Some("example.com"));
        assert_eq!(s.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert_eq!(s.key_share_groups, vec![0x001d]);
        assert_eq!(s.extensions.len(), 18);
        let j = ja4(&s);
        assert_eq!(j.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(
            j.raw,
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_\
             0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_\
             0403,0804,0401,0503,0805,0501,0806,0601"
        );
        assert_eq!(j.original, "t13d1516h2_acb858a92679_18f69afefd3d");
        // The same hello without its handshake header gives the same summary.
        assert_eq!(summarize(&raw[4..]), Some(s));
    }

    /// Published example with no signature-algorithm-free edge: the spec's extension list
    /// without signature algorithms hashes to 6d807ffa2a79 (JA4.md, "Extension hash").
    #[test]
    fn no_signature_algorithms_drops_the_underscore() {
        let exts: Vec<(u16, Vec<u8>)> = [
            0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x0005, 0x0023, 0x0012, 0x002b,
            0xff01, 0x000b, 0x000a, 0x0015, 0x000d,
        ]
        .into_iter()
        .map(|t| (t, vec![]))
        .collect();
        // Bodies are empty, so signature_algorithms (000d) parses as nothing: no list at all.
        let s = summarize(&client_hello(&[0x1301], &exts)).unwrap();
        assert!(s.signature_algorithms.is_empty());
        let j = ja4(&s);
        // No supported_versions body either: version falls back to legacy 0x0303; no SNI body
        // but the extension is present, so "d"; no ALPN value, so "00".
        assert!(j.ja4.starts_with("t12d011600_"), "{}", j.ja4);
        assert!(j.ja4.ends_with("_6d807ffa2a79"), "{}", j.ja4);
    }

    #[test]
    fn alpn_codes_follow_the_spec_examples() {
        assert_eq!(alpn_code(&[]), "00");
        assert_eq!(alpn_code(&[vec![]]), "00");
        assert_eq!(alpn_code(&[b"http/1.1".to_vec()]), "h1");
        assert_eq!(alpn_code(&[b"h".to_vec()]), "hh");
        assert_eq!(alpn_code(&[vec![0xab]]), "ab");
        assert_eq!(alpn_code(&[vec![0xab, 0xcd]]), "ad");
        assert_eq!(alpn_code(&[vec![0x30, 0xab]]), "3b");
        assert_eq!(alpn_code(&[vec![0x30, 0x31, 0xab, 0xcd]]), "3d");
        assert_eq!(alpn_code(&[vec![0x30, 0xab, 0xcd, 0x31]]), "01");
    }

    #[test]
    fn grease_values() {
        for v in [0x0a0a, 0x1a1a, 0xfafa] {
            assert!(is_grease(v));
        }
        for v in [0x0a1a, 0x1301, 0x0000, 0x0a0b] {
            assert!(!is_grease(v), "{v:04x}");
        }
    }

    #[test]
    fn truncated_or_garbage_input_is_none_not_panic() {
        let exts = vec![(0x0000u16, vec![0, 4, 0, 0, 1, b'a'])];
        let raw = client_hello(&[0x1301], &exts);
        for n in 0..raw.len() {
            let _ = summarize(&raw[..n]);
        }
        assert!(summarize(&raw[..raw.len() - 1]).is_none());
        assert!(summarize(&[0xff; 7]).is_none());
    }
}
