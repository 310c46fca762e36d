//! sign (to be written).
