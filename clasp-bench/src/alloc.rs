//! Memory accounting for the idle-connection scenario.
//!
//! Two views, because neither alone is complete:
//! - [`rust_live`]: bytes currently allocated through Rust's global allocator **by this thread**
//!   (a counting wrapper around `System`). Per-thread, so `cargo test` running other tests in
//!   parallel does not disturb it. It does not see aws-lc's own C allocations (key schedules,
//!   `EVP_AEAD_CTX`), which go to `malloc` directly.
//! - [`malloc_in_use`]: glibc's `mallinfo2().uordblks`, every byte in use in the C heap,
//!   aws-lc's included. Process-wide, so only meaningful in the single-threaded benchmark run.
//!
//! This is the only module with `unsafe` in the workspace outside dependencies; the protocol
//! crate stays `#![forbid(unsafe_code)]`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// `System`, counting the live bytes of each thread.
#[derive(Debug)]
pub struct Counting;

thread_local! {
    // `const` initializer and no destructor: accessing it never allocates, so it is safe to
    // touch from inside the allocator.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(delta: isize) {
    // `try_with` fails only while the thread is being torn down; losing a count then is fine.
    let _ = LIVE.try_with(|c| c.set(c.get() + delta));
}

fn signed(n: usize) -> isize {
    // Allocation sizes never exceed isize::MAX (Layout guarantees it).
    isize::try_from(n).unwrap_or(isize::MAX)
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees carry over; the only addition is bookkeeping on a thread-local integer.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (see the impl comment).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(signed(layout.size()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(signed(layout.size()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        add(-signed(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(signed(new_size) - signed(layout.size()));
        }
        p
    }
}

/// Bytes allocated through the Rust global allocator by the current thread and not yet freed
/// (may be negative if this thread frees memory another thread allocated).
#[must_use]
pub fn rust_live() -> isize {
    LIVE.try_with(Cell::get).unwrap_or(0)
}

/// glibc's `struct mallinfo2` (glibc ≥ 2.33): ten `size_t` fields.
#[repr(C)]
#[derive(Default)]
struct MallInfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

extern "C" {
    fn mallinfo2() -> MallInfo2;
}

/// Bytes in use in the C heap (all threads, all arenas), including memory mmapped for large
/// blocks. Includes aws-lc's allocations, which [`rust_live`] cannot see.
#[must_use]
pub fn malloc_in_use() -> usize {
    // SAFETY: `mallinfo2` takes no arguments, has no preconditions and returns the struct by
    // value; the layout above matches glibc's declaration.
    let m = unsafe { mallinfo2() };
    m.uordblks + m.hblkhd
}
