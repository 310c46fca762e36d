//! `--only memory-breakdown`: where the bytes of an idle clasp connection go.
//!
//! After a TLS 1.3 handshake (no resumption, the benchmark's configs), each connection reports
//! its Rust heap part by part (`clasp::internal::heap_breakdown`, sizes from `size_of_val` and
//! capacities). This module checks those parts against the counting allocator: the heap freed
//! when the connection is dropped, minus the sum of the parts, is printed as *unaccounted* (it
//! should be 0, or the size of something not itemised). The heap inside a retained decoded
//! ClientHello is measured here by cloning it under the counting allocator.

use std::mem::size_of;

use clasp::{ClientConnection, ServerConnection};

use crate::alloc::{malloc_in_use, rust_live};
use crate::scenarios::connected;
use crate::setup::Configs;

/// One side's accounting.
#[derive(Debug, Default, Clone)]
pub struct Breakdown {
    /// `size_of` the connection struct.
    pub size_of: usize,
    /// Itemised heap parts (label, bytes).
    pub parts: Vec<(String, usize)>,
    /// Rust heap freed when the connection was dropped (counting allocator).
    pub measured_heap: isize,
    /// C heap (`mallinfo2`) freed at drop: Rust heap plus aws-lc's allocations plus malloc's
    /// chunk overhead.
    pub measured_malloc: isize,
}

impl Breakdown {
    /// Sum of the itemised parts.
    #[must_use]
    pub fn itemised(&self) -> usize {
        self.parts.iter().map(|(_, n)| n).sum()
    }

    /// Measured heap minus the itemised parts.
    #[must_use]
    pub fn unaccounted(&self) -> isize {
        self.measured_heap - isize::try_from(self.itemised()).unwrap_or(isize::MAX)
    }
}

fn owned(parts: Vec<(&'static str, usize)>) -> Vec<(String, usize)> {
    parts.into_iter().map(|(l, n)| (l.to_string(), n)).collect()
}

/// Heap a value's clone allocates (`f` makes the clone), measured with the counting allocator.
fn heap_of_clone<T>(f: impl FnOnce() -> T) -> isize {
    let before = rust_live();
    let v = f();
    let after = rust_live();
    drop(v);
    after - before
}

fn signed(a: usize, b: usize) -> isize {
    isize::try_from(a).unwrap_or(isize::MAX) - isize::try_from(b).unwrap_or(isize::MAX)
}

/// Accounts for an idle client and server connection after a full handshake. The parts come
/// from the first pair; the measured heap is the average over `pairs` pairs held at once (all
/// pairs are alike; many are needed for `mallinfo2`, since malloc keeps a few freed chunks
/// per size in per-thread caches that it still reports as in use).
///
/// # Errors
/// A handshake failure.
pub fn memory_breakdown(
    stack: &Configs<clasp::ClientConfig, clasp::ServerConfig>,
    pairs: usize,
) -> Result<(Breakdown, Breakdown), String> {
    // Warm up lazy statics and first-use allocations.
    drop(connected(stack)?);
    let pairs = pairs.max(1);
    let mut clients: Vec<ClientConnection> = Vec::with_capacity(pairs);
    let mut servers: Vec<ServerConnection> = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let (c, s) = connected(stack)?;
        clients.push(c);
        servers.push(s);
    }
    let (Some(client), Some(server)) = (clients.first(), servers.first()) else {
        return Err("no connection pair".into());
    };
    let mut s = Breakdown {
        size_of: size_of::<ServerConnection>(),
        parts: owned(clasp::internal::heap_breakdown(server)),
        ..Breakdown::default()
    };
    if let Some((ch, _)) = server.client_hello() {
        let n = heap_of_clone(|| ch.clone());
        s.parts.push((
            "received ClientHello: decoded (heap of a clone)".into(),
            usize::try_from(n).unwrap_or(0),
        ));
    }
    let mut c = Breakdown {
        size_of: size_of::<ClientConnection>(),
        parts: owned(clasp::internal::heap_breakdown(client)),
        ..Breakdown::default()
    };

    let n = isize::try_from(pairs).unwrap_or(isize::MAX);
    let (r1, m1) = (rust_live(), malloc_in_use());
    servers.clear();
    let (r2, m2) = (rust_live(), malloc_in_use());
    clients.clear();
    let (r3, m3) = (rust_live(), malloc_in_use());
    s.measured_heap = (r1 - r2) / n;
    s.measured_malloc = signed(m1, m2) / n;
    c.measured_heap = (r2 - r3) / n;
    c.measured_malloc = signed(m2, m3) / n;
    Ok((c, s))
}

/// Prints the two breakdowns as one markdown table.
pub fn print(c: &Breakdown, s: &Breakdown) {
    println!("| part | client, bytes | server, bytes |");
    println!("|---|---:|---:|");
    println!(
        "| `size_of` connection struct | {} | {} |",
        c.size_of, s.size_of
    );
    // Labels in first-seen order over both sides.
    let mut labels: Vec<&str> = Vec::new();
    for (l, _) in c.parts.iter().chain(&s.parts) {
        if !labels.contains(&l.as_str()) {
            labels.push(l);
        }
    }
    let get = |b: &Breakdown, l: &str| {
        b.parts
            .iter()
            .find(|(x, _)| x == l)
            .map_or_else(|| "—".to_string(), |(_, n)| n.to_string())
    };
    for l in labels {
        println!("| {l} | {} | {} |", get(c, l), get(s, l));
    }
    println!(
        "| **itemised heap** | {} | {} |",
        c.itemised(),
        s.itemised()
    );
    println!(
        "| measured Rust heap (counting allocator, freed at drop) | {} | {} |",
        c.measured_heap, s.measured_heap
    );
    println!(
        "| unaccounted (measured − itemised) | {} | {} |",
        c.unaccounted(),
        s.unaccounted()
    );
    let total = |b: &Breakdown| b.measured_heap + isize::try_from(b.size_of).unwrap_or(0);
    println!("| **Rust heap + struct** | {} | {} |", total(c), total(s));
    println!(
        "| C heap freed at drop (malloc: Rust heap + aws-lc + chunk overhead) | {} | {} |",
        c.measured_malloc, s.measured_malloc
    );
    println!(
        "| of which not Rust heap (aws-lc AEAD contexts, malloc overhead) | {} | {} |",
        c.measured_malloc - c.measured_heap,
        s.measured_malloc - s.measured_heap
    );
}
