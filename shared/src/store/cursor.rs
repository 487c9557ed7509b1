//! Opaque pagination cursors bound to the tenant and the partition queried.
//!
//! A cursor is `base64url(payload) "." base64url(hmac_sha256(payload))`, where
//! the payload holds the account id, the partition key queried and DynamoDB's
//! `LastEvaluatedKey`. A tampered cursor fails the MAC; a cursor of another
//! account or another list fails the binding check. Both are a 400
//! `VALIDATION_ERROR`, never another tenant's page.

use super::keys::Tenant;
use crate::error::AppError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;

type HmacSha256 = Hmac<Sha256>;

/// Derives the cursor-signing key from the platform secret, so a cursor MAC can
/// never be used as a token signature or vice versa.
pub fn derive_key(secret: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(b"igny8/pagination-cursor/v1");
    mac.finalize().into_bytes().to_vec()
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
struct Payload {
    /// account id
    a: String,
    /// partition key value queried
    p: String,
    /// LastEvaluatedKey (all key attributes are strings in this table)
    k: BTreeMap<String, String>,
    /// the list within the partition: index and sort-key condition (keywords
    /// and clusters share a site's partition; one's cursor is not the other's)
    #[serde(default)]
    l: String,
}

fn invalid() -> AppError {
    AppError::field("cursor", "is not a valid cursor for this list; start again without it")
}

pub fn encode(key: &[u8], tenant: &Tenant, pk: &str, list: &str, last_key: BTreeMap<String, String>) -> String {
    let payload = Payload { a: tenant.account_id().to_string(), p: pk.to_string(), k: last_key, l: list.to_string() };
    let bytes = serde_json::to_vec(&payload).unwrap_or_default();
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(&bytes);
    let tag = mac.finalize().into_bytes();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&bytes), URL_SAFE_NO_PAD.encode(tag))
}

pub fn decode(key: &[u8], tenant: &Tenant, pk: &str, list: &str, cursor: &str) -> Result<BTreeMap<String, String>, AppError> {
    let (body, tag) = cursor.split_once('.').ok_or_else(invalid)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(&bytes);
    mac.verify_slice(&tag).map_err(|_| invalid())?;
    let payload: Payload = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if payload.a != tenant.account_id() || payload.p != pk || payload.l != list || !tenant.owns_pk(&payload.p) {
        return Err(invalid());
    }
    // The start key must lie in the partition queried.
    if payload.k.values().all(|v| v != pk) {
        return Err(invalid());
    }
    Ok(payload.k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<u8>, Tenant, BTreeMap<String, String>) {
        let key = derive_key(b"a-long-enough-test-secret-of-32-bytes!!");
        let t = Tenant::from_verified("ACC1");
        let mut k = BTreeMap::new();
        k.insert("PK".to_string(), "ACCT#ACC1".to_string());
        k.insert("SK".to_string(), "JOB#01".to_string());
        (key, t, k)
    }

    #[test]
    fn round_trips_for_the_same_tenant_and_list() {
        let (key, t, k) = sample();
        let c = encode(&key, &t, "ACCT#ACC1", "T|JOB#", k.clone());
        assert_eq!(decode(&key, &t, "ACCT#ACC1", "T|JOB#", &c).unwrap(), k);
    }

    #[test]
    fn a_signed_start_key_outside_the_partition_is_rejected() {
        // Signed with our key for this tenant, partition and list, but its
        // start key names another partition: refused all the same.
        let (key, t, mut k) = sample();
        k.insert("PK".to_string(), "ACCT#ACC1#SITE#OTHER".to_string());
        let c = encode(&key, &t, "ACCT#ACC1", "T|JOB#", k);
        assert!(matches!(decode(&key, &t, "ACCT#ACC1", "T|JOB#", &c), Err(AppError::Validation { .. })));
    }

    #[test]
    fn another_tenant_or_list_is_rejected() {
        let (key, t, k) = sample();
        let c = encode(&key, &t, "ACCT#ACC1", "T|JOB#", k);
        let other = Tenant::from_verified("ACC2");
        assert!(matches!(decode(&key, &other, "ACCT#ACC2", "T|JOB#", &c), Err(AppError::Validation { .. })));
        assert!(matches!(decode(&key, &t, "ACCT#ACC1#SITE#S", "T|JOB#", &c), Err(AppError::Validation { .. })));
        // Same partition, another list in it (another index or sort-key prefix).
        assert!(matches!(decode(&key, &t, "ACCT#ACC1", "T|CL#", &c), Err(AppError::Validation { .. })));
        assert!(matches!(decode(&key, &t, "ACCT#ACC1", "G1|JOB#", &c), Err(AppError::Validation { .. })));
    }

    #[test]
    fn tampering_is_rejected() {
        let (key, t, k) = sample();
        let c = encode(&key, &t, "ACCT#ACC1", "T|JOB#", k);
        let (body, tag) = c.split_once('.').unwrap();
        // Rewrite the payload to point at another account, keep the old tag.
        let mut payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        payload["a"] = "ACC2".into();
        payload["p"] = "ACCT#ACC2".into();
        payload["k"]["PK"] = "ACCT#ACC2".into();
        let forged = format!("{}.{}", URL_SAFE_NO_PAD.encode(payload.to_string()), tag);
        let victim = Tenant::from_verified("ACC2");
        assert!(decode(&key, &victim, "ACCT#ACC2", "T|JOB#", &forged).is_err());
        for junk in ["", ".", "abc", "abc.def", "%%%.***"] {
            assert!(decode(&key, &t, "ACCT#ACC1", "T|JOB#", junk).is_err(), "{junk:?}");
        }
        // A cursor signed with another key (another deployment) is rejected.
        let other_key = derive_key(b"another-secret-another-secret-another");
        assert!(decode(&other_key, &t, "ACCT#ACC1", "T|JOB#", &c).is_err());
    }
}
