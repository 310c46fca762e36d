//! TLS 1.2 key-exchange message bodies: ServerKeyExchange and ClientKeyExchange.
//!
//! Their shape depends on the negotiated key exchange, which the bytes themselves do not say, so
//! the handshake framing keeps the raw body ([`ServerKeyExchange`], [`ClientKeyExchange`]) and the
//! state machine, which knows the cipher suite, calls the parser for its [`KeyExchange`].
//! The ServerKeyExchange signature covers `client_random ‖ server_random ‖ params` (RFC 5246
//! §7.4.3, RFC 8422 §5.4), so the params are kept as the exact bytes received.

use crate::codec::{Codec, ListLength, Reader};
use crate::error::InvalidMessage;
use crate::msgs::enums::{EcCurveType, NamedGroup, SignatureScheme};
use crate::msgs::{put_opaque, read_opaque};
use crate::suites::KeyExchange;

/// `DigitallySigned` (RFC 5246 §4.7 with §7.4.1.4.1; same wire form as the TLS 1.3
/// `CertificateVerify`, RFC 8446 §4.4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// RFC 8446 §4.4.3 / RFC 5246 §4.7: SignatureScheme algorithm (SignatureAndHashAlgorithm)
    pub scheme: SignatureScheme,
    /// RFC 8446 §4.4.3: opaque signature<0..2^16-1>
    pub signature: Vec<u8>,
}

impl<'a> Codec<'a> for DigitallySigned {
    fn encode(&self, out: &mut Vec<u8>) {
        self.scheme.encode(out);
        put_opaque(ListLength::U16, &self.signature, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            scheme: SignatureScheme::read(r)?,
            signature: read_opaque(r, ListLength::U16, "signature")?,
        })
    }
}

/// `ServerECDHParams` (RFC 8422 §5.4), named curves only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEcdhParams {
    /// RFC 8422 §5.4: ECCurveType curve_type (always named_curve: explicit curves are refused,
    /// RFC 8422 §5.1.1 deprecates them).
    pub curve_type: EcCurveType,
    /// RFC 8422 §5.4: NamedCurve namedcurve
    pub named_group: NamedGroup,
    /// RFC 8422 §5.4: ECPoint public (`opaque point <1..2^8-1>`)
    pub public: Vec<u8>,
}

impl ServerEcdhParams {
    /// Params for a named group and our public key.
    #[must_use]
    pub fn new(named_group: NamedGroup, public: Vec<u8>) -> Self {
        Self {
            curve_type: EcCurveType::NamedCurve,
            named_group,
            public,
        }
    }
}

impl<'a> Codec<'a> for ServerEcdhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        self.curve_type.encode(out);
        self.named_group.encode(out);
        put_opaque(ListLength::NonEmptyU8, &self.public, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let curve_type = EcCurveType::read(r)?;
        // RFC 8422 §5.4: only named_curve has a defined body we accept.
        if curve_type != EcCurveType::NamedCurve {
            return Err(InvalidMessage::IllegalValue("ECParameters.curve_type"));
        }
        Ok(Self {
            curve_type,
            named_group: NamedGroup::read(r)?,
            public: read_opaque(r, ListLength::NonEmptyU8, "ECPoint")?,
        })
    }
}

/// `ServerDHParams` (RFC 5246 §7.4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerDhParams {
    /// RFC 5246 §7.4.3: opaque dh_p<1..2^16-1>
    pub dh_p: Vec<u8>,
    /// RFC 5246 §7.4.3: opaque dh_g<1..2^16-1>
    pub dh_g: Vec<u8>,
    /// RFC 5246 §7.4.3: opaque dh_Ys<1..2^16-1>
    pub dh_ys: Vec<u8>,
}

impl<'a> Codec<'a> for ServerDhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::NonEmptyU16, &self.dh_p, out);
        put_opaque(ListLength::NonEmptyU16, &self.dh_g, out);
        put_opaque(ListLength::NonEmptyU16, &self.dh_ys, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            dh_p: read_opaque(r, ListLength::NonEmptyU16, "dh_p")?,
            dh_g: read_opaque(r, ListLength::NonEmptyU16, "dh_g")?,
            dh_ys: read_opaque(r, ListLength::NonEmptyU16, "dh_Ys")?,
        })
    }
}

/// Decoded ServerKeyExchange params with their exact bytes and the optional signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedParams<P> {
    /// The decoded params.
    pub params: P,
    /// The params exactly as received: the signed content is
    /// `client_random ‖ server_random ‖ params_raw` (RFC 5246 §7.4.3).
    pub params_raw: Vec<u8>,
    /// RFC 5246 §7.4.3: `digitally-signed struct {...} signed_params`; absent only for
    /// anonymous key exchange, which clasp never negotiates (the state machine rejects `None`).
    pub signature: Option<DigitallySigned>,
}

impl<P> SignedParams<P> {
    /// The content the signature covers: `client_random ‖ server_random ‖ params`
    /// (RFC 5246 §7.4.3, RFC 8422 §5.4).
    #[must_use]
    pub fn signed_message(&self, client_random: &[u8; 32], server_random: &[u8; 32]) -> Vec<u8> {
        signed_message(client_random, server_random, &self.params_raw)
    }
}

/// `client_random ‖ server_random ‖ params`: what a TLS 1.2 ServerKeyExchange signs
/// (RFC 5246 §7.4.3, RFC 8422 §5.4).
#[must_use]
pub fn signed_message(
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    params: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + params.len());
    m.extend_from_slice(client_random);
    m.extend_from_slice(server_random);
    m.extend_from_slice(params);
    m
}

/// Decoded ServerKeyExchange, by key exchange.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerKeyExchangeParams {
    /// ECDHE (RFC 8422 §5.4).
    Ecdhe(SignedParams<ServerEcdhParams>),
    /// DHE (RFC 5246 §7.4.3).
    Dhe(SignedParams<ServerDhParams>),
}

/// A TLS 1.2 ServerKeyExchange body (RFC 5246 §7.4.3), kept raw until the key exchange is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange(pub Vec<u8>);

impl ServerKeyExchange {
    /// Builds a body from params and signature (the server side).
    #[must_use]
    pub fn new<'a, P: Codec<'a>>(params: &P, signature: Option<&DigitallySigned>) -> Self {
        let mut body = params.get_encoding();
        if let Some(s) = signature {
            s.encode(&mut body);
        }
        Self(body)
    }

    fn parse_signed<'a, P: Codec<'a>>(&'a self) -> Result<SignedParams<P>, InvalidMessage> {
        let mut r = Reader::new(&self.0);
        let params = P::read(&mut r)?;
        let params_raw = self.0.get(..r.used()).unwrap_or_default().to_vec();
        let signature = if r.any_left() {
            Some(DigitallySigned::read(&mut r)?)
        } else {
            None
        };
        r.expect_empty("ServerKeyExchange")?;
        Ok(SignedParams {
            params,
            params_raw,
            signature,
        })
    }

    /// Parses as ECDHE params (RFC 8422 §5.4).
    ///
    /// # Errors
    /// Any decode error; explicit curves are `IllegalValue`.
    pub fn ecdhe(&self) -> Result<SignedParams<ServerEcdhParams>, InvalidMessage> {
        self.parse_signed()
    }

    /// Parses as DHE params (RFC 5246 §7.4.3).
    ///
    /// # Errors
    /// Any decode error.
    pub fn dhe(&self) -> Result<SignedParams<ServerDhParams>, InvalidMessage> {
        self.parse_signed()
    }

    /// Parses for the negotiated key exchange.
    ///
    /// # Errors
    /// Any decode error; `IllegalValue` for a key exchange that has no ServerKeyExchange (RSA
    /// key transport, RFC 5246 §7.4.3: "MUST NOT be sent", or TLS 1.3).
    pub fn parse(&self, kx: KeyExchange) -> Result<ServerKeyExchangeParams, InvalidMessage> {
        match kx {
            KeyExchange::Ecdhe => self.ecdhe().map(ServerKeyExchangeParams::Ecdhe),
            KeyExchange::Dhe => self.dhe().map(ServerKeyExchangeParams::Dhe),
            _ => Err(InvalidMessage::IllegalValue(
                "ServerKeyExchange for a key exchange without one",
            )),
        }
    }
}

impl<'a> Codec<'a> for ServerKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self(r.rest().to_vec()))
    }
}

/// A TLS 1.2 ClientKeyExchange body (RFC 5246 §7.4.7), kept raw until the key exchange is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKeyExchange(pub Vec<u8>);

impl ClientKeyExchange {
    fn one_prefixed(&self, len: ListLength, what: &'static str) -> Result<&[u8], InvalidMessage> {
        let mut r = Reader::new(&self.0);
        let v = r.length_prefixed(len, what)?.rest();
        r.expect_empty("ClientKeyExchange")?;
        Ok(v)
    }

    /// RSA: `EncryptedPreMasterSecret` (RFC 5246 §7.4.7.1: `public-key-encrypted
    /// PreMasterSecret`, carried as `opaque <0..2^16-1>` in TLS 1.2).
    ///
    /// # Errors
    /// A missing or inconsistent length, or trailing bytes.
    pub fn rsa_encrypted_pre_master_secret(&self) -> Result<&[u8], InvalidMessage> {
        self.one_prefixed(ListLength::U16, "EncryptedPreMasterSecret")
    }

    /// ECDHE: `ECPoint ecdh_Yc` (RFC 8422 §5.7: `opaque point <1..2^8-1>`).
    ///
    /// # Errors
    /// A missing or inconsistent length, or trailing bytes.
    pub fn ecdh_public(&self) -> Result<&[u8], InvalidMessage> {
        self.one_prefixed(ListLength::NonEmptyU8, "ecdh_Yc")
    }

    /// DHE: `opaque dh_Yc<1..2^16-1>` (RFC 5246 §7.4.7.2).
    ///
    /// # Errors
    /// A missing or inconsistent length, or trailing bytes.
    pub fn dh_public(&self) -> Result<&[u8], InvalidMessage> {
        self.one_prefixed(ListLength::NonEmptyU16, "dh_Yc")
    }

    /// The key-exchange value for the negotiated key exchange.
    ///
    /// # Errors
    /// Any decode error; `IllegalValue` for TLS 1.3.
    pub fn parse(&self, kx: KeyExchange) -> Result<&[u8], InvalidMessage> {
        match kx {
            KeyExchange::Rsa => self.rsa_encrypted_pre_master_secret(),
            KeyExchange::Ecdhe => self.ecdh_public(),
            KeyExchange::Dhe => self.dh_public(),
            _ => Err(InvalidMessage::IllegalValue(
                "ClientKeyExchange for a key exchange without one",
            )),
        }
    }

    /// RSA body (RFC 5246 §7.4.7.1).
    #[must_use]
    pub fn rsa(encrypted_pre_master_secret: &[u8]) -> Self {
        let mut b = Vec::new();
        put_opaque(ListLength::U16, encrypted_pre_master_secret, &mut b);
        Self(b)
    }

    /// ECDHE body (RFC 8422 §5.7).
    #[must_use]
    pub fn ecdhe(public: &[u8]) -> Self {
        let mut b = Vec::new();
        put_opaque(ListLength::NonEmptyU8, public, &mut b);
        Self(b)
    }

    /// DHE body (RFC 5246 §7.4.7.2).
    #[must_use]
    pub fn dhe(public: &[u8]) -> Self {
        let mut b = Vec::new();
        put_opaque(ListLength::NonEmptyU16, public, &mut b);
        Self(b)
    }
}

impl<'a> Codec<'a> for ClientKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self(r.rest().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdhe_server_key_exchange_round_trip_and_signed_content() {
        let params = ServerEcdhParams::new(NamedGroup::X25519, vec![9; 32]);
        let sig = DigitallySigned {
            scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
            signature: vec![1, 2, 3],
        };
        let ske = ServerKeyExchange::new(&params, Some(&sig));
        // RFC 8422 §5.4: curve_type 3, group 0x001d, point length 32.
        assert_eq!(&ske.0[..4], &[3, 0, 0x1d, 32]);
        let parsed = ske.parse(KeyExchange::Ecdhe).unwrap();
        let ServerKeyExchangeParams::Ecdhe(p) = parsed else {
            panic!("wrong kind")
        };
        assert_eq!(p.params, params);
        assert_eq!(p.signature.as_ref(), Some(&sig));
        assert_eq!(p.params_raw, params.get_encoding());
        let m = p.signed_message(&[1; 32], &[2; 32]);
        assert_eq!(&m[..32], &[1; 32]);
        assert_eq!(&m[32..64], &[2; 32]);
        assert_eq!(&m[64..], &p.params_raw[..]);
        // No SKE for RSA key transport (RFC 5246 §7.4.3).
        assert_eq!(
            ske.parse(KeyExchange::Rsa).map(|_| ()),
            Err(crate::error::InvalidMessage::IllegalValue(
                "ServerKeyExchange for a key exchange without one"
            ))
        );
    }

    #[test]
    fn explicit_curves_and_truncations_are_errors() {
        let ske = ServerKeyExchange(vec![1, 0, 0x17, 1, 4]);
        assert_eq!(
            ske.ecdhe(),
            Err(InvalidMessage::IllegalValue("ECParameters.curve_type"))
        );
        let good = ServerKeyExchange::new(
            &ServerDhParams {
                dh_p: vec![0xff; 256],
                dh_g: vec![2],
                dh_ys: vec![7; 256],
            },
            Some(&DigitallySigned {
                scheme: SignatureScheme::RSA_PSS_SHA256,
                signature: vec![5; 256],
            }),
        );
        assert!(good.dhe().is_ok());
        for n in 0..good.0.len() {
            let cut = ServerKeyExchange(good.0[..n].to_vec());
            // A cut exactly after the params is a (legal) unsigned body; every other cut fails.
            if n == 2 + 256 + 2 + 1 + 2 + 256 {
                assert!(cut.dhe().unwrap().signature.is_none());
            } else {
                let r = cut.dhe().map(|_| ());
                assert!(
                    matches!(
                        r,
                        Err(InvalidMessage::MissingData(_) | InvalidMessage::InvalidLength(_))
                    ),
                    "prefix {n}: {r:?}"
                );
            }
        }
    }

    #[test]
    fn client_key_exchange_forms() {
        let c = ClientKeyExchange::ecdhe(&[4; 65]);
        assert_eq!(c.0[0], 65);
        assert_eq!(c.parse(KeyExchange::Ecdhe).unwrap(), &[4; 65][..]);
        let c = ClientKeyExchange::rsa(&[7; 256]);
        assert_eq!(&c.0[..2], &[1, 0]);
        assert_eq!(c.parse(KeyExchange::Rsa).unwrap(), &[7; 256][..]);
        let c = ClientKeyExchange::dhe(&[3; 256]);
        assert_eq!(c.parse(KeyExchange::Dhe).unwrap(), &[3; 256][..]);
        // Trailing data and empty points are errors.
        assert_eq!(
            ClientKeyExchange(vec![1, 4, 0]).ecdh_public().map(|_| ()),
            Err(crate::error::InvalidMessage::TrailingData(
                "ClientKeyExchange"
            ))
        );
        assert_eq!(
            ClientKeyExchange(vec![0]).ecdh_public().map(|_| ()),
            Err(crate::error::InvalidMessage::InvalidLength("ecdh_Yc"))
        );
        assert_eq!(
            ClientKeyExchange(vec![0xff, 0xff, 1])
                .dh_public()
                .map(|_| ()),
            Err(crate::error::InvalidMessage::MissingData("dh_Yc"))
        );
    }
}
