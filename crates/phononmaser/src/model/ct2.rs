//! CTranslate2's `model.bin`, read: a version, the spec name and revision, then each
//! variable (name, dims, dtype, bytes), then aliases. Little-endian, unaligned: data
//! starts at any byte, so values are read with `from_le_bytes`, never cast.

use super::ModelError;
use std::collections::HashMap;
use std::ops::Range;

/// CTranslate2's data types, by their id in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl Dtype {
    fn from_id(id: u8) -> Option<Dtype> {
        Some(match id {
            0 => Dtype::F32,
            1 => Dtype::I8,
            2 => Dtype::I16,
            3 => Dtype::I32,
            4 => Dtype::F16,
            5 => Dtype::Bf16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Dtype::I8 => 1,
            Dtype::I16 | Dtype::F16 | Dtype::Bf16 => 2,
            Dtype::F32 | Dtype::I32 => 4,
        }
    }
}

/// One variable: its shape, type and where its bytes are in the file.
#[derive(Debug, Clone)]
pub struct Variable {
    pub dims: Vec<usize>,
    pub dtype: Dtype,
    pub bytes: Range<usize>,
}

impl Variable {
    /// How many values it holds.
    pub fn count(&self) -> usize {
        self.dims.iter().product()
    }
}

/// A parsed `model.bin`, borrowing nothing: variables point into the caller's bytes.
#[derive(Debug)]
pub struct Ct2Model {
    pub spec: String,
    pub revision: u32,
    pub variables: HashMap<String, Variable>,
}

/// The oldest and newest `model.bin` versions read here (dtype ids came in 4).
const MIN_VERSION: u32 = 4;
const MAX_VERSION: u32 = 6;

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.buf.len());
        let Some(end) = end else {
            return Err(ModelError::Format(format!(
                "the file ends inside {what} (at byte {})",
                self.at
            )));
        };
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, ModelError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A u16 length that counts a trailing NUL, then the bytes and the NUL.
    fn string(&mut self, what: &str) -> Result<String, ModelError> {
        let n = self.u16(what)? as usize;
        let b = self.take(n, what)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        String::from_utf8(b.to_vec())
            .map_err(|_| ModelError::Format(format!("{what} is not UTF-8")))
    }
}

/// Parse `buf` (a whole `model.bin`).
pub fn parse(buf: &[u8]) -> Result<Ct2Model, ModelError> {
    let mut r = Reader { buf, at: 0 };
    let version = r.u32("the version")?;
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Err(ModelError::Format(format!(
            "model.bin version {version}; this reads versions {MIN_VERSION} to {MAX_VERSION}"
        )));
    }
    let spec = r.string("the spec name")?;
    let revision = r.u32("the spec revision")?;
    let count = r.u32("the variable count")? as usize;
    if count > 100_000 {
        return Err(ModelError::Format(format!(
            "{count} variables is not a model"
        )));
    }
    let mut variables = HashMap::with_capacity(count);
    for _ in 0..count {
        let name = r.string("a variable name")?;
        let rank = r.u8("a rank")? as usize;
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(r.u32("a dimension")? as usize);
        }
        let id = r.u8("a dtype")?;
        let dtype = Dtype::from_id(id)
            .ok_or_else(|| ModelError::Format(format!("{name}: unknown dtype {id}")))?;
        let n = r.u32("a byte count")? as usize;
        let start = r.at;
        r.take(n, &name)?;
        let v = Variable {
            dims,
            dtype,
            bytes: start..start + n,
        };
        if v.count() * dtype.size() != n {
            return Err(ModelError::Format(format!(
                "{name}: {n} bytes for shape {:?} of {dtype:?}",
                v.dims
            )));
        }
        variables.insert(name, v);
    }
    // Aliases (the decoder's output projection is its embedding): nothing to keep.
    Ok(Ct2Model {
        spec,
        revision,
        variables,
    })
}

impl Ct2Model {
    pub fn get(&self, name: &str) -> Result<&Variable, ModelError> {
        self.variables
            .get(name)
            .ok_or_else(|| ModelError::Format(format!("model.bin has no {name}")))
    }

    /// A float tensor's values as f32 (f16, bf16 and f32 are read).
    pub fn floats(&self, buf: &[u8], name: &str) -> Result<Vec<f32>, ModelError> {
        let v = self.get(name)?;
        let b = &buf[v.bytes.clone()];
        Ok(match v.dtype {
            Dtype::F16 => b
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::Bf16 => b
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::F32 => b
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            other => {
                return Err(ModelError::Format(format!(
                    "{name} is {other:?}, not floats (int8-quantised models are not read)"
                )))
            }
        })
    }

    /// A scalar integer setting (`encoder/num_heads`).
    pub fn int(&self, buf: &[u8], name: &str) -> Result<i64, ModelError> {
        let v = self.get(name)?;
        let b = &buf[v.bytes.clone()];
        Ok(match (v.dtype, b.len()) {
            (Dtype::I8, 1) => b[0] as i8 as i64,
            (Dtype::I16, 2) => i16::from_le_bytes([b[0], b[1]]) as i64,
            (Dtype::I32, 4) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => return Err(ModelError::Format(format!("{name} is not an integer"))),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `model.bin` of the given variables, written as CTranslate2 writes one.
    pub fn write(vars: &[(&str, &[usize], u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        let string = |out: &mut Vec<u8>, s: &str| {
            out.extend(((s.len() + 1) as u16).to_le_bytes());
            out.extend(s.as_bytes());
            out.push(0);
        };
        out.extend(6u32.to_le_bytes());
        string(&mut out, "WhisperSpec");
        out.extend(3u32.to_le_bytes());
        out.extend((vars.len() as u32).to_le_bytes());
        for (name, dims, dtype, data) in vars {
            string(&mut out, name);
            out.push(dims.len() as u8);
            for d in *dims {
                out.extend((*d as u32).to_le_bytes());
            }
            out.push(*dtype);
            out.extend((data.len() as u32).to_le_bytes());
            out.extend(data);
        }
        out.extend(0u32.to_le_bytes());
        out
    }

    #[test]
    fn reads_variables_at_odd_offsets_and_refuses_lies() {
        let f16s: Vec<u8> = [1.5f32, -2.0, 0.25]
            .iter()
            .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
            .collect();
        let buf = write(&[
            ("a/heads", &[], 2, 6i16.to_le_bytes().to_vec()),
            ("a/w", &[3], 4, f16s),
        ]);
        let m = parse(&buf).unwrap();
        assert_eq!(m.spec, "WhisperSpec");
        assert_eq!(m.int(&buf, "a/heads").unwrap(), 6);
        assert_eq!(m.floats(&buf, "a/w").unwrap(), vec![1.5, -2.0, 0.25]);
        assert!(m.floats(&buf, "missing").is_err());

        // Cut anywhere: an error naming what was cut, never a panic.
        for cut in 0..buf.len() - 4 {
            assert!(parse(&buf[..cut]).is_err(), "cut at {cut}");
        }
        // A shape that does not match its byte count.
        let bad = write(&[("w", &[4], 4, vec![0; 6])]);
        assert!(matches!(parse(&bad), Err(ModelError::Format(m)) if m.contains("6 bytes")));
    }
}
