//! The token vault: AES-256-GCM in the layout the original system wrote (Elixir's
//! Cloak `AES.GCM` cipher), so its `oauth_tokens` rows
//! decrypt here and ours decrypt there:
//!
//! ```text
//! base64( 0x01 | len(key tag) | key tag "AES.GCM.V1" | IV (12 bytes) | GCM tag (16) | ciphertext )
//! ```
//!
//! with the ASCII string `AES256GCM` as associated data. The key is the base64 of 32
//! random bytes in `CLOAK_SECRET_KEY`. A wrong key or a damaged value is an error
//! that says so, never a panic; no plaintext or key ever reaches a log line.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

const VERSION: u8 = 1;
const KEY_TAG: &[u8] = b"AES.GCM.V1";
const AAD: &[u8] = b"AES256GCM";
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("CLOAK_SECRET_KEY must be the base64 of 32 bytes (got {0}); make one with `openssl rand -base64 32`")]
    BadKey(String),
    #[error("the stored value is not in the vault's format ({0})")]
    Malformed(&'static str),
    #[error("the stored value does not decrypt with this CLOAK_SECRET_KEY (a different key wrote it, or it was altered)")]
    WrongKey,
    #[error("encryption failed")]
    Encrypt,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    /// From `CLOAK_SECRET_KEY` (base64 of 32 bytes).
    pub fn from_base64(key: &str) -> Result<Vault, VaultError> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|_| VaultError::BadKey("not base64".into()))?;
        if bytes.len() != 32 {
            return Err(VaultError::BadKey(format!("{} bytes", bytes.len())));
        }
        let cipher =
            Aes256Gcm::new_from_slice(&bytes).map_err(|_| VaultError::BadKey("rejected".into()))?;
        Ok(Vault { cipher })
    }

    pub fn encrypt(&self, plaintext: &str) -> Result<String, VaultError> {
        let mut iv = [0u8; IV_LEN];
        rand::rng().fill_bytes(&mut iv);
        self.encrypt_with_iv(plaintext, &iv)
    }

    fn encrypt_with_iv(&self, plaintext: &str, iv: &[u8; IV_LEN]) -> Result<String, VaultError> {
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(iv),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: AAD,
                },
            )
            .map_err(|_| VaultError::Encrypt)?;
        // aes-gcm appends the tag; the layout puts it before the ciphertext.
        let (ciphertext, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        let mut blob = Vec::with_capacity(2 + KEY_TAG.len() + IV_LEN + sealed.len());
        blob.push(VERSION);
        blob.push(KEY_TAG.len() as u8);
        blob.extend_from_slice(KEY_TAG);
        blob.extend_from_slice(iv);
        blob.extend_from_slice(tag);
        blob.extend_from_slice(ciphertext);
        Ok(STANDARD.encode(blob))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, VaultError> {
        let blob = STANDARD
            .decode(stored.trim())
            .map_err(|_| VaultError::Malformed("not base64"))?;
        let (&version, rest) = blob.split_first().ok_or(VaultError::Malformed("empty"))?;
        if version != VERSION {
            return Err(VaultError::Malformed("unknown version byte"));
        }
        let (&tag_len, rest) = rest
            .split_first()
            .ok_or(VaultError::Malformed("truncated"))?;
        let tag_len = tag_len as usize;
        if rest.len() < tag_len + IV_LEN + TAG_LEN {
            return Err(VaultError::Malformed("truncated"));
        }
        let (key_tag, rest) = rest.split_at(tag_len);
        if key_tag != KEY_TAG {
            return Err(VaultError::Malformed("unknown key tag"));
        }
        let (iv, rest) = rest.split_at(IV_LEN);
        let (tag, ciphertext) = rest.split_at(TAG_LEN);
        let mut sealed = Vec::with_capacity(ciphertext.len() + TAG_LEN);
        sealed.extend_from_slice(ciphertext);
        sealed.extend_from_slice(tag);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(iv),
                Payload {
                    msg: &sealed,
                    aad: AAD,
                },
            )
            .map_err(|_| VaultError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| VaultError::Malformed("not UTF-8"))
    }
}

/// The key in `<data_dir>/vault.key` (made on first use, readable by the owner
/// only), for setups without `CLOAK_SECRET_KEY`.
pub fn load_or_create_key(data_dir: &std::path::Path) -> Result<Vault, String> {
    let path = data_dir.join("vault.key");
    match std::fs::read_to_string(&path) {
        Ok(k) => Vault::from_base64(&k)
            .map_err(|e| format!("{} is not a vault key: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            let text = STANDARD.encode(key);
            std::fs::create_dir_all(data_dir)
                .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
            write_private(&path, &text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "generated the token vault key (set CLOAK_SECRET_KEY to use your own)");
            Vault::from_base64(&text).map_err(|e| e.to_string())
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    /// Made independently with Python's `cryptography` (AESGCM, key = bytes 0..32,
    /// IV 0f1e2d3c4b5a69788796a5b4, AAD "AES256GCM") and laid out as Cloak does.
    const VECTOR: &str =
        "AQpBRVMuR0NNLlYxDx4tPEtaaXiHlqW0EDnN2ldHCtAgnmIznfwuOprc3tbqIkLHFgewrb3k1Sft18FURX/ZSE0=";
    const PLAIN: &str = "oauth-access-token-abc123";

    #[test]
    fn decrypts_the_fixed_vector_in_the_reference_layout() {
        let v = Vault::from_base64(KEY).unwrap();
        assert_eq!(v.decrypt(VECTOR).unwrap(), PLAIN);
    }

    #[test]
    fn encrypts_to_the_same_bytes_with_the_same_iv() {
        let v = Vault::from_base64(KEY).unwrap();
        let iv: [u8; 12] = [
            0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4,
        ];
        assert_eq!(v.encrypt_with_iv(PLAIN, &iv).unwrap(), VECTOR);
    }

    #[test]
    fn round_trips_with_a_fresh_iv_each_time() {
        let v = Vault::from_base64(KEY).unwrap();
        let a = v.encrypt("refresh-xyz").unwrap();
        let b = v.encrypt("refresh-xyz").unwrap();
        assert_ne!(a, b, "a random IV per value");
        assert_eq!(v.decrypt(&a).unwrap(), "refresh-xyz");
        assert_eq!(v.decrypt(&b).unwrap(), "refresh-xyz");
    }

    #[test]
    fn a_wrong_key_or_damage_is_a_clear_error() {
        let other = Vault::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(other.decrypt(VECTOR), Err(VaultError::WrongKey));
        let v = Vault::from_base64(KEY).unwrap();
        let mut blob = STANDARD.decode(VECTOR).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert_eq!(
            v.decrypt(&STANDARD.encode(&blob)),
            Err(VaultError::WrongKey)
        );
        assert_eq!(v.decrypt("%%%"), Err(VaultError::Malformed("not base64")));
        assert_eq!(
            v.decrypt(&STANDARD.encode([2u8, 1])),
            Err(VaultError::Malformed("unknown version byte"))
        );
        assert_eq!(
            v.decrypt(&STANDARD.encode([1u8, 10, 1])),
            Err(VaultError::Malformed("truncated"))
        );
        assert!(matches!(
            Vault::from_base64("c2hvcnQ="),
            Err(VaultError::BadKey(_))
        ));
        assert!(VaultError::WrongKey
            .to_string()
            .contains("CLOAK_SECRET_KEY"));
    }
}
