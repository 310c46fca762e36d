//! time (to be written).
