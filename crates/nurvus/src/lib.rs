//! nurvus: a process manager for each Landale machine. `config` reads the process
//! file (the reference's JSON array), `supervisor` runs one task per process that
//! owns its child and its restarts, `logs` captures output into bounded rings,
//! `platform` holds everything OS-specific, `http` is the API on 4001, `cli` the verbs.

pub mod cli;
pub mod config;
pub mod http;
pub mod logs;
pub mod platform;
pub mod supervisor;

use std::path::{Path, PathBuf};

/// The process file: `NURVUS_CONFIG` (or the reference's `NURVUS_CONFIG_FILE`), else
/// `$XDG_CONFIG_HOME/nurvus/processes.json` when it exists, else `./nurvus.json`.
pub fn config_path() -> PathBuf {
    if let Some(p) = std::env::var_os("NURVUS_CONFIG")
        .or_else(|| std::env::var_os("NURVUS_CONFIG_FILE"))
        .filter(|p| !p.is_empty())
    {
        return PathBuf::from(p);
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(p) = xdg
        .map(|d| d.join("nurvus").join("processes.json"))
        .filter(|p| p.is_file())
    {
        return p;
    }
    PathBuf::from("nurvus.json")
}

/// `nurvus validate`: every problem printed; the exit code (1 when there is any).
pub fn validate(file: Option<&Path>) -> i32 {
    let path = file.map(Path::to_path_buf).unwrap_or_else(config_path);
    match config::load(&path) {
        Err(e) => {
            eprintln!("nurvus: {e}");
            1
        }
        Ok((good, problems)) => {
            for p in &problems {
                eprintln!("{}: {p}", path.display());
            }
            println!(
                "{}: {} processes valid, {} problems",
                path.display(),
                good.len(),
                problems.len()
            );
            i32::from(!problems.is_empty())
        }
    }
}
