//! `/api/v1/planner/keywords/…`: CRUD, filters, bulk status/delete, import.

use igny8::AppError;
use igny8::auth::guard::{Access, require};
use igny8::envelope::Reply;
use igny8::http::{RequestCtx, Router};
use igny8::openapi::{Doc, q};
use igny8::planner::keywords::{BulkResult, Imported, Keyword};
use igny8::envelope::Removed;
use igny8::planner::keywords::{self, KeywordFilter, KeywordInput, KeywordStatus};
use igny8::sites::Scope;
use serde::Deserialize;
use serde_json::Value;

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(ctx: &RequestCtx, name: &str, what: &str) -> Result<Option<T>, AppError> {
    match ctx.query(name) {
        None => Ok(None),
        Some(v) => {
            let json = v.parse::<Value>().unwrap_or_else(|_| Value::String(v.to_string()));
            serde_json::from_value(json).map(Some).map_err(|_| AppError::field(name, what))
        }
    }
}

/// Difficulty is a percentage (found by schemathesis: `?min_difficulty=200` was accepted).
fn difficulty(name: &str, d: u8) -> Result<u8, AppError> {
    if d > 100 { Err(AppError::field(name, "must be from 0 to 100")) } else { Ok(d) }
}

pub(crate) async fn scope(ctx: &RequestCtx, access: Access, body_site: Option<&str>, body_sector: Option<&str>) -> Result<Scope, AppError> {
    let p = require(ctx, access).await?;
    let site = ctx.query("site_id").or(body_site);
    let sector = ctx.query("sector_id").or(body_sector);
    keywords::scope_for(&ctx.state, &p, site, sector).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct KeywordBulkInput {
    #[serde(default)]
    site_id: Option<String>,
    ids: Vec<String>,
    #[serde(default)]
    status: Option<KeywordStatus>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct KeywordImportInput {
    #[serde(default)]
    site_id: Option<String>,
    #[serde(default)]
    sector_id: Option<String>,
    #[serde(default)]
    rows: Option<Vec<Value>>,
    #[serde(default)]
    csv: Option<String>,
    /// A file uploaded through `bulk-import/upload-url/`.
    #[serde(default)]
    object_key: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UploadUrlInput {
    #[serde(default)]
    site_id: Option<String>,
    #[serde(default)]
    sector_id: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
}

/// Largest keyword file accepted through a presigned upload.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// How long a presigned upload URL stays valid.
pub const UPLOAD_URL_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

pub fn routes(r: Router) -> Router {
    r
        .get("/api/v1/planner/keywords", |ctx| async move {
            let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
            let (limit, cursor) = ctx.page_params()?;
            let f = KeywordFilter {
                status: parse(&ctx, "status", "must be one of new, clustered, in_use, archived")?,
                cluster_id: ctx.query("cluster_id").map(str::to_string),
                intent: parse(&ctx, "intent", "must be one of informational, navigational, commercial, transactional")?,
                min_volume: parse(&ctx, "min_volume", "must be a whole number")?,
                max_volume: parse(&ctx, "max_volume", "must be a whole number")?,
                min_difficulty: parse::<u8>(&ctx, "min_difficulty", "must be from 0 to 100")?.map(|d| difficulty("min_difficulty", d)).transpose()?,
                max_difficulty: parse::<u8>(&ctx, "max_difficulty", "must be from 0 to 100")?.map(|d| difficulty("max_difficulty", d)).transpose()?,
                search: ctx.query("search").map(str::to_string),
                newest_first: match ctx.query("ordering") {
                    None | Some("created_at") => false,
                    Some("-created_at") => true,
                    Some(_) => return Err(AppError::field("ordering", "must be created_at or -created_at")),
                },
            };
            Ok(Reply::ok(keywords::list(&ctx.state, &s, &f, limit, cursor).await?))
        })
        .doc(
            Doc::new("The sector's (or site's) keywords, with filters")
                .scoped()
                .query("status", q::one_of(&["new", "clustered", "in_use", "archived"]), "")
                .query("cluster_id", q::id(), "Only this cluster's keywords.")
                .query("intent", q::one_of(&["informational", "navigational", "commercial", "transactional"]), "")
                .query("min_volume", q::int(0, i64::from(u32::MAX)), "")
                .query("max_volume", q::int(0, i64::from(u32::MAX)), "")
                .query("min_difficulty", q::int(0, 100), "")
                .query("max_difficulty", q::int(0, 100), "")
                .query("search", q::string(), "Substring of the keyword.")
                .query("ordering", q::one_of(&["created_at", "-created_at"]), "")
                .list_of::<Keyword>(),
        )
        .post("/api/v1/planner/keywords", |ctx| async move {
            let input: KeywordInput = ctx.json()?;
            let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
            Ok(Reply::created(keywords::create(&ctx.state, &s, input).await?))
        })
        .doc(
            Doc::new("Add a keyword")
                .scoped()
                .body::<KeywordInput>()
                .body_example(serde_json::json!({"site_id": "01JD0000000000000000000000", "sector_id": "01JD0000000000000000000001", "keyword": "weekend in lisbon", "volume": 1900, "difficulty": 34}))
                .data::<Keyword>()
                .status(201),
        )
        .post("/api/v1/planner/keywords/bulk-import", |ctx| async move {
            let is_json = ctx
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
            let mut uploaded = None;
            let (parsed, body_site, body_sector) = if is_json {
                let input: KeywordImportInput = ctx.json()?;
                let parsed = match (input.rows, input.csv, input.object_key) {
                    (Some(rows), None, None) => igny8::planner::import::parse_json_rows(&rows),
                    (None, Some(csv), None) => igny8::planner::import::parse_file(csv.as_bytes()).map_err(|e| AppError::field("csv", e.to_string()))?,
                    (None, None, Some(key)) => {
                        // Only the caller's own uploads, and only once the caller is known.
                        let p = require(&ctx, Access::EditorOrAbove).await?;
                        let rest = igny8::blobs::own_upload(&p.tenant(), &key)?;
                        let bytes = igny8::blobs::get_capped(&ctx.state, &p.tenant(), &rest, MAX_UPLOAD_BYTES)
                            .await?
                            .ok_or_else(|| AppError::NotFound("no uploaded file at object_key (never uploaded, or expired)".into()))?;
                        uploaded = Some((p.tenant(), rest));
                        igny8::planner::import::parse_file(&bytes).map_err(|e| AppError::field("object_key", e.to_string()))?
                    }
                    _ => return Err(AppError::field("rows", "send one of rows (JSON objects), csv (text) or object_key (an uploaded file)")),
                };
                (parsed, input.site_id, input.sector_id)
            } else {
                let bytes = igny8::http::upload::file(&ctx.headers, &ctx.body)?;
                let parsed = igny8::planner::import::parse_file(&bytes).map_err(|e| AppError::field("file", e.to_string()))?;
                (parsed, None, None)
            };
            let s = scope(&ctx, Access::EditorOrAbove, body_site.as_deref(), body_sector.as_deref()).await?;
            let imported = keywords::import(&ctx.state, &s, parsed).await?;
            if let Some((tenant, rest)) = uploaded {
                // Imported (or handed to a job with its own copy): the upload is done with.
                // Should this fail, the bucket's lifecycle rule removes it.
                if let Err(e) = igny8::blobs::delete(&ctx.state, &tenant, &rest).await {
                    tracing::warn!(error = ?e, "could not delete an imported upload");
                }
            }
            Ok(match imported {
                keywords::Imported::Done(report) => Reply::ok(report),
                queued @ keywords::Imported::Queued(_) => Reply::accepted(queued).message("a big file: importing as a job; follow it at /api/v1/jobs/{id}/"),
            })
        })
        .uploads()
        .doc(
            Doc::new("Import keywords: a file (multipart `file`, or a raw CSV/TSV/text/XLSX body) or JSON rows, csv text or an uploaded object_key")
                .describe("Small files import within the request (200 with the report); big ones become an `import_keywords` job (202 with the job).")
                .scoped()
                .upload::<KeywordImportInput>()
                .data::<Imported>()
                .also(202),
        )
        .post("/api/v1/planner/keywords/bulk-import/upload-url", |ctx| async move {
            let input: UploadUrlInput = ctx.json()?;
            let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
            if s.sector.is_none() {
                return Err(AppError::field("sector_id", "is required"));
            }
            let content_type = input.content_type.unwrap_or_else(|| "application/octet-stream".into());
            if content_type.is_empty() || content_type.len() > 127 || !content_type.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                return Err(AppError::field("content_type", "must be a media type such as text/csv"));
            }
            let upload = igny8::blobs::presigned_upload(&ctx.state, &s.tenant, &content_type, UPLOAD_URL_TTL, MAX_UPLOAD_BYTES).await?;
            Ok(Reply::ok(upload).message("PUT the file to upload_url with these headers, then POST {object_key, site_id, sector_id} to bulk-import/"))
        })
        .doc(
            Doc::new("A presigned S3 PUT for a keyword file too big for a request body (15 minutes, up to 64 MiB)")
                .scoped()
                .body::<UploadUrlInput>()
                .data::<igny8::blobs::Upload>(),
        )
        .post("/api/v1/planner/keywords/bulk-update-status", |ctx| async move {
            let input: KeywordBulkInput = ctx.json()?;
            let status = input.status.ok_or_else(|| AppError::field("status", "is required"))?;
            let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
            Ok(Reply::ok(keywords::bulk_status(&ctx.state, &s, &input.ids, status).await?))
        })
        .doc(Doc::new("Set the status of many keywords").scoped().body::<KeywordBulkInput>().data::<BulkResult>())
        .post("/api/v1/planner/keywords/bulk-delete", |ctx| async move {
            let input: KeywordBulkInput = ctx.json()?;
            let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
            Ok(Reply::ok(keywords::bulk_delete(&ctx.state, &s, &input.ids).await?))
        })
        .doc(Doc::new("Delete many keywords").scoped().body::<KeywordBulkInput>().data::<BulkResult>())
        .get("/api/v1/planner/keywords/{id}", |ctx| async move {
            let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
            Ok(Reply::ok(keywords::get(&ctx.state, &s, ctx.param("id")?).await?))
        })
        .doc(Doc::new("One keyword").scoped().data::<Keyword>())
        .patch("/api/v1/planner/keywords/{id}", |ctx| async move {
            let input: KeywordInput = ctx.json()?;
            let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
            Ok(Reply::ok(keywords::update(&ctx.state, &s, ctx.param("id")?, input).await?))
        })
        .doc(Doc::new("Change a keyword").scoped().body::<KeywordInput>().data::<Keyword>())
        .delete("/api/v1/planner/keywords/{id}", |ctx| async move {
            let s = scope(&ctx, Access::EditorOrAbove, None, None).await?;
            let id = ctx.param("id")?;
            keywords::delete(&ctx.state, &s, id).await?;
            Ok(Reply::ok(Removed::new(id)).message("keyword deleted"))
        })
        .doc(Doc::new("Delete a keyword").scoped().data::<Removed>())
}
