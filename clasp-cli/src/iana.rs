//! IANA names for the TLS code points the tools show, in one place, spelled as the registries
//! spell them (<https://www.iana.org/assignments/tls-parameters/> and
//! <https://www.iana.org/assignments/tls-extensiontype-values/>).
//!
//! The library's wire enums name only what clasp implements; a page that shows what a browser
//! offered needs every name IANA has assigned. GREASE values (RFC 8701) are reserved, not
//! named: they print as `GREASE`. A value IANA has not assigned prints as `unknown (0x…)`.
//! The few code points browsers send without an IANA assignment are in [`UNREGISTERED_EXTENSIONS`],
//! kept apart so that the difference stays visible.
//!
//! Each table is sorted by value (a test checks it) and searched by binary search.

/// TLS Cipher Suites (registry "TLS Cipher Suites", tls-parameters-4). Every assigned value,
/// CBC, export and signalling suites (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV) included.
pub const CIPHER_SUITES: &[(u16, &str)] = &[
    (0x0000, "TLS_NULL_WITH_NULL_NULL"),
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA"),
    (0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA"),
    (0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"),
    (0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA"),
    (0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x001e, "TLS_KRB5_WITH_DES_CBC_SHA"),
    (0x001f, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA"),
    (0x0020, "TLS_KRB5_WITH_RC4_128_SHA"),
    (0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA"),
    (0x0022, "TLS_KRB5_WITH_DES_CBC_MD5"),
    (0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5"),
    (0x0024, "TLS_KRB5_WITH_RC4_128_MD5"),
    (0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5"),
    (0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA"),
    (0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA"),
    (0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA"),
    (0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5"),
    (0x002a, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x002b, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5"),
    (0x002c, "TLS_PSK_WITH_NULL_SHA"),
    (0x002d, "TLS_DHE_PSK_WITH_NULL_SHA"),
    (0x002e, "TLS_RSA_PSK_WITH_NULL_SHA"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"),
    (0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"),
    (0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    (0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"),
    (0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"),
    (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"),
    (0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"),
    (0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"),
    (0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    (0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"),
    (0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"),
    (0x008a, "TLS_PSK_WITH_RC4_128_SHA"),
    (0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA"),
    (0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA"),
    (0x008e, "TLS_DHE_PSK_WITH_RC4_128_SHA"),
    (0x008f, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"),
    (0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"),
    (0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA"),
    (0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"),
    (0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"),
    (0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"),
    (0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"),
    (0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"),
    (0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"),
    (0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"),
    (0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA"),
    (0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00a0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"),
    (0x00a1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"),
    (0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00a4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"),
    (0x00a5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    (0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
    (0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256"),
    (0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384"),
    (0x00b0, "TLS_PSK_WITH_NULL_SHA256"),
    (0x00b1, "TLS_PSK_WITH_NULL_SHA384"),
    (0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"),
    (0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"),
    (0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256"),
    (0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384"),
    (0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"),
    (0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"),
    (0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256"),
    (0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384"),
    (0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bb, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bc, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c6, "TLS_SM4_GCM_SM3"),
    (0x00c7, "TLS_SM4_CCM_SM3"),
    (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
    (0x1306, "TLS_AEGIS_256_SHA512"),
    (0x1307, "TLS_AEGIS_128L_SHA256"),
    (0x5600, "TLS_FALLBACK_SCSV"),
    (0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"),
    (0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"),
    (0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    (0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA"),
    (0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA"),
    (0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"),
    (0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"),
    (0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"),
    (0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"),
    (0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
    (0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA"),
    (0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc01c, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"),
    (0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"),
    (0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"),
    (0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"),
    (0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"),
    (0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"),
    (0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA"),
    (0xc034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA"),
    (0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"),
    (0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"),
    (0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"),
    (0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"),
    (0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA"),
    (0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256"),
    (0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384"),
    (0xc03c, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc03d, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc03e, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256"),
    (0xc03f, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384"),
    (0xc040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256"),
    (0xc043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384"),
    (0xc044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256"),
    (0xc047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384"),
    (0xc048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc04a, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc04b, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc04c, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc04d, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc04e, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc04f, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"),
    (0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"),
    (0xc058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256"),
    (0xc059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384"),
    (0xc05a, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256"),
    (0xc05b, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384"),
    (0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc05e, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc05f, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256"),
    (0xc065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384"),
    (0xc066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256"),
    (0xc067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384"),
    (0xc068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256"),
    (0xc069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384"),
    (0xc06a, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"),
    (0xc06b, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"),
    (0xc06c, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"),
    (0xc06d, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"),
    (0xc06e, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"),
    (0xc06f, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"),
    (0xc070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256"),
    (0xc071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384"),
    (0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc07a, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc07b, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc07c, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc07d, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc07e, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc07f, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc08a, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc08c, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc08d, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc08e, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc08f, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc09a, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc09b, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc09c, "TLS_RSA_WITH_AES_128_CCM"),
    (0xc09d, "TLS_RSA_WITH_AES_256_CCM"),
    (0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"),
    (0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"),
    (0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"),
    (0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"),
    (0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"),
    (0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"),
    (0xc0a4, "TLS_PSK_WITH_AES_128_CCM"),
    (0xc0a5, "TLS_PSK_WITH_AES_256_CCM"),
    (0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM"),
    (0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM"),
    (0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8"),
    (0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8"),
    (0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8"),
    (0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8"),
    (0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"),
    (0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"),
    (0xc0b0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"),
    (0xc0b1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384"),
    (0xc0b2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256"),
    (0xc0b3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384"),
    (0xc0b4, "TLS_SHA256_SHA256"),
    (0xc0b5, "TLS_SHA384_SHA384"),
    (0xc100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC"),
    (0xc101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC"),
    (0xc102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"),
    (0xc103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L"),
    (0xc104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L"),
    (0xc105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S"),
    (0xc106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"),
    (0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"),
    (0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"),
    (0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"),
    (0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"),
];

/// TLS Supported Groups (registry "TLS Supported Groups", tls-parameters-8), including the
/// ML-KEM hybrids (draft-ietf-tls-ecdhe-mlkem) and the RFC 7919 finite-field groups.
pub const SUPPORTED_GROUPS: &[(u16, &str)] = &[
    (0x0001, "sect163k1"),
    (0x0002, "sect163r1"),
    (0x0003, "sect163r2"),
    (0x0004, "sect193r1"),
    (0x0005, "sect193r2"),
    (0x0006, "sect233k1"),
    (0x0007, "sect233r1"),
    (0x0008, "sect239k1"),
    (0x0009, "sect283k1"),
    (0x000a, "sect283r1"),
    (0x000b, "sect409k1"),
    (0x000c, "sect409r1"),
    (0x000d, "sect571k1"),
    (0x000e, "sect571r1"),
    (0x000f, "secp160k1"),
    (0x0010, "secp160r1"),
    (0x0011, "secp160r2"),
    (0x0012, "secp192k1"),
    (0x0013, "secp192r1"),
    (0x0014, "secp224k1"),
    (0x0015, "secp224r1"),
    (0x0016, "secp256k1"),
    (0x0017, "secp256r1"),
    (0x0018, "secp384r1"),
    (0x0019, "secp521r1"),
    (0x001a, "brainpoolP256r1"),
    (0x001b, "brainpoolP384r1"),
    (0x001c, "brainpoolP512r1"),
    (0x001d, "x25519"),
    (0x001e, "x448"),
    (0x001f, "brainpoolP256r1tls13"),
    (0x0020, "brainpoolP384r1tls13"),
    (0x0021, "brainpoolP512r1tls13"),
    (0x0022, "GC256A"),
    (0x0023, "GC256B"),
    (0x0024, "GC256C"),
    (0x0025, "GC256D"),
    (0x0026, "GC512A"),
    (0x0027, "GC512B"),
    (0x0028, "GC512C"),
    (0x0029, "curveSM2"),
    (0x0100, "ffdhe2048"),
    (0x0101, "ffdhe3072"),
    (0x0102, "ffdhe4096"),
    (0x0103, "ffdhe6144"),
    (0x0104, "ffdhe8192"),
    (0x0200, "MLKEM512"),
    (0x0201, "MLKEM768"),
    (0x0202, "MLKEM1024"),
    (0x11eb, "SecP256r1MLKEM768"),
    (0x11ec, "X25519MLKEM768"),
    (0x11ed, "SecP384r1MLKEM1024"),
    (0x6399, "X25519Kyber768Draft00"),
    (0x639a, "SecP256r1Kyber768Draft00"),
    (0xff01, "arbitrary_explicit_prime_curves"),
    (0xff02, "arbitrary_explicit_char2_curves"),
];

/// TLS SignatureScheme (registry "TLS SignatureScheme", tls-signaturescheme), including the
/// legacy SHA-1 schemes, brainpool (RFC 8734) and ML-DSA (draft-ietf-tls-mldsa).
///
/// OpenSSL's clients still offer TLS 1.2 hash/signature pairs the registry only reserves
/// (RFC 5246 §7.4.1.4.1: hash sha224 = 3, signature dsa = 2): the DSA ones carry the
/// registry's `_RESERVED` names, the SHA-224 ones the names OpenSSL gives them.
pub const SIGNATURE_SCHEMES: &[(u16, &str)] = &[
    (0x0201, "rsa_pkcs1_sha1"),
    (0x0202, "dsa_sha1_RESERVED"),
    (0x0203, "ecdsa_sha1"),
    (0x0301, "rsa_pkcs1_sha224"),
    (0x0302, "dsa_sha224"),
    (0x0303, "ecdsa_sha224"),
    (0x0401, "rsa_pkcs1_sha256"),
    (0x0402, "dsa_sha256_RESERVED"),
    (0x0403, "ecdsa_secp256r1_sha256"),
    (0x0420, "rsa_pkcs1_sha256_legacy"),
    (0x0501, "rsa_pkcs1_sha384"),
    (0x0502, "dsa_sha384_RESERVED"),
    (0x0503, "ecdsa_secp384r1_sha384"),
    (0x0520, "rsa_pkcs1_sha384_legacy"),
    (0x0601, "rsa_pkcs1_sha512"),
    (0x0602, "dsa_sha512_RESERVED"),
    (0x0603, "ecdsa_secp521r1_sha512"),
    (0x0620, "rsa_pkcs1_sha512_legacy"),
    (0x0704, "eccsi_sha256"),
    (0x0705, "iso_ibs1"),
    (0x0706, "iso_ibs2"),
    (0x0707, "iso_chinese_ibs"),
    (0x0708, "sm2sig_sm3"),
    (0x0709, "gostr34102012_256a"),
    (0x070a, "gostr34102012_256b"),
    (0x070b, "gostr34102012_256c"),
    (0x070c, "gostr34102012_256d"),
    (0x070d, "gostr34102012_512a"),
    (0x070e, "gostr34102012_512b"),
    (0x070f, "gostr34102012_512c"),
    (0x0804, "rsa_pss_rsae_sha256"),
    (0x0805, "rsa_pss_rsae_sha384"),
    (0x0806, "rsa_pss_rsae_sha512"),
    (0x0807, "ed25519"),
    (0x0808, "ed448"),
    (0x0809, "rsa_pss_pss_sha256"),
    (0x080a, "rsa_pss_pss_sha384"),
    (0x080b, "rsa_pss_pss_sha512"),
    (0x081a, "ecdsa_brainpoolP256r1tls13_sha256"),
    (0x081b, "ecdsa_brainpoolP384r1tls13_sha384"),
    (0x081c, "ecdsa_brainpoolP512r1tls13_sha512"),
    (0x0904, "mldsa44"),
    (0x0905, "mldsa65"),
    (0x0906, "mldsa87"),
];

/// TLS ExtensionType Values (registry "TLS ExtensionType Values", tls-extensiontype-values-1).
pub const EXTENSIONS: &[(u16, &str)] = &[
    (0x0000, "server_name"),
    (0x0001, "max_fragment_length"),
    (0x0002, "client_certificate_url"),
    (0x0003, "trusted_ca_keys"),
    (0x0004, "truncated_hmac"),
    (0x0005, "status_request"),
    (0x0006, "user_mapping"),
    (0x0007, "client_authz"),
    (0x0008, "server_authz"),
    (0x0009, "cert_type"),
    (0x000a, "supported_groups"),
    (0x000b, "ec_point_formats"),
    (0x000c, "srp"),
    (0x000d, "signature_algorithms"),
    (0x000e, "use_srtp"),
    (0x000f, "heartbeat"),
    (0x0010, "application_layer_protocol_negotiation"),
    (0x0011, "status_request_v2"),
    (0x0012, "signed_certificate_timestamp"),
    (0x0013, "client_certificate_type"),
    (0x0014, "server_certificate_type"),
    (0x0015, "padding"),
    (0x0016, "encrypt_then_mac"),
    (0x0017, "extended_master_secret"),
    (0x0018, "token_binding"),
    (0x0019, "cached_info"),
    (0x001a, "tls_lts"),
    (0x001b, "compress_certificate"),
    (0x001c, "record_size_limit"),
    (0x001d, "pwd_protect"),
    (0x001e, "pwd_clear"),
    (0x001f, "password_salt"),
    (0x0020, "ticket_pinning"),
    (0x0021, "tls_cert_with_extern_psk"),
    (0x0022, "delegated_credential"),
    (0x0023, "session_ticket"),
    (0x0024, "TLMSP"),
    (0x0025, "TLMSP_proxying"),
    (0x0026, "TLMSP_delegate"),
    (0x0027, "supported_ekt_ciphers"),
    (0x0029, "pre_shared_key"),
    (0x002a, "early_data"),
    (0x002b, "supported_versions"),
    (0x002c, "cookie"),
    (0x002d, "psk_key_exchange_modes"),
    (0x002f, "certificate_authorities"),
    (0x0030, "oid_filters"),
    (0x0031, "post_handshake_auth"),
    (0x0032, "signature_algorithms_cert"),
    (0x0033, "key_share"),
    (0x0034, "transparency_info"),
    (0x0035, "connection_id-deprecated"),
    (0x0036, "connection_id"),
    (0x0037, "external_id_hash"),
    (0x0038, "external_session_id"),
    (0x0039, "quic_transport_parameters"),
    (0x003a, "ticket_request"),
    (0x003b, "dnssec_chain"),
    (0x003c, "sequence_number_encryption_algorithms"),
    (0x003d, "rrc"),
    (0xfd00, "ech_outer_extensions"),
    (0xfe0d, "encrypted_client_hello"),
    (0xff01, "renegotiation_info"),
];

/// Extensions browsers send that IANA has not assigned: Chromium's application settings (ALPS,
/// draft-vvv-tls-alps, the old code point 0x4469 and the new 0x44cd), and the pre-standard next
/// protocol negotiation and channel ID. Named after the drafts that define them.
pub const UNREGISTERED_EXTENSIONS: &[(u16, &str)] = &[
    (0x3374, "next_protocol_negotiation"),
    (0x4469, "application_settings"),
    (0x44cd, "application_settings"),
    (0x754f, "channel_id"),
];

pub use crate::ja4::is_grease;

fn lookup(table: &[(u16, &'static str)], v: u16) -> Option<&'static str> {
    table
        .binary_search_by_key(&v, |(k, _)| *k)
        .ok()
        .and_then(|i| table.get(i))
        .map(|(_, n)| *n)
}

/// `name`, `GREASE` or `unknown`, for one table.
fn name_in(table: &[(u16, &'static str)], v: u16) -> &'static str {
    if is_grease(v) {
        "GREASE"
    } else {
        lookup(table, v).unwrap_or("unknown")
    }
}

/// The IANA name of a cipher suite.
#[must_use]
pub fn cipher_suite(v: u16) -> &'static str {
    name_in(CIPHER_SUITES, v)
}

/// The IANA name of a supported group.
#[must_use]
pub fn group(v: u16) -> &'static str {
    name_in(SUPPORTED_GROUPS, v)
}

/// The IANA name of a signature scheme.
#[must_use]
pub fn signature_scheme(v: u16) -> &'static str {
    name_in(SIGNATURE_SCHEMES, v)
}

/// The IANA name of an extension (or the draft's name for the few unregistered ones).
#[must_use]
pub fn extension(v: u16) -> &'static str {
    match name_in(EXTENSIONS, v) {
        "unknown" => lookup(UNREGISTERED_EXTENSIONS, v).unwrap_or("unknown"),
        n => n,
    }
}

/// A code point as the tools print it in lists: `name` for a named value, `GREASE (0x1a1a)`
/// and `unknown (0x1234)` otherwise, so that the value is never lost.
#[must_use]
pub fn show(v: u16, name: fn(u16) -> &'static str) -> String {
    match name(v) {
        n @ ("GREASE" | "unknown") => format!("{n} (0x{v:04x})"),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for t in [
            CIPHER_SUITES,
            SUPPORTED_GROUPS,
            SIGNATURE_SCHEMES,
            EXTENSIONS,
            UNREGISTERED_EXTENSIONS,
        ] {
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "{t:?}");
        }
    }

    #[test]
    fn names_the_code_points_the_issue_lists() {
        assert_eq!(cipher_suite(0xc013), "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!(cipher_suite(0x002f), "TLS_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!(cipher_suite(0x00ff), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
        assert_eq!(cipher_suite(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(cipher_suite(0x0a0a), "GREASE");
        assert_eq!(signature_scheme(0x0904), "mldsa44");
        assert_eq!(signature_scheme(0x0906), "mldsa87");
        assert_eq!(
            signature_scheme(0x081a),
            "ecdsa_brainpoolP256r1tls13_sha256"
        );
        assert_eq!(signature_scheme(0x0201), "rsa_pkcs1_sha1");
        // What `openssl s_client` (3.0) offers besides the modern schemes.
        for v in [0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602] {
            assert_ne!(signature_scheme(v), "unknown", "{v:#06x}");
        }
        assert_eq!(group(0x11ec), "X25519MLKEM768");
        assert_eq!(group(0x11eb), "SecP256r1MLKEM768");
        assert_eq!(group(0x11ed), "SecP384r1MLKEM1024");
        assert_eq!(group(0x0100), "ffdhe2048");
        assert_eq!(extension(0xfe0d), "encrypted_client_hello");
        assert_eq!(extension(0x4469), "application_settings");
        assert_eq!(extension(0x44cd), "application_settings");
        assert_eq!(extension(0x001b), "compress_certificate");
        assert_eq!(extension(0x0015), "padding");
        assert_eq!(extension(0x0023), "session_ticket");
        assert_eq!(extension(0xff01), "renegotiation_info");
        assert_eq!(extension(0xca34), "unknown");
        assert_eq!(show(0xca34, extension), "unknown (0xca34)");
        assert_eq!(show(0x4a4a, extension), "GREASE (0x4a4a)");
        assert!(is_grease(0xfafa) && !is_grease(0x0a1a));
    }
}
