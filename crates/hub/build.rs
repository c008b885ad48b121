//! The pages in `web/dist`, seen by the build.
//!
//! - Make sure `web/dist` exists before `http/pages.rs` is compiled. In debug builds
//!   `rust-embed` reads the pages from disk at request time, but it resolves the
//!   folder's real path when the crate compiles; without the folder (a fresh clone,
//!   pages built later) it keeps the unresolved path and refuses every file.
//! - Rebuild when anything in `web/dist` changes. Release builds embed the pages, and
//!   `rust-embed` declares no dependency on the files: a `cargo build --release` on a
//!   fresh clone embedded the empty folder, and later builds kept serving "pages are
//!   not built" after the pages were. `rerun-if-changed` on the folder makes Cargo
//!   scan it, so a page added, removed or rebuilt rebuilds the crate.
//! - `LANDALE_PAGES_STAMP`: how many files the build saw and a hash of their names,
//!   sizes and times, so `landale pages` (and the test of this) can tell which pages a
//!   binary was built with.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn walk(dir: &Path, out: &mut Vec<(String, u64, u128)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if let Ok(m) = e.metadata() {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            out.push((p.display().to_string(), m.len(), t));
        }
    }
}

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if let Err(e) = std::fs::create_dir_all(&dist) {
        println!("cargo::warning=cannot create {}: {e}", dist.display());
    }
    let mut files = vec![];
    walk(&dist, &mut files);
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut h);
    println!(
        "cargo::rustc-env=LANDALE_PAGES_STAMP={} files, {:016x}",
        files.len(),
        h.finish()
    );
    println!("cargo::rerun-if-changed={}", dist.display());
    println!("cargo::rerun-if-changed=build.rs");
}
