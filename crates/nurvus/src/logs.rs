//! A process's captured output: stdout and stderr line by line into a bounded ring
//! (the oldest line leaves when it is full, counted). Lines longer than [`MAX_LINE`]
//! are split, not lost; invalid UTF-8 is kept readable (replacement characters).

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
}

impl Ring {
    pub fn new(cap: usize) -> Ring {
        Ring {
            lines: VecDeque::with_capacity(cap.min(4096)),
            cap,
            dropped: 0,
            live: broadcast::channel(256).0,
        }
    }

    pub fn push(&mut self, stream: &'static str, text: String) {
        let line = Line {
            at: landale_core::ids::now_iso(),
            stream,
            text,
        };
        let _ = self.live.send(line.clone());
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
}
