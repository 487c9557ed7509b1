//! Envelope encryption of integration credentials: KMS `GenerateDataKey`
//! (AES-256) under the stack's secrets key gives a fresh data key per secret;
//! the secret is sealed with AES-256-GCM under it (the account, integration
//! and purpose as associated data, so a sealed value copied onto another
//! item does not open), and only the KMS-encrypted data key is stored beside
//! it. Opening is one KMS `Decrypt` (with the same encryption context).
//! The plaintext data key never leaves memory.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A sealed secret as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sealed {
    /// The data key, encrypted by KMS (base64 CiphertextBlob).
    pub key: String,
    /// AES-GCM nonce (base64, 12 bytes).
    pub nonce: String,
    /// Ciphertext and tag (base64).
    pub data: String,
}

/// What binds a sealed value to its place (KMS encryption context and AEAD
/// associated data).
pub struct Binding<'a> {
    pub account_id: &'a str,
    pub integration_id: &'a str,
    pub purpose: &'a str,
}

impl Binding<'_> {
    fn context(&self) -> HashMap<String, String> {
        HashMap::from([
            ("igny8:account".to_string(), self.account_id.to_string()),
            ("igny8:integration".to_string(), self.integration_id.to_string()),
            ("igny8:purpose".to_string(), self.purpose.to_string()),
        ])
    }
    fn aad(&self) -> Vec<u8> {
        format!("{}|{}|{}", self.account_id, self.integration_id, self.purpose).into_bytes()
    }
}

fn key_id(state: &AppState) -> AppResult<&str> {
    state.config.secrets_key_id.as_deref().ok_or_else(|| AppError::internal("SECRETS_KEY_ID is not configured: integration credentials cannot be encrypted"))
}

fn seal_with(data_key: &[u8], nonce: [u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> AppResult<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, data_key).map_err(|_| AppError::internal("bad data key length"))?);
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut buf).map_err(|_| AppError::internal("seal failed"))?;
    Ok(buf)
}

fn open_with(data_key: &[u8], nonce: [u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> AppResult<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, data_key).map_err(|_| AppError::internal("bad data key length"))?);
    let mut buf = sealed.to_vec();
    let plain = key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut buf).map_err(|_| AppError::internal("a sealed credential does not open"))?;
    Ok(plain.to_vec())
}

/// Seals `plaintext` under a fresh KMS data key.
pub async fn seal(state: &AppState, binding: &Binding<'_>, plaintext: &str) -> AppResult<Sealed> {
    let out = state
        .kms
        .generate_data_key()
        .key_id(key_id(state)?)
        .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
        .set_encryption_context(Some(binding.context()))
        .send()
        .await
        .map_err(|e| AppError::internal(format!("KMS GenerateDataKey: {}", aws_sdk_kms::error::DisplayErrorContext(&e))))?;
    let (Some(plain_key), Some(blob)) = (out.plaintext(), out.ciphertext_blob()) else {
        return Err(AppError::internal("KMS GenerateDataKey returned no key"));
    };
    let mut nonce = [0u8; NONCE_LEN];
    rand::Rng::fill(&mut rand::rng(), &mut nonce[..]);
    let data = seal_with(plain_key.as_ref(), nonce, &binding.aad(), plaintext.as_bytes())?;
    Ok(Sealed { key: B64.encode(blob.as_ref()), nonce: B64.encode(nonce), data: B64.encode(data) })
}

/// Opens a sealed secret (one KMS `Decrypt`).
pub async fn open(state: &AppState, binding: &Binding<'_>, sealed: &Sealed) -> AppResult<String> {
    let bad = || AppError::internal("a sealed credential is malformed");
    let blob = B64.decode(&sealed.key).map_err(|_| bad())?;
    let nonce: [u8; NONCE_LEN] = B64.decode(&sealed.nonce).map_err(|_| bad())?.try_into().map_err(|_| bad())?;
    let data = B64.decode(&sealed.data).map_err(|_| bad())?;
    let out = state
        .kms
        .decrypt()
        .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(blob))
        .set_encryption_context(Some(binding.context()))
        .send()
        .await
        .map_err(|e| AppError::internal(format!("KMS Decrypt: {}", aws_sdk_kms::error::DisplayErrorContext(&e))))?;
    let key = out.plaintext().ok_or_else(|| AppError::internal("KMS Decrypt returned no key"))?;
    let plain = open_with(key.as_ref(), nonce, &binding.aad(), &data)?;
    String::from_utf8(plain).map_err(|_| bad())
}

/// `••••` and the last 4 characters: how a secret is shown.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_gcm_round_trip_is_bound_to_its_place() {
        let key = [7u8; 32];
        let nonce = [1u8; NONCE_LEN];
        let sealed = seal_with(&key, nonce, b"a|i|wp", b"abcd efgh ijkl").unwrap();
        assert_ne!(&sealed[..14], b"abcd efgh ijkl");
        assert_eq!(open_with(&key, nonce, b"a|i|wp", &sealed).unwrap(), b"abcd efgh ijkl");
        assert!(open_with(&key, nonce, b"other|i|wp", &sealed).is_err(), "another account's item does not open it");
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert!(open_with(&key, nonce, b"a|i|wp", &tampered).is_err());
    }

    #[test]
    fn masks_show_the_last_four_characters_only() {
        assert_eq!(mask("abcd EFGH ijkl MNOP qrst UVWX"), "••••UVWX");
        assert_eq!(mask("ab"), "••••ab");
    }
}
