//! Static files of `clasp server --root DIR`: URL path → file under the root, never outside it,
//! and a bounded in-memory cache of small files so a keep-alive request for a hot file costs
//! one `stat` on the runtime thread instead of two hand-offs to tokio's blocking pool.
//!
//! Owns the path rules (`..` refused, symlinks resolved and checked against the root) and the
//! cache; never decides anything about TLS or HTTP beyond the status of a file lookup. Also
//! compiled into clasp-bench's `tokio-rustls-server` (`#[path]`), so the load comparison serves
//! files with exactly this code.
//!
//! Why a cache with a `stat` per request, and not synchronous reads or a time-to-live:
//! - `tokio::fs` runs every call on the blocking pool: two thread hand-offs (wake a pool thread,
//!   wake the runtime thread back), 20–40 µs of CPU each on this 2-core machine, measured by
//!   `perf` at about 100 µs per request with `canonicalize` and `read` (issue 14). A `stat`
//!   of a file whose inode is in memory takes about a microsecond, less than an `epoll_wait`, so
//!   it runs inline like the socket calls do.
//! - Reading small files synchronously would also be cheap when the page cache is hot, but
//!   `open`+`read`+`close` of a cold file blocks the runtime thread on the disk; the cache reads
//!   through the pool once per change and then serves from memory.
//! - A `stat` per request (as nginx without `open_file_cache` does `open`+`fstat`) serves a
//!   changed file at once: no time-to-live, no stale window to document.
//!
//! Safety of the cache: an entry records the identity (device, inode, size, modification and
//! change times) of the file whose *canonical* path was checked to lie under the root. A hit
//! `stat`s the requested path (following symlinks, like `open` would) and serves the cached bytes
//! only when that identity is unchanged: the same file, unmodified. Anything else (a new file, a
//! symlink swapped in, an edit) takes the slow path, which checks the canonical path again.

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use hyper::StatusCode;

/// Largest file kept in memory.
pub const MAX_CACHED_FILE: u64 = 256 * 1024;
/// Most files kept in memory (so at most `MAX_CACHED_FILE * MAX_CACHED_ENTRIES` = 64 MiB).
pub const MAX_CACHED_ENTRIES: usize = 256;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The file's bytes and its content type.
    File(Bytes, &'static str),
    /// No such file (or unreadable).
    NotFound,
    /// The path resolves outside the root (a symlink).
    Outside,
}

/// A file's identity and version, as `stat` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
    changed: (i64, i64),
}

impl Stamp {
    #[cfg(unix)]
    fn of(m: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            modified: m.modified().ok(),
            changed: (m.ctime(), m.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    fn of(m: &Metadata) -> Self {
        Self {
            dev: 0,
            ino: 0,
            len: m.len(),
            modified: m.modified().ok(),
            changed: (0, 0),
        }
    }
}

#[derive(Debug)]
struct Cached {
    stamp: Stamp,
    body: Bytes,
    content_type: &'static str,
    /// Directory request: the stamp is index.html's.
    index: bool,
    /// Insertion order, for eviction.
    age: u64,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<PathBuf, Cached>,
    next_age: u64,
}

/// The files of one root, with the cache.
#[derive(Debug)]
pub struct Files {
    /// Canonical root directory.
    root: PathBuf,
    cache: Mutex<Inner>,
}

impl Files {
    /// Files under `root`, which must be canonical (`Path::canonicalize`).
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            cache: Mutex::new(Inner::default()),
        }
    }

    /// The file for `rel` (from [`safe_relative_path`]); a directory means its index.html.
    pub async fn get(&self, rel: &Path) -> Lookup {
        let asked = self.root.join(rel);
        if let Some(hit) = self.hit(rel, &asked) {
            return hit;
        }
        self.load(rel, asked).await
    }

    /// The cached bytes, if the file `asked` resolves to is still the one cached.
    fn hit(&self, rel: &Path, asked: &Path) -> Option<Lookup> {
        let (stamp, body, content_type, index) = {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            let c = cache.map.get(rel)?;
            (c.stamp, c.body.clone(), c.content_type, c.index)
        };
        // One stat, inline (see the module docs); `metadata` follows symlinks as `open` does.
        let meta = if index {
            std::fs::metadata(asked.join("index.html"))
        } else {
            std::fs::metadata(asked)
        };
        (Stamp::of(&meta.ok()?) == stamp).then_some(Lookup::File(body, content_type))
    }

    /// The slow path: resolve, check against the root, read (on the blocking pool), cache.
    async fn load(&self, rel: &Path, asked: PathBuf) -> Lookup {
        // Symlinks inside the root could still point outside it: compare the real path.
        let Ok(real) = tokio::fs::canonicalize(&asked).await else {
            return Lookup::NotFound;
        };
        if !real.starts_with(&self.root) {
            return Lookup::Outside;
        }
        let Ok(meta) = tokio::fs::metadata(&real).await else {
            return Lookup::NotFound;
        };
        let index = meta.is_dir();
        let (file, meta) = if index {
            let file = real.join("index.html");
            // index.html itself may be a symlink: checked the same way.
            let Ok(real_index) = tokio::fs::canonicalize(&file).await else {
                return Lookup::NotFound;
            };
            if !real_index.starts_with(&self.root) {
                return Lookup::Outside;
            }
            match tokio::fs::metadata(&real_index).await {
                Ok(m) => (real_index, m),
                Err(_) => return Lookup::NotFound,
            }
        } else {
            (real, meta)
        };
        let content_type = content_type(&file);
        let Ok(body) = tokio::fs::read(&file).await else {
            return Lookup::NotFound;
        };
        let body = Bytes::from(body);
        let stamp = Stamp::of(&meta);
        // Cached only if the file did not change while it was read (the stamp is from before
        // the read, so a change during it would be served once and never cached wrongly).
        if body.len() as u64 == stamp.len && stamp.len <= MAX_CACHED_FILE {
            self.insert(rel, stamp, body.clone(), content_type, index);
        }
        Lookup::File(body, content_type)
    }

    fn insert(
        &self,
        rel: &Path,
        stamp: Stamp,
        body: Bytes,
        content_type: &'static str,
        index: bool,
    ) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.map.len() >= MAX_CACHED_ENTRIES && !cache.map.contains_key(rel) {
            // Full: the oldest entry goes (a scan of at most MAX_CACHED_ENTRIES, on a miss only).
            if let Some(oldest) = cache
                .map
                .iter()
                .min_by_key(|(_, c)| c.age)
                .map(|(k, _)| k.clone())
            {
                cache.map.remove(&oldest);
            }
        }
        let age = cache.next_age;
        cache.next_age += 1;
        cache.map.insert(
            rel.to_path_buf(),
            Cached {
                stamp,
                body,
                content_type,
                index,
                age,
            },
        );
    }

    /// Files held in memory (tests).
    #[cfg(test)]
    fn cached(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len()
    }
}

/// Decodes `%XX` escapes. `None` for a malformed escape.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Some(out)
}

/// Turns a URL path into a path relative to the root, refusing anything that could leave it:
/// `..` components (also percent-encoded), absolute or prefixed components, backslashes, NUL.
///
/// # Errors
/// `BAD_REQUEST` for a malformed escape or non-UTF-8 path, `FORBIDDEN` for a path that could
/// leave the root.
pub fn safe_relative_path(url_path: &str) -> Result<PathBuf, StatusCode> {
    let decoded = percent_decode(url_path).ok_or(StatusCode::BAD_REQUEST)?;
    let decoded = String::from_utf8(decoded).map_err(|_| StatusCode::BAD_REQUEST)?;
    let mut rel = PathBuf::new();
    for part in decoded.split('/') {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." || part.contains('\\') || part.contains('\0') {
            return Err(StatusCode::FORBIDDEN);
        }
        let mut comps = Path::new(part).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(_)), None) => rel.push(part),
            _ => return Err(StatusCode::FORBIDDEN),
        }
    }
    Ok(rel)
}

/// The Content-Type for a file name.
#[must_use]
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/a/%2E%2E/b",
            "/a\\..\\b",
        ] {
            assert_eq!(safe_relative_path(bad), Err(StatusCode::FORBIDDEN), "{bad}");
        }
        assert_eq!(safe_relative_path("/%zz"), Err(StatusCode::BAD_REQUEST));
        assert_eq!(safe_relative_path("/%"), Err(StatusCode::BAD_REQUEST));
        assert_eq!(
            safe_relative_path("/a/./b.txt"),
            Ok(PathBuf::from("a/b.txt"))
        );
        assert_eq!(
            safe_relative_path("//etc/passwd"),
            Ok(PathBuf::from("etc/passwd"))
        );
        assert_eq!(safe_relative_path("/a%20b"), Ok(PathBuf::from("a b")));
    }

    /// A fresh directory under the system temp dir, canonical, removed on drop.
    struct TempRoot(PathBuf);
    impl TempRoot {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "clasp-files-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            Self(dir.canonicalize().expect("canonical temp dir"))
        }
    }
    impl Drop for TempRoot {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn get(files: &Files, rel: &str) -> Lookup {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(files.get(Path::new(rel)))
    }

    fn file(body: &'static str, ct: &'static str) -> Lookup {
        Lookup::File(Bytes::from_static(body.as_bytes()), ct)
    }

    #[test]
    fn a_changed_file_is_served_new_from_the_cache() {
        let root = TempRoot::new("changed");
        let path = root.0.join("a.txt");
        std::fs::write(&path, "first").expect("write");
        let files = Files::new(root.0.clone());
        let txt = "text/plain; charset=utf-8";
        assert_eq!(get(&files, "a.txt"), file("first", txt));
        assert_eq!(files.cached(), 1);
        assert_eq!(get(&files, "a.txt"), file("first", txt));
        // Same length, written again: the change time moves even if the clock's mtime tick
        // did not.
        std::fs::write(&path, "secnd").expect("write");
        assert_eq!(get(&files, "a.txt"), file("secnd", txt));
        // Replaced by another file (new inode).
        let tmp = root.0.join("a.tmp");
        std::fs::write(&tmp, "third, longer").expect("write");
        std::fs::rename(&tmp, &path).expect("rename");
        assert_eq!(get(&files, "a.txt"), file("third, longer", txt));
        std::fs::remove_file(&path).expect("remove");
        assert_eq!(get(&files, "a.txt"), Lookup::NotFound);
    }

    #[test]
    fn a_directory_serves_its_index_and_notices_its_change() {
        let root = TempRoot::new("index");
        std::fs::create_dir(root.0.join("d")).expect("mkdir");
        std::fs::write(root.0.join("d/index.html"), "<p>one").expect("write");
        let files = Files::new(root.0.clone());
        let html = "text/html; charset=utf-8";
        assert_eq!(get(&files, "d"), file("<p>one", html));
        assert_eq!(get(&files, ""), Lookup::NotFound);
        std::fs::write(root.0.join("d/index.html"), "<p>two!").expect("write");
        assert_eq!(get(&files, "d"), file("<p>two!", html));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_swapped_in_after_caching_is_checked_again() {
        let root = TempRoot::new("symlink");
        let outside = TempRoot::new("symlink-outside");
        std::fs::write(outside.0.join("secret"), "secret").expect("write");
        std::fs::write(root.0.join("a.txt"), "public").expect("write");
        let files = Files::new(root.0.clone());
        assert_eq!(
            get(&files, "a.txt"),
            file("public", "text/plain; charset=utf-8")
        );
        std::fs::remove_file(root.0.join("a.txt")).expect("remove");
        std::os::unix::fs::symlink(outside.0.join("secret"), root.0.join("a.txt"))
            .expect("symlink");
        assert_eq!(get(&files, "a.txt"), Lookup::Outside);
    }

    #[test]
    fn large_files_are_served_but_not_kept_and_the_entry_count_is_bounded() {
        let root = TempRoot::new("bounds");
        let big = "x".repeat(usize::try_from(MAX_CACHED_FILE).unwrap_or(0) + 1);
        std::fs::write(root.0.join("big.bin"), &big).expect("write");
        let files = Files::new(root.0.clone());
        match get(&files, "big.bin") {
            Lookup::File(b, _) => assert_eq!(b.len(), big.len()),
            other => panic!("big.bin: {other:?}"),
        }
        assert_eq!(files.cached(), 0);
        for i in 0..MAX_CACHED_ENTRIES + 10 {
            std::fs::write(root.0.join(format!("{i}.txt")), i.to_string()).expect("write");
            assert_eq!(
                get(&files, &format!("{i}.txt")),
                Lookup::File(Bytes::from(i.to_string()), "text/plain; charset=utf-8")
            );
        }
        assert_eq!(files.cached(), MAX_CACHED_ENTRIES);
    }
}
