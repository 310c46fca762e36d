//! Key schedules.
