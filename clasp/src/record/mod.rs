//! Record layer.
