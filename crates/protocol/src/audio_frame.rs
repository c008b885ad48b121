//! What the OBS plugin `obs-audio-to-websocket` sends, decoded. Binary frames: a
//! 28-byte little-endian header (timestamp ns u64, sample rate u32, channels u32,
//! bit depth u32, source id length u32, source name length u32), the id and name in
//! UTF-8, then interleaved integer PCM. Text frames: JSON `start`, `stop`,
//! `heartbeat`, and `audio_data` (the same audio, hex-encoded). A frame that lies is
//! an error naming the lie; nothing here panics on any input.

use serde_json::Value;

pub const HEADER: usize = 28;
pub const MAX_RATE: u32 = 192_000;
pub const MIN_RATE: u32 = 1_000;
pub const MAX_CHANNELS: u32 = 8;
/// Longest source id or name taken (OBS source names are short).
pub const MAX_NAME: usize = 256;

/// Audio from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    pub timestamp_ns: u64,
    pub format: Format,
    pub source_id: String,
    pub source_name: String,
    pub pcm: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub sample_rate: u32,
    pub channels: u32,
    pub bit_depth: u32,
}

impl Format {
    fn check(self) -> Result<Format, FrameError> {
        if !(MIN_RATE..=MAX_RATE).contains(&self.sample_rate)
            || !(1..=MAX_CHANNELS).contains(&self.channels)
            || !matches!(self.bit_depth, 16 | 32)
        {
            return Err(FrameError::Format(self));
        }
        Ok(self)
    }

    /// Bytes per interleaved sample frame (one sample of every channel).
    pub fn frame_bytes(self) -> usize {
        (self.channels * self.bit_depth / 8) as usize
    }
}

/// A frame from a source.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Audio(Audio),
    Start,
    Stop,
    Heartbeat,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FrameError {
    #[error("a binary frame of {0} bytes is shorter than its 28-byte header")]
    Short(usize),
    #[error("the header's id and name lengths ({id} + {name}) run past the frame's end")]
    Lengths { id: usize, name: usize },
    #[error("the source id or name is not UTF-8")]
    Utf8,
    #[error("unsupported audio format: {} Hz, {} channels, {} bits (1000 to 192000 Hz, 1 to 8 channels, 16- or 32-bit integer PCM)", .0.sample_rate, .0.channels, .0.bit_depth)]
    Format(Format),
    #[error("{len} bytes of PCM is not a whole number of {frame}-byte sample frames")]
    Ragged { len: usize, frame: usize },
    #[error("not a JSON message: {0}")]
    Json(String),
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("audio_data: {0}")]
    AudioData(String),
}

impl FrameError {
    /// A short word for counting by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            FrameError::Short(_) => "short",
            FrameError::Lengths { .. } => "lengths",
            FrameError::Utf8 => "utf8",
            FrameError::Format(_) => "format",
            FrameError::Ragged { .. } => "ragged",
            FrameError::Json(_) => "json",
            FrameError::UnknownType(_) => "unknown_type",
            FrameError::AudioData(_) => "audio_data",
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn checked_pcm(format: Format, pcm: &[u8]) -> Result<Vec<u8>, FrameError> {
    let frame = format.frame_bytes();
    if !pcm.len().is_multiple_of(frame) {
        return Err(FrameError::Ragged {
            len: pcm.len(),
            frame,
        });
    }
    Ok(pcm.to_vec())
}

/// A binary frame.
pub fn decode_binary(b: &[u8]) -> Result<Audio, FrameError> {
    if b.len() < HEADER {
        return Err(FrameError::Short(b.len()));
    }
    let timestamp_ns = u64::from_le_bytes(b[0..8].try_into().expect("8 bytes"));
    let format = Format {
        sample_rate: u32_at(b, 8),
        channels: u32_at(b, 12),
        bit_depth: u32_at(b, 16),
    };
    let (id, name) = (u32_at(b, 20) as usize, u32_at(b, 24) as usize);
    let rest = b.len() - HEADER;
    if id > MAX_NAME || name > MAX_NAME || id + name > rest {
        return Err(FrameError::Lengths { id, name });
    }
    let format = format.check()?;
    let text = |r: std::ops::Range<usize>| {
        std::str::from_utf8(&b[r])
            .map(str::to_owned)
            .map_err(|_| FrameError::Utf8)
    };
    let source_id = text(HEADER..HEADER + id)?;
    let source_name = text(HEADER + id..HEADER + id + name)?;
    let pcm = checked_pcm(format, &b[HEADER + id + name..])?;
    Ok(Audio {
        timestamp_ns,
        format,
        source_id,
        source_name,
        pcm,
    })
}

/// A text frame.
pub fn decode_text(text: &str) -> Result<Frame, FrameError> {
    let v: Value = serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
    let kind = v["type"].as_str().unwrap_or_default();
    match kind {
        "start" => Ok(Frame::Start),
        "stop" => Ok(Frame::Stop),
        "heartbeat" => Ok(Frame::Heartbeat),
        "audio_data" => audio_data(&v).map(Frame::Audio),
        other => Err(FrameError::UnknownType(other.chars().take(40).collect())),
    }
}

/// `{timestamp, format: {sampleRate, channels, bitDepth}, sourceId, sourceName, data: hex}`.
fn audio_data(v: &Value) -> Result<Audio, FrameError> {
    let bad = |m: &str| FrameError::AudioData(m.to_string());
    let f = &v["format"];
    let num = |x: &Value, name: &str| {
        x.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad(&format!("format.{name} is not a number")))
    };
    let format = Format {
        sample_rate: num(&f["sampleRate"], "sampleRate")?,
        channels: num(&f["channels"], "channels")?,
        bit_depth: num(&f["bitDepth"], "bitDepth")?,
    }
    .check()?;
    let name = |key: &str| {
        let s = v[key].as_str().unwrap_or_default();
        if s.len() > MAX_NAME {
            return Err(bad(&format!("{key} is longer than {MAX_NAME} bytes")));
        }
        Ok(s.to_string())
    };
    let hex = v["data"]
        .as_str()
        .ok_or_else(|| bad("data is not a string"))?;
    if hex.len() % 2 != 0 {
        return Err(bad("data has an odd number of hex digits"));
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let pcm: Vec<u8> = hex
        .as_bytes()
        .chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("data is not hex"))?;
    let timestamp_ns = v["timestamp"]
        .as_u64()
        .map(|t| t.saturating_mul(1000))
        .unwrap_or(0);
    Ok(Audio {
        timestamp_ns,
        format,
        source_id: name("sourceId")?,
        source_name: name("sourceName")?,
        pcm: checked_pcm(format, &pcm)?,
    })
}

/// Encode a binary frame as the plugin does (tests, benchmarks, the demo voice).
pub fn encode_binary(
    timestamp_ns: u64,
    format: Format,
    id: &str,
    name: &str,
    pcm: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + id.len() + name.len() + pcm.len());
    out.extend(timestamp_ns.to_le_bytes());
    out.extend(format.sample_rate.to_le_bytes());
    out.extend(format.channels.to_le_bytes());
    out.extend(format.bit_depth.to_le_bytes());
    out.extend((id.len() as u32).to_le_bytes());
    out.extend((name.len() as u32).to_le_bytes());
    out.extend(id.as_bytes());
    out.extend(name.as_bytes());
    out.extend(pcm);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STEREO: Format = Format {
        sample_rate: 48_000,
        channels: 2,
        bit_depth: 16,
    };

    #[test]
    fn the_plugins_frames_decode() {
        let pcm: Vec<u8> = (0..4096u32).map(|i| i as u8).collect();
        let b = encode_binary(42, STEREO, "Mic/Aux", "Mic/Aux", &pcm);
        let a = decode_binary(&b).unwrap();
        assert_eq!(
            (a.timestamp_ns, a.format, a.source_id.as_str()),
            (42, STEREO, "Mic/Aux")
        );
        assert_eq!(a.pcm, pcm);

        assert_eq!(
            decode_text(r#"{"type":"start","timestamp":1}"#).unwrap(),
            Frame::Start
        );
        assert_eq!(
            decode_text(r#"{"type":"heartbeat"}"#).unwrap(),
            Frame::Heartbeat
        );
        let t = r#"{"type":"audio_data","timestamp":5,"format":{"sampleRate":16000,"channels":1,"bitDepth":16},"sourceId":"m","sourceName":"Mic","data":"0100ff7f"}"#;
        let Frame::Audio(a) = decode_text(t).unwrap() else {
            panic!()
        };
        assert_eq!((a.pcm, a.timestamp_ns), (vec![1, 0, 0xff, 0x7f], 5000));
    }

    #[test]
    fn lying_frames_are_named() {
        let ok = encode_binary(0, STEREO, "a", "b", &[0; 8]);
        assert_eq!(decode_binary(&ok[..10]), Err(FrameError::Short(10)));
        let mut long_id = ok.clone();
        long_id[20..24].copy_from_slice(&200u32.to_le_bytes());
        assert!(matches!(
            decode_binary(&long_id),
            Err(FrameError::Lengths { .. })
        ));
        let mut rate = ok.clone();
        rate[8..12].copy_from_slice(&500_000u32.to_le_bytes());
        assert!(matches!(decode_binary(&rate), Err(FrameError::Format(_))));
        let mut depth = ok.clone();
        depth[16..20].copy_from_slice(&24u32.to_le_bytes());
        assert!(matches!(decode_binary(&depth), Err(FrameError::Format(_))));
        let bad_utf8 = encode_binary(0, STEREO, "\u{1}", "b", &[0; 8]);
        let mut bad_utf8 = bad_utf8;
        bad_utf8[HEADER] = 0xff;
        assert_eq!(decode_binary(&bad_utf8), Err(FrameError::Utf8));
        let ragged = encode_binary(0, STEREO, "a", "b", &[0; 7]);
        assert!(matches!(
            decode_binary(&ragged),
            Err(FrameError::Ragged { .. })
        ));
        assert!(matches!(decode_text("{"), Err(FrameError::Json(_))));
        assert!(matches!(
            decode_text(r#"{"type":"dance"}"#),
            Err(FrameError::UnknownType(_))
        ));
        let odd = r#"{"type":"audio_data","format":{"sampleRate":16000,"channels":1,"bitDepth":16},"data":"abc"}"#;
        assert!(matches!(decode_text(odd), Err(FrameError::AudioData(_))));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode_binary(&b);
        }

        #[test]
        fn arbitrary_headers_never_panic(
            ts in any::<u64>(), rate in any::<u32>(), ch in any::<u32>(), depth in any::<u32>(),
            id in any::<u32>(), name in any::<u32>(), tail in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut b = Vec::new();
            for v in [rate, ch, depth, id, name] { b.extend(v.to_le_bytes()); }
            let mut f = ts.to_le_bytes().to_vec();
            f.extend(b);
            f.extend(tail);
            if let Ok(a) = decode_binary(&f) {
                prop_assert_eq!(a.pcm.len() % a.format.frame_bytes(), 0);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".{0,300}") {
            let _ = decode_text(&s);
        }
    }
}
