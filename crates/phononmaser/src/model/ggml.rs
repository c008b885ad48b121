//! A whisper.cpp model file (the ggml layout its loader reads) written from a
//! CTranslate2 Whisper model: hyper-parameters, the mel filterbank, the BPE
//! vocabulary as bytes, then every tensor under whisper.cpp's name with the type it
//! expects (norms, biases and position tables f32; convolutions f16; matrices q8_0).

use super::ct2::Ct2Model;
use super::{mel, ModelError};

const MAGIC: u32 = 0x6767_6d6c;
/// ggml's quantisation version times 1000 plus "mostly q8_0".
const FTYPE_Q8_0: i32 = 2007;
const TYPE_F32: i32 = 0;
const TYPE_F16: i32 = 1;
const TYPE_Q8_0: i32 = 8;
/// Values per q8_0 block.
const QK: usize = 32;

/// How a tensor is stored.
#[derive(Clone, Copy)]
enum Kind {
    F32,
    F16,
    /// A matrix: q8_0.
    Matrix,
}

struct Writer {
    out: Vec<u8>,
    tensors: usize,
}

impl Writer {
    fn i32(&mut self, v: i32) {
        self.out.extend(v.to_le_bytes());
    }

    /// One tensor: `shape` in row-major order (ggml writes it reversed).
    fn tensor(&mut self, name: &str, shape: &[usize], values: &[f32], kind: Kind) {
        debug_assert_eq!(shape.iter().product::<usize>(), values.len(), "{name}");
        let ttype = match kind {
            Kind::F32 => TYPE_F32,
            Kind::F16 => TYPE_F16,
            Kind::Matrix => TYPE_Q8_0,
        };
        self.i32(shape.len() as i32);
        self.i32(name.len() as i32);
        self.i32(ttype);
        for d in shape.iter().rev() {
            self.i32(*d as i32);
        }
        self.out.extend(name.as_bytes());
        match kind {
            Kind::F32 => values.iter().for_each(|v| self.out.extend(v.to_le_bytes())),
            Kind::F16 => values
                .iter()
                .for_each(|v| self.out.extend(half::f16::from_f32(*v).to_le_bytes())),
            Kind::Matrix => quantise_q8_0(values, &mut self.out),
        }
        self.tensors += 1;
    }
}

/// ggml's q8_0: blocks of 32 values as an f16 scale (the largest magnitude / 127)
/// and 32 signed bytes, rounded half away from zero.
fn quantise_q8_0(values: &[f32], out: &mut Vec<u8>) {
    for block in values.chunks(QK) {
        let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let inv = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend(half::f16::from_f32(d).to_le_bytes());
        for i in 0..QK {
            let v = block.get(i).copied().unwrap_or(0.0);
            out.push((v * inv).round() as i8 as u8);
        }
    }
}

/// Whether `bytes` starts like a whisper.cpp model: the magic, then hyper-parameters
/// in the ranges Whisper models have (any size, English or multilingual).
pub fn check_header(bytes: &[u8]) -> Result<(), String> {
    let int = |i: usize| {
        bytes
            .get(4 + 4 * i..8 + 4 * i)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let Some(h) = (0..11).map(int).collect::<Option<Vec<i32>>>() else {
        return Err(format!(
            "{} bytes is too short for a model's header",
            bytes.len()
        ));
    };
    let (vocab, audio_ctx, state, heads, layers, mels) = (h[0], h[1], h[2], h[3], h[4], h[9]);
    let sane = (51_000..=52_000).contains(&vocab)
        && (1..=1500).contains(&audio_ctx)
        && (64..=4096).contains(&state)
        && (1..=64).contains(&heads)
        && (1..=64).contains(&layers)
        && (mels == 80 || mels == 128);
    if !sane {
        return Err(format!("its header is not a Whisper model's (vocabulary {vocab}, width {state}, {layers} layers, {mels} mel bands)"));
    }
    Ok(())
}

/// GPT-2's byte-level BPE shows each byte as a printable character: printable
/// Latin-1 bytes as themselves, the other 68 as U+0100 onwards in byte order. The
/// inverse, so tokens can be written as the bytes they stand for.
fn byte_decoder() -> std::collections::HashMap<char, u8> {
    let printable = |b: u8| (33..=126).contains(&b) || (161..=172).contains(&b) || b >= 174;
    let mut map = std::collections::HashMap::with_capacity(256);
    let mut next = 256u32;
    for b in 0..=255u8 {
        let c = if printable(b) {
            b as u32
        } else {
            next += 1;
            next - 1
        };
        map.insert(char::from_u32(c).expect("a valid code point"), b);
    }
    map
}

/// Count the `layer_<n>` blocks under `side` (`layer_norm` is not one).
fn layers(model: &Ct2Model, side: &str) -> usize {
    let prefix = format!("{side}/layer_");
    let mut seen = std::collections::HashSet::new();
    for name in model.variables.keys() {
        if let Some(rest) = name.strip_prefix(&prefix) {
            if let Some((n, _)) = rest.split_once('/') {
                if let Ok(n) = n.parse::<usize>() {
                    seen.insert(n);
                }
            }
        }
    }
    seen.len()
}

/// Convert: `bin` is `model.bin`'s bytes, `vocabulary` the text of `vocabulary.txt`.
pub fn convert(model: &Ct2Model, bin: &[u8], vocabulary: &str) -> Result<Vec<u8>, ModelError> {
    if model.spec != "WhisperSpec" {
        return Err(ModelError::Format(format!(
            "a {} model, not Whisper",
            model.spec
        )));
    }
    let shape = |name: &str| model.get(name).map(|v| v.dims.clone());
    let emb = shape("decoder/embeddings/weight")?;
    let (n_vocab, n_state) = (emb[0], emb[1]);
    let n_audio_ctx = shape("encoder/position_encodings/encodings")?[0];
    let n_text_ctx = shape("decoder/position_encodings/encodings")?[0];
    let n_mels = shape("encoder/conv1/weight")?[1];
    let (enc_layers, dec_layers) = (layers(model, "encoder"), layers(model, "decoder"));
    if n_state % QK != 0 || enc_layers == 0 || dec_layers == 0 {
        return Err(ModelError::Format(format!(
            "unexpected shape: width {n_state}, {enc_layers} encoder and {dec_layers} decoder layers"
        )));
    }
    let mut w = Writer {
        out: Vec::with_capacity(bin.len() / 2 + (1 << 20)),
        tensors: 0,
    };
    w.out.extend(MAGIC.to_le_bytes());
    for v in [
        n_vocab as i32,
        n_audio_ctx as i32,
        n_state as i32,
        model.int(bin, "encoder/num_heads")? as i32,
        enc_layers as i32,
        n_text_ctx as i32,
        n_state as i32,
        model.int(bin, "decoder/num_heads")? as i32,
        dec_layers as i32,
        n_mels as i32,
        FTYPE_Q8_0,
    ] {
        w.i32(v);
    }

    // The filterbank whisper.cpp computes log-mels with.
    let bins = 201;
    w.i32(n_mels as i32);
    w.i32(bins);
    for v in mel::filterbank(16000.0, 400, n_mels) {
        w.out.extend(v.to_le_bytes());
    }

    // The BPE tokens as bytes, up to `<|endoftext|>`: whisper.cpp names the special
    // tokens itself (and a prompt could otherwise spell one).
    let tokens: Vec<&str> = vocabulary.split('\n').collect();
    let n_text = tokens
        .iter()
        .position(|t| *t == "<|endoftext|>")
        .ok_or_else(|| ModelError::Format("vocabulary.txt has no <|endoftext|>".into()))?;
    let decoder = byte_decoder();
    w.i32(n_text as i32);
    for t in &tokens[..n_text] {
        let bytes: Vec<u8> = t
            .chars()
            .map(|c| decoder.get(&c).copied())
            .collect::<Option<_>>()
            .ok_or_else(|| ModelError::Format(format!("token {t:?} is not byte-level BPE")))?;
        w.out.extend((bytes.len() as u32).to_le_bytes());
        w.out.extend(bytes);
    }

    let f = |name: &str| model.floats(bin, name);
    let s = n_state;
    w.tensor(
        "encoder.positional_embedding",
        &[n_audio_ctx, s],
        &f("encoder/position_encodings/encodings")?,
        Kind::F32,
    );
    for conv in ["conv1", "conv2"] {
        let dims = shape(&format!("encoder/{conv}/weight"))?;
        let weight = f(&format!("encoder/{conv}/weight"))?;
        w.tensor(&format!("encoder.{conv}.weight"), &dims, &weight, Kind::F16);
        let bias = f(&format!("encoder/{conv}/bias"))?;
        w.tensor(&format!("encoder.{conv}.bias"), &[s, 1], &bias, Kind::F32);
    }
    for (side, count) in [("encoder", enc_layers), ("decoder", dec_layers)] {
        for i in 0..count {
            let p = format!("{side}/layer_{i}");
            let g = format!("{side}.blocks.{i}");
            let norm = |w: &mut Writer, from: &str, to: &str| -> Result<(), ModelError> {
                w.tensor(
                    &format!("{g}.{to}.weight"),
                    &[s],
                    &f(&format!("{p}/{from}/gamma"))?,
                    Kind::F32,
                );
                w.tensor(
                    &format!("{g}.{to}.bias"),
                    &[s],
                    &f(&format!("{p}/{from}/beta"))?,
                    Kind::F32,
                );
                Ok(())
            };
            let linear = |w: &mut Writer, from: &str, to: &str| -> Result<(), ModelError> {
                let dims = shape(&format!("{p}/{from}/weight"))?;
                w.tensor(
                    &format!("{g}.{to}.weight"),
                    &dims,
                    &f(&format!("{p}/{from}/weight"))?,
                    Kind::Matrix,
                );
                w.tensor(
                    &format!("{g}.{to}.bias"),
                    &[dims[0]],
                    &f(&format!("{p}/{from}/bias"))?,
                    Kind::F32,
                );
                Ok(())
            };
            // Self-attention: CTranslate2 fuses query, key and value by rows, with a
            // zero key bias whisper.cpp does not have.
            norm(&mut w, "self_attention/layer_norm", "attn_ln")?;
            let qkv = f(&format!("{p}/self_attention/linear_0/weight"))?;
            let qkv_bias = f(&format!("{p}/self_attention/linear_0/bias"))?;
            if qkv.len() != 3 * s * s {
                return Err(ModelError::Format(format!("{p}: unfused attention")));
            }
            let rows = |m: &[f32], r: std::ops::Range<usize>| m[r.start * s..r.end * s].to_vec();
            w.tensor(
                &format!("{g}.attn.query.weight"),
                &[s, s],
                &rows(&qkv, 0..s),
                Kind::Matrix,
            );
            w.tensor(
                &format!("{g}.attn.query.bias"),
                &[s],
                &qkv_bias[..s],
                Kind::F32,
            );
            w.tensor(
                &format!("{g}.attn.key.weight"),
                &[s, s],
                &rows(&qkv, s..2 * s),
                Kind::Matrix,
            );
            w.tensor(
                &format!("{g}.attn.value.weight"),
                &[s, s],
                &rows(&qkv, 2 * s..3 * s),
                Kind::Matrix,
            );
            w.tensor(
                &format!("{g}.attn.value.bias"),
                &[s],
                &qkv_bias[2 * s..],
                Kind::F32,
            );
            linear(&mut w, "self_attention/linear_1", "attn.out")?;
            if side == "decoder" {
                norm(&mut w, "attention/layer_norm", "cross_attn_ln")?;
                linear(&mut w, "attention/linear_0", "cross_attn.query")?;
                let kv = f(&format!("{p}/attention/linear_1/weight"))?;
                let kv_bias = f(&format!("{p}/attention/linear_1/bias"))?;
                if kv.len() != 2 * s * s {
                    return Err(ModelError::Format(format!("{p}: unfused cross-attention")));
                }
                w.tensor(
                    &format!("{g}.cross_attn.key.weight"),
                    &[s, s],
                    &rows(&kv, 0..s),
                    Kind::Matrix,
                );
                w.tensor(
                    &format!("{g}.cross_attn.value.weight"),
                    &[s, s],
                    &rows(&kv, s..2 * s),
                    Kind::Matrix,
                );
                w.tensor(
                    &format!("{g}.cross_attn.value.bias"),
                    &[s],
                    &kv_bias[s..],
                    Kind::F32,
                );
                linear(&mut w, "attention/linear_2", "cross_attn.out")?;
            }
            norm(&mut w, "ffn/layer_norm", "mlp_ln")?;
            linear(&mut w, "ffn/linear_0", "mlp.0")?;
            linear(&mut w, "ffn/linear_1", "mlp.2")?;
        }
        if side == "encoder" {
            w.tensor(
                "encoder.ln_post.weight",
                &[s],
                &f("encoder/layer_norm/gamma")?,
                Kind::F32,
            );
            w.tensor(
                "encoder.ln_post.bias",
                &[s],
                &f("encoder/layer_norm/beta")?,
                Kind::F32,
            );
        }
    }
    w.tensor(
        "decoder.positional_embedding",
        &[n_text_ctx, s],
        &f("decoder/position_encodings/encodings")?,
        Kind::F32,
    );
    w.tensor(
        "decoder.token_embedding.weight",
        &[n_vocab, s],
        &f("decoder/embeddings/weight")?,
        Kind::Matrix,
    );
    w.tensor(
        "decoder.ln.weight",
        &[s],
        &f("decoder/layer_norm/gamma")?,
        Kind::F32,
    );
    w.tensor(
        "decoder.ln.bias",
        &[s],
        &f("decoder/layer_norm/beta")?,
        Kind::F32,
    );
    tracing::debug!(
        tensors = w.tensors,
        bytes = w.out.len(),
        "model converted to ggml"
    );
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q8_0_blocks_are_a_scale_and_rounded_bytes() {
        let mut values = vec![0f32; 32];
        values[0] = 127.0;
        values[1] = -63.5; // half away from zero: -64
        values[2] = 0.4;
        let mut out = Vec::new();
        quantise_q8_0(&values, &mut out);
        assert_eq!(out.len(), 34);
        assert_eq!(half::f16::from_le_bytes([out[0], out[1]]).to_f32(), 1.0);
        assert_eq!(out[2] as i8, 127);
        assert_eq!(out[3] as i8, -64);
        assert_eq!(out[4] as i8, 0);
        // All zeros: a zero scale, zero bytes, no NaN.
        let mut z = Vec::new();
        quantise_q8_0(&[0.0; 32], &mut z);
        assert!(z.iter().all(|b| *b == 0));
    }

    #[test]
    fn a_ggml_header_is_checked_before_whisper_cpp_reads_it() {
        let mut h = MAGIC.to_le_bytes().to_vec();
        for v in [51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, FTYPE_Q8_0] {
            h.extend(v.to_le_bytes());
        }
        assert_eq!(check_header(&h), Ok(()));
        assert!(check_header(&h[..20]).unwrap_err().contains("too short"));
        h[4..8].copy_from_slice(&7i32.to_le_bytes());
        assert!(check_header(&h).unwrap_err().contains("vocabulary 7"));
    }

    #[test]
    fn the_byte_decoder_inverts_gpt2s_printable_bytes() {
        let d = byte_decoder();
        assert_eq!(d.len(), 256);
        assert_eq!(d[&'Ġ'], b' ');
        assert_eq!(d[&'Ċ'], b'\n');
        assert_eq!(d[&'a'], b'a');
        assert_eq!(d[&'\u{ff}'], 255);
    }
}
