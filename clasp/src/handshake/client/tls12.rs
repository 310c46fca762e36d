//! The TLS 1.2 client handshake (RFC 5246 §7.4), after ServerHello.

use crate::conn::CommonState;
use crate::error::{Error, PeerIncompatible};
use crate::handshake::client::hello::ClientHelloDetails;
use crate::handshake::State;
use crate::msgs::handshake::ServerHello;
use crate::suites::SuiteInfo;
use crate::transcript::Transcript;

/// Continues the handshake after a TLS 1.2 ServerHello.
pub(crate) fn handle_server_hello(
    _cx: &mut CommonState,
    _details: ClientHelloDetails,
    _suite: &'static SuiteInfo,
    _server_hello: &ServerHello,
    _transcript: Transcript,
) -> Result<Box<dyn State>, Error> {
    Err(PeerIncompatible::NoCommonVersion.into())
}
