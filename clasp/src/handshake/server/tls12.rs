//! The TLS 1.2 server handshake (RFC 5246 §7.4), after ClientHello.

use std::sync::Arc;

use crate::config::ServerConfig;
use crate::conn::CommonState;
use crate::error::{Error, PeerIncompatible};
use crate::handshake::State;
use crate::msgs::handshake::{ClientHello, HandshakeMessage};

/// Continues the handshake after a ClientHello that negotiated TLS 1.2.
pub(crate) fn handle_client_hello(
    _cx: &mut CommonState,
    _config: Arc<ServerConfig>,
    _ch: &ClientHello,
    _msg: &HandshakeMessage,
) -> Result<Box<dyn State>, Error> {
    Err(PeerIncompatible::NoCommonVersion.into())
}
