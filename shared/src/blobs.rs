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

/// The tag every object under a tenant's `imports/` (and a site's
/// `sites/<s>/imports/`) carries: the bucket's
/// lifecycle rule `expire-abandoned-imports` (infra/template.yaml) expires
/// them, so a failed or cancelled import leaves nothing behind for long.
pub const IMPORT_TAG: (&str, &str) = ("igny8-expire", "import");

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

/// The object tagging (`k=v`) of `rest`: objects under `imports/` carry
/// [`IMPORT_TAG`] so the bucket's lifecycle expires the ones left behind.
fn tagging_of(rest: &str) -> Option<String> {
    let rest = rest.trim_start_matches('/');
    let site_import = rest.strip_prefix("sites/").and_then(|r| r.split_once('/')).is_some_and(|(_, r)| r.starts_with(IMPORTS));
    (rest.starts_with(IMPORTS) || site_import).then(|| format!("{}={}", IMPORT_TAG.0, IMPORT_TAG.1))
}

/// The folder of import blobs in a tenant's prefix.
pub const IMPORTS: &str = "imports/";

/// Stores bytes; returns the object key.
pub async fn put(state: &AppState, t: &Tenant, rest: &str, bytes: Vec<u8>, content_type: &str) -> AppResult<String> {
    let key = object_key(t, rest);
    state
        .s3
        .put_object()
        .bucket(bucket(state)?)
        .key(&key)
        .content_type(content_type)
        .set_tagging(tagging_of(rest))
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

/// Deletes the tenant's objects `rests` (parts after the tenant's prefix) with
/// DeleteObjects, up to 1000 per call; deleting a missing object is fine.
pub async fn delete_many(state: &AppState, t: &Tenant, rests: &[String]) -> AppResult<usize> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let bucket = bucket(state)?;
    for chunk in rests.chunks(1000) {
        let ids = chunk
            .iter()
            .map(|r| ObjectIdentifier::builder().key(object_key(t, r)).build().map_err(|e| AppError::internal(format!("s3 object id: {e}"))))
            .collect::<AppResult<Vec<_>>>()?;
        let delete = Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(|e| AppError::internal(format!("s3 delete request: {e}")))?;
        let out = state.s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(|e| s3_err("DeleteObjects", e))?;
        if let Some(e) = out.errors().first() {
            return Err(AppError::internal(format!("s3 DeleteObjects: {} of {} not deleted, e.g. {:?}: {:?}", out.errors().len(), chunk.len(), e.key(), e.message())));
        }
    }
    Ok(rests.len())
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

/// A file the client uploads straight to the bucket (bodies through API
/// Gateway are capped near 4.4 MB once base64-encoded): PUT `bytes` to `url`
/// with exactly `headers`, then hand `object_key` to the route that reads it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Upload {
    pub upload_url: String,
    pub method: &'static str,
    pub headers: std::collections::BTreeMap<String, String>,
    pub object_key: String,
    pub expires_in_secs: u64,
    pub max_bytes: usize,
}

/// Presigns a PUT of a new object under the tenant's `imports/uploads/`
/// (tagged for expiry: an upload never imported goes away by itself).
pub async fn presigned_upload(state: &AppState, t: &Tenant, content_type: &str, ttl: Duration, max_bytes: usize) -> AppResult<Upload> {
    let rest = format!("{IMPORTS}uploads/{}", crate::ids::new_id());
    let key = object_key(t, &rest);
    let tagging = tagging_of(&rest).unwrap_or_default();
    let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(ttl).map_err(|e| AppError::internal(format!("presigning: {e}")))?;
    let req = state
        .s3
        .put_object()
        .bucket(bucket(state)?)
        .key(&key)
        .content_type(content_type)
        .tagging(&tagging)
        .presigned(config)
        .await
        .map_err(|e| s3_err("presign PutObject", e))?;
    let mut headers: std::collections::BTreeMap<String, String> =
        req.headers().filter(|(k, _)| !k.eq_ignore_ascii_case("host")).map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
    headers.insert("content-type".into(), content_type.into());
    headers.insert("x-amz-tagging".into(), tagging);
    Ok(Upload { upload_url: req.uri().to_string(), method: "PUT", headers, object_key: key, expires_in_secs: ttl.as_secs(), max_bytes })
}

/// The part after the tenant's prefix of an uploaded object's key, when the
/// key is one [`presigned_upload`] could have returned to this tenant (so a
/// caller can never read another tenant's or a non-upload object).
pub fn own_upload(t: &Tenant, object_key_: &str) -> AppResult<String> {
    let prefix = object_key(t, &format!("{IMPORTS}uploads/"));
    match object_key_.strip_prefix(&prefix) {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()) => Ok(format!("{IMPORTS}uploads/{id}")),
        _ => Err(AppError::field("object_key", "must be an object_key returned by bulk-import/upload-url/ for this account")),
    }
}

/// Reads an uploaded object of at most `max_bytes`: `None` when it does not
/// exist (never uploaded, or expired), a 413 when it is bigger.
pub async fn get_capped(state: &AppState, t: &Tenant, rest: &str, max_bytes: usize) -> AppResult<Option<Vec<u8>>> {
    let key = object_key(t, rest);
    match state.s3.get_object().bucket(bucket(state)?).key(&key).send().await {
        Ok(out) => {
            if out.content_length().is_some_and(|n| n as u64 > max_bytes as u64) {
                return Err(AppError::PayloadTooLarge { limit: max_bytes });
            }
            let data = out.body.collect().await.map_err(|e| AppError::internal(format!("s3 GetObject body: {e}")))?;
            Ok(Some(data.into_bytes().to_vec()))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(s3_err("GetObject", e)),
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

    #[test]
    fn only_import_blobs_are_tagged_for_expiry() {
        assert_eq!(tagging_of("imports/job.json").as_deref(), Some("igny8-expire=import"));
        assert_eq!(tagging_of("/imports/uploads/01X").as_deref(), Some("igny8-expire=import"));
        assert_eq!(tagging_of("sites/S/imports/job.json").as_deref(), Some("igny8-expire=import"), "a site's import blobs (swept with the site)");
        assert_eq!(tagging_of("sites/S/images/I.png"), None);
        assert_eq!(tagging_of("sites/S/images/imports/I.png"), None);
    }

    #[test]
    fn an_upload_key_must_be_the_tenants_own_upload() {
        let t = Tenant::from_verified("01ACCOUNT");
        assert_eq!(own_upload(&t, "accounts/01ACCOUNT/imports/uploads/01UPLOAD").unwrap(), "imports/uploads/01UPLOAD");
        for bad in [
            "accounts/01OTHER/imports/uploads/01UPLOAD",
            "accounts/01ACCOUNT/sites/S/images/I.png",
            "accounts/01ACCOUNT/imports/uploads/",
            "accounts/01ACCOUNT/imports/uploads/../../01OTHER/x",
            "accounts/01ACCOUNT/imports/01JOB.json",
            "",
        ] {
            assert!(own_upload(&t, bad).is_err(), "{bad:?} accepted");
        }
    }
}
