//! The two non-handshake control messages: Alert (RFC 8446 §6) and ChangeCipherSpec
//! (RFC 5246 §7.1, RFC 8446 §5 for its compatibility-mode use).
//!
//! Wire shape only: whether an alert ends the connection is the connection's decision.

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;
use crate::msgs::enums::{AlertDescription, AlertLevel};

/// `Alert` (RFC 8446 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    /// RFC 8446 §6: AlertLevel level (ignored in TLS 1.3 except for close_notify/user_canceled)
    pub level: AlertLevel,
    /// RFC 8446 §6: AlertDescription description
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert.
    #[must_use]
    pub fn fatal(description: AlertDescription) -> Self {
        Self {
            level: AlertLevel::Fatal,
            description,
        }
    }

    /// `close_notify` at warning level (RFC 8446 §6.1).
    #[must_use]
    pub fn close_notify() -> Self {
        Self {
            level: AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        }
    }
}

impl<'a> Codec<'a> for Alert {
    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        // An alert record is exactly two bytes (RFC 8446 §6); callers use `read_bytes`, which
        // rejects trailing data.
        let level = AlertLevel(
            r.u8("AlertLevel")
                .map_err(|_| InvalidMessage::InvalidAlert)?,
        );
        let description = AlertDescription(
            r.u8("AlertDescription")
                .map_err(|_| InvalidMessage::InvalidAlert)?,
        );
        Ok(Self { level, description })
    }
}

/// `ChangeCipherSpec` (RFC 5246 §7.1): a single byte of value 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeCipherSpec;

impl<'a> Codec<'a> for ChangeCipherSpec {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        // RFC 5246 §7.1: enum { change_cipher_spec(1), (255) } type;
        // RFC 8446 §5: a CCS of any other value "MUST" abort with unexpected_message; we report
        // InvalidCcs and the error mapping picks the alert.
        match r.u8("ChangeCipherSpec") {
            Ok(1) => Ok(Self),
            _ => Err(InvalidMessage::InvalidCcs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_round_trip_and_strict_length() {
        let a = Alert::fatal(AlertDescription::HandshakeFailure);
        assert_eq!(a.get_encoding(), [2, 40]);
        assert_eq!(Alert::read_bytes(&[2, 40]).unwrap(), a);
        assert_eq!(Alert::read_bytes(&[1]), Err(InvalidMessage::InvalidAlert));
        assert_eq!(
            Alert::read_bytes(&[1, 0, 0]).map(|_| ()),
            Err(crate::error::InvalidMessage::TrailingData(
                "clasp::msgs::alert::Alert"
            ))
        );
        // Unknown values survive (open enums).
        assert_eq!(
            Alert::read_bytes(&[9, 0xfe]).unwrap().get_encoding(),
            [9, 0xfe]
        );
        assert_eq!(Alert::close_notify().get_encoding(), [1, 0]);
    }

    #[test]
    fn ccs_is_exactly_one_byte_of_one() {
        assert_eq!(ChangeCipherSpec.get_encoding(), [1]);
        assert!(ChangeCipherSpec::read_bytes(&[1]).is_ok());
        assert_eq!(
            ChangeCipherSpec::read_bytes(&[2]),
            Err(InvalidMessage::InvalidCcs)
        );
        assert_eq!(
            ChangeCipherSpec::read_bytes(&[]),
            Err(InvalidMessage::InvalidCcs)
        );
        assert_eq!(
            ChangeCipherSpec::read_bytes(&[1, 1]).map(|_| ()),
            Err(crate::error::InvalidMessage::TrailingData(
                "clasp::msgs::alert::ChangeCipherSpec"
            ))
        );
    }
}
