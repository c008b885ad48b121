//! A process's captured output: stdout and stderr line by line into a bounded ring
//! (the oldest line leaves when it is full, counted). Lines longer than [`MAX_LINE`]
//! are split, not lost; invalid UTF-8 is kept readable (replacement characters).
//! With `log_file` set, every line is also appended to that file, which is rotated
//! (`file.1` … `file.N`) when it would pass `log_max_bytes`, so disk use is bounded too.

use crate::config::LogFile;
use serde::Serialize;
use std::collections::VecDeque;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::broadcast;

pub const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub at: String,
    pub stream: &'static str,
    pub text: String,
}

pub struct Ring {
    lines: VecDeque<Line>,
    cap: usize,
    pub dropped: u64,
    /// Live followers (`logs -f`); a slow follower misses lines, it never slows the child.
    pub live: broadcast::Sender<Line>,
    file: Option<Sink>,
}

/// The log file being appended to.
struct Sink {
    conf: LogFile,
    out: std::fs::File,
    written: u64,
}

impl Sink {
    fn open(conf: &LogFile) -> std::io::Result<Sink> {
        if let Some(dir) = conf.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&conf.path)?;
        let written = out.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Sink {
            conf: conf.clone(),
            out,
            written,
        })
    }

    fn rotated(&self, n: u32) -> std::path::PathBuf {
        let mut p = self.conf.path.clone().into_os_string();
        p.push(format!(".{n}"));
        p.into()
    }

    fn write(&mut self, line: &Line) -> std::io::Result<()> {
        use std::io::Write;
        let text = format!("{} {} {}\n", line.at, line.stream, line.text);
        if self.written > 0 && self.written + text.len() as u64 > self.conf.max_bytes {
            for n in (1..self.conf.keep).rev() {
                let _ = std::fs::rename(self.rotated(n), self.rotated(n + 1));
            }
            if self.conf.keep > 0 {
                std::fs::rename(&self.conf.path, self.rotated(1))?;
            } else {
                std::fs::remove_file(&self.conf.path)?;
            }
            *self = Sink::open(&self.conf)?;
        }
        self.out.write_all(text.as_bytes())?;
        self.written += text.len() as u64;
        Ok(())
    }
}

impl Ring {
    pub fn new(cap: usize) -> Ring {
        Ring {
            lines: VecDeque::with_capacity(cap.min(4096)),
            cap,
            dropped: 0,
            live: broadcast::channel(256).0,
            file: None,
        }
    }

    /// Also append every line to `conf`'s file. A file that cannot be opened is said
    /// in the ring and nurvus goes on without it.
    pub fn with_file(mut self, conf: Option<&LogFile>) -> Ring {
        if let Some(conf) = conf {
            match Sink::open(conf) {
                Ok(sink) => self.file = Some(sink),
                Err(e) => self.push(
                    "nurvus",
                    format!(
                        "cannot write {}: {e}; logs kept in memory only",
                        conf.path.display()
                    ),
                ),
            }
        }
        self
    }

    pub fn push(&mut self, stream: &'static str, text: String) {
        let line = Line {
            at: landale_core::ids::now_iso(),
            stream,
            text,
        };
        let _ = self.live.send(line.clone());
        if let Some(sink) = &mut self.file {
            if let Err(e) = sink.write(&line) {
                let path = sink.conf.path.display().to_string();
                self.file = None;
                self.push("nurvus", format!("stopped writing {path}: {e}"));
            }
        }
        if self.lines.len() >= self.cap {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    /// The last `n` lines, oldest first.
    pub fn tail(&self, n: usize) -> Vec<Line> {
        self.lines
            .iter()
            .skip(self.lines.len().saturating_sub(n))
            .cloned()
            .collect()
    }
}

/// Read `from` to its end, pushing each line into `ring`.
pub async fn capture(
    mut from: impl AsyncRead + Unpin,
    stream: &'static str,
    ring: std::sync::Arc<std::sync::Mutex<Ring>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let flush = |line: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(line)
            .trim_end_matches('\r')
            .to_string();
        line.clear();
        if let Ok(mut r) = ring.lock() {
            r.push(stream, text);
        }
    };
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                flush(&mut line);
            } else {
                line.push(b);
                if line.len() >= MAX_LINE {
                    flush(&mut line);
                }
            }
        }
    }
    if !line.is_empty() {
        flush(&mut line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn lines_are_split_bounded_and_readable() {
        let ring = Arc::new(Mutex::new(Ring::new(3)));
        let mut input = b"one\ntwo\r\n".to_vec();
        input.extend(vec![b'x'; MAX_LINE + 10]);
        input.extend(b"\n\xff\xfebad\nlast");
        capture(&input[..], "stdout", ring.clone()).await;
        let r = ring.lock().unwrap();
        let texts: Vec<String> = r.tail(10).into_iter().map(|l| l.text).collect();
        assert_eq!(texts.len(), 3);
        assert_eq!(
            texts[0],
            "x".repeat(10),
            "a long line is split, its end kept"
        );
        assert_eq!(texts[1], "\u{fffd}\u{fffd}bad");
        assert_eq!(texts[2], "last");
        assert_eq!(
            r.dropped, 3,
            "one, two and the first half of the long line left the ring"
        );
    }

    #[test]
    fn a_log_file_is_rotated_at_its_cap_and_keeps_n_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/app.log");
        let conf = LogFile {
            path: path.clone(),
            max_bytes: 4096,
            keep: 2,
        };
        let mut ring = Ring::new(10).with_file(Some(&conf));
        for i in 0..1000 {
            ring.push("stdout", format!("line {i:04} {}", "x".repeat(40)));
        }
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let rotated = |n: u32| dir.path().join(format!("logs/app.log.{n}"));
        assert!(size(&path) <= 4096 && size(&rotated(1)) <= 4096 && size(&rotated(2)) <= 4096);
        assert!(size(&rotated(1)) > 3000, "rotation happens near the cap");
        assert!(!rotated(3).exists(), "only two rotated files are kept");
        let now = std::fs::read_to_string(&path).unwrap();
        let older = std::fs::read_to_string(rotated(1)).unwrap();
        assert!(now
            .trim_end()
            .ends_with(&format!("line 0999 {}", "x".repeat(40))));
        let first_now = now.lines().next().unwrap();
        let last_older = older.lines().last().unwrap();
        let num = |l: &str| l.split(' ').nth(3).unwrap().parse::<u32>().unwrap();
        assert_eq!(
            num(last_older) + 1,
            num(first_now),
            "no line lost at a rotation"
        );
    }

    #[test]
    fn an_unwritable_log_file_is_said_and_memory_goes_on() {
        let conf = LogFile {
            path: "/proc/nope/app.log".into(),
            max_bytes: 4096,
            keep: 1,
        };
        let mut ring = Ring::new(10).with_file(Some(&conf));
        ring.push("stdout", "kept".into());
        let lines: Vec<String> = ring.tail(10).into_iter().map(|l| l.text).collect();
        assert!(
            lines[0].starts_with("cannot write /proc/nope/app.log"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "kept");
    }
}
