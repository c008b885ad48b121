//! Alert media the streamer uploads (images, animated GIF/WebP, WebM video, sounds),
//! kept in `<data dir>/media/` under a name made from their content (`<16 hex of
//! SHA-256>.<ext>`), so an upload of the same file twice is one file and a name
//! never changes meaning: pages may cache it for good.
//!
//! The type is read from the file's first bytes, never from its name or the
//! request's content type; anything else is refused with the list of what is taken.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The largest file taken (a 10 s 1080p WebM fits; a feature film does not).
pub const MAX_MEDIA_BYTES: usize = 10 * 1024 * 1024;

/// A format Landale takes: its extension, MIME type and what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub ext: &'static str,
    pub mime: &'static str,
    pub kind: &'static str,
}

const FORMATS: &[Format] = &[
    Format {
        ext: "png",
        mime: "image/png",
        kind: "image",
    },
    Format {
        ext: "gif",
        mime: "image/gif",
        kind: "image",
    },
    Format {
        ext: "webp",
        mime: "image/webp",
        kind: "image",
    },
    Format {
        ext: "jpg",
        mime: "image/jpeg",
        kind: "image",
    },
    Format {
        ext: "webm",
        mime: "video/webm",
        kind: "video",
    },
    Format {
        ext: "mp3",
        mime: "audio/mpeg",
        kind: "sound",
    },
    Format {
        ext: "ogg",
        mime: "audio/ogg",
        kind: "sound",
    },
    Format {
        ext: "wav",
        mime: "audio/wav",
        kind: "sound",
    },
];

pub const ACCEPTED: &str = "PNG, GIF, WebP, JPEG, WebM, MP3, Ogg or WAV";

fn format(ext: &str) -> Option<Format> {
    FORMATS.iter().copied().find(|f| f.ext == ext)
}

/// What the bytes are, by their signature.
pub fn sniff(b: &[u8]) -> Option<Format> {
    let at = |i: usize, sig: &[u8]| b.len() >= i + sig.len() && &b[i..i + sig.len()] == sig;
    let ext = if at(0, b"\x89PNG\r\n\x1a\n") {
        "png"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "gif"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "webp"
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        "wav"
    } else if at(0, &[0xFF, 0xD8, 0xFF]) {
        "jpg"
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        "webm"
    } else if at(0, b"OggS") {
        "ogg"
    } else if at(0, b"ID3") || (b.len() >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) {
        "mp3"
    } else {
        return None;
    };
    format(ext)
}

/// A stored file's name is 16 lowercase hex digits, a dot and a known extension.
pub fn valid_name(name: &str) -> Option<Format> {
    let (stem, ext) = name.split_once('.')?;
    (stem.len() == 16 && stem.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| format(ext))
        .flatten()
}

pub fn is_image(name: &str) -> bool {
    valid_name(name).is_some_and(|f| f.kind != "sound")
}

pub fn is_sound(name: &str) -> bool {
    valid_name(name).is_some_and(|f| f.kind == "sound")
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} bytes; the limit is {MAX_MEDIA_BYTES} (10 MiB)")]
    TooLarge(usize),
    #[error("not a file Landale takes: send {ACCEPTED}")]
    Unknown,
    #[error("could not store the file: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stored {
    pub name: String,
    pub kind: &'static str,
    pub mime: &'static str,
    pub bytes: u64,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct Media {
    dir: PathBuf,
}

impl Media {
    pub fn new(data_dir: &Path) -> Media {
        Media {
            dir: data_dir.join("media"),
        }
    }

    fn stored(name: String, f: Format, bytes: u64) -> Stored {
        Stored {
            url: format!("/media/{name}"),
            name,
            kind: f.kind,
            mime: f.mime,
            bytes,
        }
    }

    /// Check and keep `bytes`; written to a temporary file first, so a reader never
    /// sees half a file.
    pub async fn save(&self, bytes: &[u8]) -> Result<Stored, MediaError> {
        if bytes.is_empty() {
            return Err(MediaError::Empty);
        }
        if bytes.len() > MAX_MEDIA_BYTES {
            return Err(MediaError::TooLarge(bytes.len()));
        }
        let f = sniff(bytes).ok_or(MediaError::Unknown)?;
        let hash = Sha256::digest(bytes);
        let stem: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("{stem}.{}", f.ext);
        let path = self.dir.join(&name);
        if tokio::fs::metadata(&path).await.is_err() {
            tokio::fs::create_dir_all(&self.dir).await?;
            let tmp = self
                .dir
                .join(format!(".{name}.{}", landale_core::ids::random_hex(4)));
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &path).await?;
        }
        Ok(Media::stored(name, f, bytes.len() as u64))
    }

    /// The path of a stored file, if the name is valid and the file is there.
    pub fn path(&self, name: &str) -> Option<(PathBuf, Format)> {
        let f = valid_name(name)?;
        let p = self.dir.join(name);
        p.is_file().then_some((p, f))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path(name).is_some()
    }

    /// Every stored file, by name.
    pub fn list(&self) -> Vec<Stored> {
        let mut out: Vec<Stored> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let f = valid_name(&name)?;
                let len = e.metadata().ok()?.len();
                Some(Media::stored(name, f, len))
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_their_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap().ext, "png");
        assert_eq!(sniff(b"GIF89a...").unwrap().ext, "gif");
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap().ext, "webp");
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt ").unwrap().kind, "sound");
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]).unwrap().kind, "video");
        assert_eq!(sniff(b"OggS\0").unwrap().ext, "ogg");
        assert_eq!(sniff(b"ID3\x04").unwrap().ext, "mp3");
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_are_checked() {
        assert!(is_image("0123456789abcdef.png"));
        assert!(is_sound("0123456789abcdef.ogg"));
        assert!(!is_image("0123456789abcdef.ogg"));
        assert!(valid_name("../../etc/passwd").is_none());
        assert!(valid_name("0123456789ABCDEF.png").is_none());
        assert!(valid_name("0123456789abcdef.svg").is_none());
    }

    #[tokio::test]
    async fn saves_once_by_content_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let m = Media::new(dir.path());
        let png = b"\x89PNG\r\n\x1a\n0000";
        let a = m.save(png).await.unwrap();
        let b = m.save(png).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.kind, "image");
        assert!(a.url.starts_with("/media/") && a.name.ends_with(".png"));
        assert!(m.exists(&a.name));
        assert_eq!(m.list().len(), 1);
        assert!(matches!(m.save(b"").await, Err(MediaError::Empty)));
        assert!(matches!(m.save(b"hello").await, Err(MediaError::Unknown)));
        let big = vec![0u8; MAX_MEDIA_BYTES + 1];
        assert!(matches!(m.save(&big).await, Err(MediaError::TooLarge(_))));
        assert_eq!(m.list().len(), 1, "nothing refused was kept");
    }
}
