//! The demo's voice: sentences a streamer might say, spoken with espeak-ng when it is
//! installed (else the clips in `deploy/voice`, made with it by
//! `deploy/voice/make.sh`), sent to phononmaser's audio port as OBS's audio plugin
//! sends them: 48 kHz stereo 16-bit frames of 1,024 samples at the real pace, each
//! sentence followed by silence so it ends as a pause ends it.

use anyhow::{Context, Result};
use futures_util::SinkExt;
use landale_protocol::audio_frame::{encode_binary, Format};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub const SENTENCES: [&str; 8] = [
    "Welcome in everybody, thanks for hanging out tonight.",
    "Alright chat, we are going for the gym leader next.",
    "Thank you so much for the follow, that means a lot.",
    "Okay, that was close, I did not expect that critical hit.",
    "Let me check the tracker real quick before this fight.",
    "The music on this station is really good today.",
    "Hydrate check, everyone grab some water.",
    "We are live, let us see how far this run goes.",
];

/// 16-bit mono samples at `rate`.
pub struct Clip {
    pub text: String,
    pub rate: u32,
    pub samples: Vec<i16>,
}

fn read_wav(bytes: &[u8], text: &str) -> Result<Clip> {
    let mut r = hound::WavReader::new(std::io::Cursor::new(bytes)).context("not a WAV file")?;
    let spec = r.spec();
    let all: Vec<i16> = r
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .context("bad WAV samples")?;
    // Down to mono when there are more channels.
    let ch = spec.channels.max(1) as usize;
    let samples = all
        .chunks(ch)
        .map(|c| (c.iter().map(|&s| s as i32).sum::<i32>() / ch as i32) as i16)
        .collect();
    Ok(Clip {
        text: text.into(),
        rate: spec.sample_rate,
        samples,
    })
}

/// `text` spoken by espeak-ng; `None` when it is not installed or fails.
pub fn speak(text: &str) -> Option<Clip> {
    let out = Command::new("espeak-ng")
        .args(["-s", "150", "--stdout", text])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    read_wav(&sized(out.stdout), text).ok()
}

/// A WAV written to a pipe has no sizes in its header (espeak-ng writes 0x7fffffff,
/// as a stream does): put in the real ones, which the bytes now tell.
fn sized(mut wav: Vec<u8>) -> Vec<u8> {
    if wav.len() < 12 || &wav[0..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return wav;
    }
    let riff = (wav.len() - 8) as u32;
    wav[4..8].copy_from_slice(&riff.to_le_bytes());
    let mut at = 12;
    while at + 8 <= wav.len() {
        let len = u32::from_le_bytes([wav[at + 4], wav[at + 5], wav[at + 6], wav[at + 7]]) as usize;
        if &wav[at..at + 4] == b"data" {
            let data = (wav.len() - at - 8) as u32;
            wav[at + 4..at + 8].copy_from_slice(&data.to_le_bytes());
            break;
        }
        at += 8 + len + (len & 1);
    }
    wav
}

/// The clips in `dir` (`*.wav`, in name order).
pub fn clips(dir: &Path) -> Vec<Clip> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "wav"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            let bytes = std::fs::read(p).ok()?;
            read_wav(&bytes, &p.file_stem()?.to_string_lossy()).ok()
        })
        .collect()
}

/// Mono samples at `rate` → the plugin's 48 kHz stereo s16le bytes (linear
/// interpolation).
pub fn to_plugin(c: &Clip) -> Vec<u8> {
    let n = c.samples.len();
    if n == 0 || c.rate == 0 {
        return vec![];
    }
    let out_len = (n as u64 * 48_000 / c.rate as u64) as usize;
    let mut out = Vec::with_capacity(out_len * 4);
    for i in 0..out_len {
        let pos = i as f64 * c.rate as f64 / 48_000.0;
        let j = pos as usize;
        let f = pos - j as f64;
        let a = c.samples[j.min(n - 1)] as f64;
        let b = c.samples[(j + 1).min(n - 1)] as f64;
        let s = (a + (b - a) * f).round() as i16;
        out.extend(s.to_le_bytes());
        out.extend(s.to_le_bytes());
    }
    out
}

/// Bytes of one 1,024-sample stereo frame.
pub const FRAME: usize = 1024 * 4;

/// Speak `pcm` (plugin bytes) then `silence` of quiet, at the real pace, on `ws`.
pub async fn say<S>(
    ws: &mut S,
    source: &str,
    pcm: &[u8],
    silence: Duration,
    ts: &mut u64,
) -> Result<()>
where
    S: futures_util::Sink<Message> + Unpin,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let format = Format {
        sample_rate: 48_000,
        channels: 2,
        bit_depth: 16,
    };
    let quiet = vec![0u8; (silence.as_secs_f64() * 48_000.0) as usize * 4];
    let mut pace = tokio::time::interval(Duration::from_secs_f64(1024.0 / 48_000.0));
    for chunk in pcm.chunks(FRAME).chain(quiet.chunks(FRAME)) {
        pace.tick().await;
        ws.send(Message::binary(encode_binary(
            *ts, format, source, source, chunk,
        )))
        .await?;
        *ts += 21_333_333;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mono 16-bit WAV of `samples` with a stream's header (sizes 0x7fffffff).
    fn streamed(samples: &[i16]) -> Vec<u8> {
        let mut w = b"RIFF\xff\xff\xff\x7fWAVEfmt ".to_vec();
        w.extend(16u32.to_le_bytes());
        w.extend(1u16.to_le_bytes());
        w.extend(1u16.to_le_bytes());
        w.extend(22_050u32.to_le_bytes());
        w.extend(44_100u32.to_le_bytes());
        w.extend(2u16.to_le_bytes());
        w.extend(16u16.to_le_bytes());
        w.extend(b"data\xff\xff\xff\x7f");
        for s in samples {
            w.extend(s.to_le_bytes());
        }
        w
    }

    #[test]
    fn a_piped_wav_is_read_whole() {
        let samples: Vec<i16> = (0..1000).map(|i| (i * 7 % 300) as i16).collect();
        assert!(
            read_wav(&streamed(&samples), "x").is_err(),
            "hound refuses the stream's sizes"
        );
        let clip = read_wav(&sized(streamed(&samples)), "x").expect("read");
        assert_eq!(clip.rate, 22_050);
        assert_eq!(clip.samples, samples);
    }

    #[test]
    fn espeak_speech_is_read_when_espeak_is_installed() {
        if Command::new("espeak-ng").arg("--version").output().is_err() {
            eprintln!(
                "skipped: espeak-ng is not installed (apt-get install espeak-ng; .ci/run does)"
            );
            return;
        }
        let clip = speak("Hydrate check, everyone.").expect("espeak-ng's speech is read");
        // About a second and a half of speech at espeak-ng's 22,050 Hz.
        assert!(
            clip.samples.len() > 22_050,
            "{} samples",
            clip.samples.len()
        );
        assert_eq!(clip.text, "Hydrate check, everyone.");
    }
}
