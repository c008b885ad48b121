//! The tracker's framing (reference §9.5): an ASCII decimal byte length, one space,
//! then exactly that many bytes of JSON. Frames may share a read or span several;
//! [`Decoder`] gives the same frames whatever the split.
//!
//! Bad input never panics and is rejected with a [`Reject`]:
//! - a length token that is not all digits (`12abc`), or no space after 6 digits:
//!   the decoder resynchronises on the next `<digits> {` and drops what is before it;
//! - a length over [`MAX_FRAME`]: the declared bytes are skipped as they arrive
//!   (never buffered), so the stream stays in step;
//! - a frame whose bytes are not JSON is rejected by the message layer, in step.
//!
//! Only when more than [`MAX_JUNK`] bytes in a row are dropped without a frame is the
//! stream lost ([`Decoded::Lost`]): whatever is sending, it is not the tracker, and the
//! connection closes. Memory held per connection stays under about [`MAX_FRAME`].

/// The largest frame accepted (64 KiB).
pub const MAX_FRAME: usize = 64 * 1024;
/// Bytes dropped in a row, without a good frame, before the stream counts as lost.
pub const MAX_JUNK: usize = 64 * 1024;
/// Digits in the longest valid length token (so a skip is under 1 MB).
const MAX_DIGITS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// The length token was not a number; `dropped` bytes were discarded to resync.
    BadLength { token: String, dropped: usize },
    /// A frame longer than [`MAX_FRAME`]; its bytes are skipped.
    TooLong { length: usize },
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reject::BadLength { token, dropped } => write!(
                f,
                "bad length token {token:?} ({dropped} bytes dropped to find the next frame)"
            ),
            Reject::TooLong { length } => write!(
                f,
                "frame of {length} bytes is over the {MAX_FRAME}-byte cap (skipped)"
            ),
        }
    }
}

impl Reject {
    /// A short name for counting.
    pub fn reason(&self) -> &'static str {
        match self {
            Reject::BadLength { .. } => "bad_length",
            Reject::TooLong { .. } => "too_long",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(Vec<u8>),
    Rejected(Reject),
    /// The stream cannot be resynchronised; close the connection.
    Lost(String),
}

#[derive(Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes of an over-size frame still to skip.
    skip: usize,
    /// Bytes dropped since the last good frame.
    junk: usize,
    lost: bool,
}

fn token_is_digits(t: &[u8]) -> bool {
    !t.is_empty() && t.len() <= MAX_DIGITS && t.iter().all(u8::is_ascii_digit)
}

/// Where the next plausible frame start (`<digits> {`) begins at or after `from`.
fn next_start(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < buf.len() {
        if buf[i].is_ascii_digit() && (i == 0 || !buf[i - 1].is_ascii_digit()) {
            let digits = buf[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let after = i + digits;
            match (buf.get(after), buf.get(after + 1)) {
                (Some(b' '), Some(b'{')) if digits <= MAX_DIGITS => return Some(i),
                // Could still become a start once more bytes arrive.
                (None, _) | (Some(b' '), None) => return Some(i),
                _ => {}
            }
            i = after;
        } else {
            i += 1;
        }
    }
    None
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Bytes held for a frame not yet complete (bounded by about [`MAX_FRAME`]).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feed bytes; get every frame (and rejection) they complete, in order.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Decoded> {
        let mut out = vec![];
        if self.lost {
            return out;
        }
        if self.skip > 0 {
            let n = self.skip.min(bytes.len());
            self.skip -= n;
            bytes = &bytes[n..];
        }
        self.buf.extend_from_slice(bytes);
        loop {
            if self.skip > 0 {
                let n = self.skip.min(self.buf.len());
                self.buf.drain(..n);
                self.skip -= n;
                if self.skip > 0 {
                    break;
                }
            }
            // Whitespace between frames is allowed.
            let ws = self
                .buf
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.buf.drain(..ws);
            if self.buf.is_empty() {
                break;
            }
            let Some(space) = self.buf.iter().position(|b| *b == b' ') else {
                if self.buf.len() > MAX_DIGITS || !token_is_digits(&self.buf) {
                    if !self.resync(&mut out) {
                        break;
                    }
                    continue;
                }
                break; // a length still arriving
            };
            if !token_is_digits(&self.buf[..space]) {
                if !self.resync(&mut out) {
                    break;
                }
                continue;
            }
            let length: usize = std::str::from_utf8(&self.buf[..space])
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(usize::MAX);
            if length > MAX_FRAME {
                out.push(Decoded::Rejected(Reject::TooLong { length }));
                self.buf.drain(..=space);
                self.skip = length;
                continue;
            }
            if self.buf.len() < space + 1 + length {
                break; // the frame is still arriving
            }
            let frame = self.buf[space + 1..space + 1 + length].to_vec();
            self.buf.drain(..space + 1 + length);
            self.junk = 0;
            out.push(Decoded::Frame(frame));
        }
        if self.junk > MAX_JUNK {
            self.lost = true;
            self.buf.clear();
            out.push(Decoded::Lost(format!(
                "{} bytes in a row without a frame: this is not the IronMON tracker's framing",
                self.junk
            )));
        }
        out
    }

    /// Drop the bad token and everything up to the next plausible frame start.
    /// `false` when more bytes are needed to find one.
    fn resync(&mut self, out: &mut Vec<Decoded>) -> bool {
        let token_end = self
            .buf
            .iter()
            .position(|b| *b == b' ')
            .unwrap_or(self.buf.len());
        let token = String::from_utf8_lossy(&self.buf[..token_end.min(16)]).into_owned();
        let start = next_start(&self.buf, 1);
        let dropped = match start {
            Some(s) => s,
            // Keep a short tail: it may be the start of a length.
            None => self.buf.len().saturating_sub(MAX_DIGITS),
        };
        if dropped == 0 {
            return false;
        }
        self.buf.drain(..dropped);
        self.junk += dropped;
        out.push(Decoded::Rejected(Reject::BadLength { token, dropped }));
        start.is_some()
    }
}

/// One frame as the tracker sends it.
pub fn encode(json: &[u8]) -> Vec<u8> {
    let mut v = format!("{} ", json.len()).into_bytes();
    v.extend_from_slice(json);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frames(out: &[Decoded]) -> Vec<Vec<u8>> {
        out.iter()
            .filter_map(|d| match d {
                Decoded::Frame(f) => Some(f.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn frames_in_one_read_and_across_reads() {
        let mut d = Decoder::new();
        let mut stream = encode(br#"{"type":"init"}"#);
        stream.extend(encode(br#"{"type":"seed"}"#));
        let out = d.push(&stream);
        assert_eq!(
            frames(&out),
            vec![
                br#"{"type":"init"}"#.to_vec(),
                br#"{"type":"seed"}"#.to_vec()
            ]
        );
        let one = encode(br#"{"a":1}"#);
        assert!(d.push(&one[..3]).is_empty());
        assert_eq!(frames(&d.push(&one[3..])), vec![br#"{"a":1}"#.to_vec()]);
    }

    #[test]
    fn a_junk_token_is_rejected_and_the_next_frame_still_decodes() {
        let mut d = Decoder::new();
        let mut stream = b"12abc garbage ".to_vec();
        stream.extend(encode(br#"{"ok":true}"#));
        let out = d.push(&stream);
        assert!(
            matches!(&out[0], Decoded::Rejected(Reject::BadLength { token, .. }) if token == "12abc")
        );
        assert_eq!(frames(&out), vec![br#"{"ok":true}"#.to_vec()]);
    }

    #[test]
    fn an_over_size_frame_is_skipped_in_step() {
        let mut d = Decoder::new();
        let big = vec![b'x'; MAX_FRAME + 10];
        let mut stream = encode(&big);
        stream.extend(encode(b"{}"));
        let mut out = vec![];
        for chunk in stream.chunks(1000) {
            out.extend(d.push(chunk));
            assert!(d.buffered() <= 1000 + 16, "skipped bytes are not buffered");
        }
        assert_eq!(
            out[0],
            Decoded::Rejected(Reject::TooLong {
                length: MAX_FRAME + 10
            })
        );
        assert_eq!(frames(&out), vec![b"{}".to_vec()]);
    }

    #[test]
    fn endless_junk_loses_the_stream_without_growing() {
        let mut d = Decoder::new();
        let mut lost = 0;
        for _ in 0..100 {
            let out = d.push(&[b'z'; 4096]);
            lost += out.iter().filter(|o| matches!(o, Decoded::Lost(_))).count();
            assert!(d.buffered() <= 4096 + 8);
        }
        assert_eq!(lost, 1, "lost once, then the decoder takes nothing more");
        assert!(d.push(&encode(b"{}")).is_empty());
    }

    #[test]
    fn some_junk_between_good_frames_is_survived() {
        let mut d = Decoder::new();
        let mut got = 0;
        for _ in 0..100 {
            let mut chunk = vec![b'z'; 4000];
            chunk.extend(encode(b"{}"));
            got += frames(&d.push(&chunk)).len();
        }
        assert_eq!(got, 100);
    }

    proptest! {
        /// Any split of a valid stream decodes to the same frames.
        #[test]
        fn any_split_decodes_the_same(
            bodies in proptest::collection::vec("[ -~]{0,200}", 1..8),
            cuts in proptest::collection::vec(0usize..2000, 0..12),
        ) {
            let mut stream = vec![];
            for b in &bodies {
                stream.extend(encode(format!("{{\"v\":{:?}}}", b).as_bytes()));
            }
            let whole = frames(&Decoder::new().push(&stream));
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            cuts.sort();
            let mut d = Decoder::new();
            let mut got = vec![];
            let mut at = 0;
            for c in cuts.into_iter().chain([stream.len()]) {
                got.extend(frames(&d.push(&stream[at..c])));
                at = c;
            }
            prop_assert_eq!(whole.len(), bodies.len());
            prop_assert_eq!(got, whole);
        }

        /// Arbitrary bytes never panic and stay bounded.
        #[test]
        fn arbitrary_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 0..20)) {
            let mut d = Decoder::new();
            for c in chunks {
                let _ = d.push(&c);
                prop_assert!(d.buffered() <= MAX_FRAME + 3000 + 8);
            }
        }
    }
}
