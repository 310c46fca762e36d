//! testdata (to be written).
