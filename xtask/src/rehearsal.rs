//! `cargo xtask rehearsal [--minutes N] [--llm default|smoke|none] [--out DIR]`: a
//! compressed streaming evening against the real parts, with faults, checked and
//! reported (web/tests/rehearsal/rehearsal.mjs does the evening; this builds the
//! programs, fetches the models and passes their paths). `--machines 2` is the
//! two-machine test (machines.rs).

use crate::{build, model, root, status, target_dir, web_build};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// The programs the evening runs, built for debug in one cargo run (the test build).
const PARTS: [&str; 7] = [
    "landale",
    "nurvus",
    "seed",
    "phononmaser",
    "fake-twitch",
    "fake-rainwave",
    "landale-demo",
];

pub struct Options {
    pub minutes: String,
    /// seed's model: `default` (its embedded Qwen, 1.1 GB), `smoke` (SmolLM2-135M,
    /// what CI runs: seed's path is the same, the machine stays free for the rest) or
    /// `none` (seed's own analysis).
    pub llm: String,
    pub out: PathBuf,
    /// Skipping (a missing program) is success: `cargo xtask test` says why and goes on.
    pub skip_ok: bool,
}

pub fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        minutes: "4".into(),
        llm: "default".into(),
        out: target_dir().join("rehearsal"),
        skip_ok: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--minutes" => {
                o.minutes = value()?;
                if !o.minutes.parse::<f64>().is_ok_and(|m| m >= 1.5) {
                    bail!("--minutes takes a number of minutes, at least 1.5");
                }
            }
            "--llm" => {
                o.llm = value()?;
                if !["default", "smoke", "none"].contains(&o.llm.as_str()) {
                    bail!("--llm takes default, smoke or none");
                }
            }
            "--out" => o.out = value()?.into(),
            other => bail!("unknown option {other}: cargo xtask rehearsal [--minutes N] [--llm default|smoke|none] [--out DIR]"),
        }
    }
    Ok(o)
}

pub fn run(o: &Options) -> Result<()> {
    web_build()?;
    build(false, &PARTS, " (rehearsal)")?;
    let whisper = model::ensure().context("phononmaser's Whisper model")?;
    let llm = match o.llm.as_str() {
        "default" => model::ensure_llm()?.display().to_string(),
        "smoke" => model::ensure_smoke()?.display().to_string(),
        _ => String::new(),
    };
    let bin = target_dir().join("debug");
    let mut node = Command::new("node");
    node.arg("tests/rehearsal/rehearsal.mjs")
        .args(["--minutes", &o.minutes, "--out"])
        .arg(&o.out)
        .current_dir(root().join("web"))
        .env("LANDALE_BIN", bin.join("landale"))
        .env("NURVUS_BIN", bin.join("nurvus"))
        .env("SEED_BIN", bin.join("seed"))
        .env("PHONONMASER_BIN", bin.join("phononmaser"))
        .env("DEMO_VOICE_BIN", bin.join("demo-voice"))
        .env("FAKE_TWITCH_BIN", bin.join("fake-twitch"))
        .env("FAKE_RAINWAVE_BIN", bin.join("fake-rainwave"))
        .env("WHISPER_MODEL_PATH", &whisper)
        .env("REHEARSAL_LLM_MODEL", &llm);
    if o.skip_ok {
        node.env("REHEARSAL_SKIP_OK", "1");
    }
    status(
        node,
        &format!(
            "the rehearsal: a {} min evening with faults (report in {})",
            o.minutes,
            o.out.display()
        ),
    )
}
