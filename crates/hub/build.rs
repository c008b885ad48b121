//! Make sure `web/dist` exists before `http/pages.rs` is compiled.
//!
//! In debug builds `rust-embed` reads the pages from disk at request time, but it
//! resolves the folder's real path when the crate compiles. If `web/dist` does not
//! exist yet (a fresh clone, pages built later by `cargo xtask`), it keeps the
//! unresolved `../../web/dist` path and then refuses every file, because the files'
//! real paths never start with it. Creating the empty folder first avoids that.

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if let Err(e) = std::fs::create_dir_all(&dist) {
        println!("cargo::warning=cannot create {}: {e}", dist.display());
    }
    println!("cargo::rerun-if-changed=build.rs");
}
