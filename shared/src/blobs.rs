//! Objects in the assets bucket. Every key starts with the tenant's prefix
//! `accounts/<account_id>/`, built here from a [`Tenant`] (so from a verified
//! token or a job written under one): a caller can only ever name its own
//! objects. Used for large keyword imports (parsed rows handed to the job)
//! and for generated images.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::keys::Tenant;
use aws_sdk_s3::primitives::ByteStream;
use std::time::Duration;

/// The full object key of `rest` in the tenant's prefix.
pub fn object_key(t: &Tenant, rest: &str) -> String {
    format!("accounts/{}/{}", t.account_id(), rest.trim_start_matches('/'))
}

fn bucket(state: &AppState) -> AppResult<&str> {
    state.config.bucket_name.as_deref().ok_or_else(|| AppError::internal("BUCKET_NAME is not configured"))
}

fn s3_err<E: std::error::Error + 'static>(op: &str, e: aws_sdk_s3::error::SdkError<E>) -> AppError {
    AppError::internal(format!("s3 {op}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))
}

/// Stores bytes; returns the object key.
pub async fn put(state: &AppState, t: &Tenant, rest: &str, bytes: Vec<u8>, content_type: &str) -> AppResult<String> {
    let key = object_key(t, rest);
    state
        .s3
        .put_object()
        .bucket(bucket(state)?)
        .key(&key)
        .content_type(content_type)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| s3_err("PutObject", e))?;
    Ok(key)
}

/// Reads an object of the tenant; `None` when it does not exist.
pub async fn get(state: &AppState, t: &Tenant, rest: &str) -> AppResult<Option<Vec<u8>>> {
    let key = object_key(t, rest);
    match state.s3.get_object().bucket(bucket(state)?).key(&key).send().await {
        Ok(out) => {
            let data = out.body.collect().await.map_err(|e| AppError::internal(format!("s3 GetObject body: {e}")))?;
            Ok(Some(data.into_bytes().to_vec()))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(s3_err("GetObject", e)),
    }
}

/// Deletes an object of the tenant (deleting a missing object is fine).
pub async fn delete(state: &AppState, t: &Tenant, rest: &str) -> AppResult<()> {
    let key = object_key(t, rest);
    state.s3.delete_object().bucket(bucket(state)?).key(&key).send().await.map_err(|e| s3_err("DeleteObject", e))?;
    Ok(())
}

/// Deletes every object under `rest_prefix` in the tenant's prefix (e.g. a
/// deleted site's images); returns how many went.
pub async fn delete_prefix(state: &AppState, t: &Tenant, rest_prefix: &str) -> AppResult<usize> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let prefix = object_key(t, rest_prefix);
    let bucket = bucket(state)?;
    let mut removed = 0;
    loop {
        let page = state.s3.list_objects_v2().bucket(bucket).prefix(&prefix).max_keys(1000).send().await.map_err(|e| s3_err("ListObjectsV2", e))?;
        let ids: Vec<ObjectIdentifier> = page.contents().iter().filter_map(|o| o.key()).filter_map(|k| ObjectIdentifier::builder().key(k).build().ok()).collect();
        if ids.is_empty() {
            return Ok(removed);
        }
        removed += ids.len();
        let delete = Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(|e| AppError::internal(format!("s3 delete request: {e}")))?;
        state.s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(|e| s3_err("DeleteObjects", e))?;
    }
}

/// A short-lived presigned GET URL for an object of the tenant.
pub async fn presigned_get(state: &AppState, t: &Tenant, rest: &str, ttl: Duration) -> AppResult<String> {
    let key = object_key(t, rest);
    let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(ttl).map_err(|e| AppError::internal(format!("presigning: {e}")))?;
    let req = state.s3.get_object().bucket(bucket(state)?).key(&key).presigned(config).await.map_err(|e| s3_err("presign GetObject", e))?;
    Ok(req.uri().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_live_under_the_tenants_prefix() {
        let t = Tenant::from_verified("01ACCOUNT");
        assert_eq!(object_key(&t, "imports/job.json"), "accounts/01ACCOUNT/imports/job.json");
        assert_eq!(object_key(&t, "/images/x.png"), "accounts/01ACCOUNT/images/x.png");
    }
}
