//! Wire types: the messages and extensions of TLS 1.2 and 1.3, with no protocol logic.
//!
//! Everything here decodes from borrowed bytes through [`crate::codec::Codec`] and re-encodes to
//! the same bytes. Nothing here decides whether a message is acceptable in a state; that is the
//! state machines' job.

pub mod enums;
