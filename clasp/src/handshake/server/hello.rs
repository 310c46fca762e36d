//! Server hello negotiation (RFC 8446 §4.1.1, RFC 5246 §7.4.1): read ClientHello, choose the
//! version, and hand over to the TLS 1.3 or TLS 1.2 state machine.

use std::sync::Arc;

use crate::config::ServerConfig;
use crate::conn::CommonState;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::{unexpected, State};
use crate::msgs::enums::{Compression, HandshakeType, ProtocolVersion};
use crate::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload};

/// The state a new server connection starts in.
pub(crate) fn start(config: Arc<ServerConfig>) -> Box<dyn State> {
    Box::new(ExpectClientHello { config })
}

struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

impl State for ExpectClientHello {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let HandshakePayload::ClientHello(ch) = msg.payload() else {
            return Err(unexpected(&msg, &[HandshakeType::ClientHello]));
        };
        // One copy, kept for `ServerConnection::client_hello` when the config asks for it; the
        // handlers borrow `msg`'s.
        if self.config.retain_client_hello {
            cx.received_client_hello = Some(Box::new((ch.clone(), msg.encoded().to_vec())));
        }
        cx.client_random = ch.random;
        cx.negotiated.server_name = ch.server_name().map(str::to_owned);

        // RFC 8446 §D.5: "Any endpoint receiving a Hello message with
        // ClientHello.legacy_version ... set to 0x0300 MUST abort the handshake with a
        // "protocol_version" alert", before supported_versions is looked at (§4.1.2).
        if ch.legacy_version <= ProtocolVersion::SSLv3 {
            return Err(PeerMisbehaved::ObsoleteLegacyVersion.into());
        }

        // RFC 8446 §4.1.2: "If a TLS 1.3 ClientHello is received with any other value [than a
        // single null compression method], the server MUST abort ... "illegal_parameter""; a
        // TLS 1.2 ClientHello must at least include null (RFC 5246 §7.4.1.2).
        if !ch.legacy_compression_methods.contains(&Compression::Null) {
            return Err(PeerMisbehaved::IllegalCompression.into());
        }

        // RFC 8446 §4.2.1: with supported_versions, legacy_version is ignored and the server
        // picks from the list; without it, the client speaks at most legacy_version.
        let ours = &self.config.versions;
        let version = match ch.supported_versions() {
            Some(theirs) => ours.iter().copied().find(|v| theirs.contains(v)),
            None if ch.legacy_version >= ProtocolVersion::TLSv1_2 => ours
                .iter()
                .copied()
                .find(|v| *v == ProtocolVersion::TLSv1_2),
            None => None,
        };
        match version {
            Some(ProtocolVersion::TLSv1_3) => {
                if ch.legacy_compression_methods != [Compression::Null] {
                    return Err(PeerMisbehaved::IllegalCompression.into());
                }
                cx.negotiated.version = Some(ProtocolVersion::TLSv1_3);
                super::tls13::handle_client_hello(cx, self.config, ch, &msg, None)
            }
            Some(ProtocolVersion::TLSv1_2) => {
                cx.negotiated.version = Some(ProtocolVersion::TLSv1_2);
                super::tls12::handle_client_hello(cx, self.config, ch, &msg)
            }
            _ => Err(PeerIncompatible::NoCommonVersion.into()),
        }
    }
}

/// ALPN (RFC 7301 §3.2): the server's most preferred protocol that the client offered; none if
/// either side has no list. Both lists present but disjoint is fatal
/// (no_application_protocol), for TLS 1.2 and 1.3 alike.
pub(crate) fn choose_alpn(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
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
