//! What the TLS 1.3 client and server share once keys exist: record protection from traffic
//! keys, key logging, and KeyUpdate (RFC 8446 §4.6.3).

use crate::conn::CommonState;
use crate::crypto::{Aead, CryptoProvider};
use crate::error::{Error, PeerMisbehaved};
use crate::key_schedule::tls13::ApplicationTrafficSecret;
use crate::key_schedule::{KeyLogLabel, TrafficKeys};
use crate::msgs::enums::KeyUpdateRequest;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::record::{RecordDecrypter, RecordEncrypter};
use crate::suites::SuiteInfo;
use crate::trace::Protection;

/// Builds a record decrypter for `keys`.
pub(crate) fn decrypter(
    suite: &SuiteInfo,
    keys: &TrafficKeys,
    provider: &CryptoProvider,
) -> Result<RecordDecrypter, Error> {
    RecordDecrypter::tls13(provider.aead(suite.aead), keys.key(), keys.iv())
}

/// Builds a record encrypter for `keys`.
pub(crate) fn encrypter(
    suite: &SuiteInfo,
    keys: &TrafficKeys,
    provider: &CryptoProvider,
) -> Result<RecordEncrypter, Error> {
    RecordEncrypter::tls13(provider.aead(suite.aead), keys.key(), keys.iv())
}

/// Logs a secret through the connection's key log.
pub(crate) fn log(cx: &CommonState) -> impl FnMut(KeyLogLabel, &[u8]) + '_ {
    move |label, secret| cx.log_secret(label, secret)
}

/// The application traffic secrets of an established TLS 1.3 connection, ours and the peer's.
pub(crate) struct TrafficSecrets {
    pub(crate) suite: &'static SuiteInfo,
    /// The suite's AEAD, for the next generation's record keys. Only this, not a clone of the
    /// whole `CryptoProvider` (its `kx_groups` Vec is a heap allocation per connection, and the
    /// struct is ~230 bytes): an idle connection should be small (DESIGN).
    pub(crate) aead: &'static dyn Aead,
    /// The secret we send with.
    pub(crate) ours: Option<ApplicationTrafficSecret>,
    /// The secret the peer sends with.
    pub(crate) theirs: Option<ApplicationTrafficSecret>,
}

impl TrafficSecrets {
    /// RFC 8446 §4.6.3: the peer's KeyUpdate: new receiving keys, and "If the request_update
    /// field is set to "update_requested", then the receiver MUST send a KeyUpdate of its own
    /// with request_update set to "update_not_requested" prior to sending its next Application
    /// Data record".
    ///
    /// Bounded: an implementation "which receives multiple KeyUpdates while it is silent" may
    /// "respond with a single update", so while our answer to an earlier request is the last
    /// thing we sent (no application data since), a new request adds nothing to the output; and
    /// the peer gets at most 32 KeyUpdates in a row without application data
    /// ([`CommonState::count_post_handshake_message`]).
    pub(crate) fn on_key_update(
        &mut self,
        cx: &mut CommonState,
        req: KeyUpdateRequest,
    ) -> Result<(), Error> {
        cx.count_post_handshake_message()?;
        handle_key_update(&mut self.theirs, self.suite, self.aead, cx, req)?;
        if req == KeyUpdateRequest::UpdateRequested && !cx.key_update_reply_pending {
            self.send_key_update(cx, false)?;
            cx.key_update_reply_pending = true;
        }
        Ok(())
    }

    /// Sends our KeyUpdate and switches to the next sending keys.
    pub(crate) fn send_key_update(
        &mut self,
        cx: &mut CommonState,
        request_peer: bool,
    ) -> Result<(), Error> {
        send_key_update(&mut self.ours, self.suite, self.aead, cx, request_peer)
    }
}

/// RFC 8446 §4.6.3: the peer updated its sending keys; update our receiving keys.
fn handle_key_update(
    secret: &mut Option<ApplicationTrafficSecret>,
    suite: &SuiteInfo,
    aead: &dyn Aead,
    cx: &mut CommonState,
    req: KeyUpdateRequest,
) -> Result<(), Error> {
    // "If an implementation receives any other value [than 0 or 1], it MUST terminate the
    // connection with an "illegal_parameter" alert."
    if req != KeyUpdateRequest::UpdateNotRequested && req != KeyUpdateRequest::UpdateRequested {
        return Err(PeerMisbehaved::IllegalKeyUpdate.into());
    }
    let next = secret
        .take()
        .ok_or(PeerMisbehaved::IllegalKeyUpdate)?
        .into_next()?;
    let keys = next.traffic_keys(suite.aead)?;
    let dec = RecordDecrypter::tls13(aead, keys.key(), keys.iv())?;
    cx.set_decrypter(dec, Protection::ApplicationKeys)?;
    *secret = Some(next);
    Ok(())
}

/// RFC 8446 §4.6.3: send KeyUpdate under the old keys, then switch to the next generation.
fn send_key_update(
    secret: &mut Option<ApplicationTrafficSecret>,
    suite: &SuiteInfo,
    aead: &dyn Aead,
    cx: &mut CommonState,
    request_peer: bool,
) -> Result<(), Error> {
    let req = if request_peer {
        KeyUpdateRequest::UpdateRequested
    } else {
        KeyUpdateRequest::UpdateNotRequested
    };
    cx.send_handshake(&HandshakeMessage::new(HandshakePayload::KeyUpdate(req)));
    let next = secret
        .take()
        .ok_or(Error::Internal(crate::error::InternalError::Unreachable(
            "no traffic secret",
        )))?
        .into_next()?;
    let keys = next.traffic_keys(suite.aead)?;
    let enc = RecordEncrypter::tls13(aead, keys.key(), keys.iv())?;
    cx.set_encrypter(enc, Protection::ApplicationKeys)?;
    *secret = Some(next);
    Ok(())
}
