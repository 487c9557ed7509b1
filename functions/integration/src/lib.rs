//! `/api/v1/integration/…`: a site's WordPress connection (create, change,
//! delete; the application password sealed with KMS and never returned),
//! its connection test and its sync log. Viewers read, admins write.

use igny8::AppState;
use igny8::auth::guard::{Access, require};
use igny8::envelope::{Reply, Removed};
use igny8::http::{Router, dispatch};
use igny8::integration::publish::{self, PublishInput};
use igny8::integration::scheduled::{self, BatchScheduled, PublishBatchInput, ScheduledPublish};
use igny8::integration::synclog::SyncLog;
use igny8::jobs::Job;
use igny8::integration::wordpress::{self, TestReport};
use igny8::integration::{self, IntegrationInput, IntegrationView};
use igny8::openapi::{Doc, q};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "integration";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .guarded(Access::ViewerOrAbove, Access::AdminOrAbove)
            .get("/api/v1/integration/integrations", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(integration::list(&ctx.state, &p, ctx.query("site_id"), limit, cursor).await?))
            })
            .doc(Doc::new("The account's integrations (WordPress connections)").query("site_id", q::id(), "Only this site's.").list_of::<IntegrationView>())
            .post("/api/v1/integration/integrations", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: IntegrationInput = ctx.json()?;
                Ok(Reply::created(integration::create(&ctx.state, &p, input).await?))
            })
            .doc(
                Doc::new("Connect a site to its WordPress (one per site)")
                    .describe("The application password is encrypted at rest (KMS envelope encryption) and never returned: answers show its last 4 characters. A second WordPress integration for the same site is a 409.")
                    .body::<IntegrationInput>()
                    .body_example(json!({"site_id": "01J0000000000000000000000A", "platform": "wordpress", "base_url": "https://blog.example.com", "username": "editor", "application_password": "abcd efgh ijkl mnop qrst uvwx", "default_status": "draft"}))
                    .data::<IntegrationView>()
                    .status(201),
            )
            .get("/api/v1/integration/integrations/{id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(IntegrationView::from(&integration::get(&ctx.state, &p, ctx.param("id")?).await?)))
            })
            .doc(Doc::new("One integration").data::<IntegrationView>())
            .patch("/api/v1/integration/integrations/{id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: IntegrationInput = ctx.json()?;
                Ok(Reply::ok(IntegrationView::from(&integration::update(&ctx.state, &p, ctx.param("id")?, input).await?)))
            })
            .doc(Doc::new("Change an integration (send the `version` you saw; stale: 409)").body::<IntegrationInput>().data::<IntegrationView>())
            .delete("/api/v1/integration/integrations/{id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let id = ctx.param("id")?;
                integration::delete(&ctx.state, &p, id).await?;
                Ok(Reply::ok(Removed::new(id)).message("integration deleted"))
            })
            .doc(Doc::new("Delete an integration (the site may then connect another)").data::<Removed>())
            .post("/api/v1/integration/integrations/{id}/test-connection", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                Ok(Reply::ok(wordpress::test_connection(&ctx.state, &p, ctx.param("id")?).await?))
            })
            .doc(
                Doc::new("Test the connection: a list of checks, each {check, ok, detail, fix}")
                    .describe("reachable, rest_api (/wp-json/ or ?rest_route=), application_passwords, authenticated (users/me?context=edit), capabilities (publish_posts, upload_files), wordpress_version, seo_plugin (Yoast or Rank Math meta keys), companion_plugin. Credentials refused: the integration needs attention until a test passes.")
                    .data::<TestReport>(),
            )
            .post("/api/v1/integration/integrations/{id}/publish", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let input: PublishInput = ctx.json()?;
                Ok(Reply::accepted(publish::submit(&ctx.state, &p, ctx.param("id")?, input).await?))
            })
            .access(Access::EditorOrAbove)
            .doc(
                Doc::new("Publish a content item to the integration's WordPress (a job)")
                    .describe("Creates or updates the post (title, body, excerpt, slug, status, categories and tags by name, SEO meta for Yoast or Rank Math, the igny8_content_id meta); a republish updates the same post. Follow the job at /api/v1/jobs/{id}/. An integration that needs attention refuses (409) until a connection test passes. `status: future` with `date` (local to the site's time zone, or with an offset) schedules the publish: a one-time EventBridge Scheduler schedule sends the job's message at that minute (not WP-cron); the job stays queued until then and the schedule is listed at …/scheduled/. A past date is a 400 on `date`.")
                    .body::<PublishInput>()
                    .body_example(json!({"content_id": "01J0000000000000000000000B", "status": "draft", "categories": ["Guides"], "tags": ["running", "shoes"]}))
                    .data::<Job>()
                    .status(202),
            )
            .post("/api/v1/integration/integrations/{id}/publish-batch", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let input: PublishBatchInput = ctx.json()?;
                Ok(Reply::created(scheduled::submit_batch(&ctx.state, &p, ctx.param("id")?, input).await?))
            })
            .access(Access::EditorOrAbove)
            .doc(
                Doc::new("Schedule several content items, one every interval from a start time")
                    .describe("`start` is a local date-time read in `timezone` (default: the site's time zone, else UTC) or an instant with an offset; `every_minutes` or `interval` (ISO-8601: PT2H, P1D) spaces the items. Whole-day intervals keep the local time across daylight-saving changes. Each item gets a one-time EventBridge Scheduler schedule that publishes it at its minute; all or nothing.")
                    .body::<PublishBatchInput>()
                    .body_example(json!({"content_ids": ["01J0000000000000000000000B", "01J0000000000000000000000C"], "start": "2026-12-03T09:00", "every_minutes": 120, "timezone": "Europe/Berlin"}))
                    .data::<BatchScheduled>()
                    .status(201),
            )
            .get("/api/v1/integration/integrations/{id}/scheduled", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(scheduled::list(&ctx.state, &p, ctx.param("id")?, limit, cursor).await?))
            })
            .doc(Doc::new("The integration's scheduled publishes, newest first (scheduled, cancelled, published, failed)").list_of::<ScheduledPublish>())
            .delete("/api/v1/integration/integrations/{id}/scheduled/{schedule_id}", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                Ok(Reply::ok(scheduled::cancel(&ctx.state, &p, ctx.param("id")?, ctx.param("schedule_id")?).await?).message("scheduled publish cancelled"))
            })
            .access(Access::EditorOrAbove)
            .doc(
                Doc::new("Cancel a scheduled publish")
                    .describe("Cancels its queued job, deletes its EventBridge Scheduler schedule and records who cancelled it. A publish already under way (its minute came) is a 409.")
                    .data::<ScheduledPublish>(),
            )
            .post("/api/v1/integration/integrations/{id}/sync", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                Ok(Reply::accepted(igny8::integration::webhook::submit_sync(&ctx.state, &p, ctx.param("id")?).await?))
            })
            .access(Access::EditorOrAbove)
            .doc(
                Doc::new("Pull the posts modified in WordPress since the last sync (a job)")
                    .describe("Every page of posts modified since the last sync (any status); each IGNY8 post edited in WordPress becomes a new version (source wordpress), or a conflict version when the item has an unpublished local edit. Posts we published that WordPress no longer has (or has in the trash) mark their content's publication wp_status deleted (or trash), logged; our content is never deleted. Every category and tag is imported (…/terms/). Runs daily on its own schedule too.")
                    .data::<Job>()
                    .status(202),
            )
            .get("/api/v1/integration/integrations/{id}/terms", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(igny8::integration::webhook::list_terms(&ctx.state, &p, ctx.param("id")?, ctx.query("taxonomy"), limit, cursor).await?))
            })
            .doc(
                Doc::new("The WordPress site's categories and tags (imported by each sync, cached by publishing), by taxonomy and name")
                    .query("taxonomy", q::one_of(&["categories", "tags"]), "Only this taxonomy.")
                    .list_of::<igny8::integration::publish::WpTerm>(),
            )
            .post("/api/v1/integration/integrations/{id}/rotate-webhook-secret", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                Ok(Reply::ok(integration::rotate_webhook_secret(&ctx.state, &p, ctx.param("id")?).await?))
            })
            .doc(Doc::new("Replace the webhook secret (the answer shows the new one, once)").data::<IntegrationView>())
            .post("/api/v1/integration/webhooks/{integration_id}", |ctx| async move {
                Ok(Reply::accepted(igny8::integration::webhook::receive(&ctx.state, ctx.param("integration_id")?, &ctx.headers, &ctx.body).await?))
            })
            .public()
            .doc(
                Doc::new("A signed webhook from the IGNY8 Connector plugin (post saved, status changed, deleted)")
                    .describe("Headers X-IGNY8-Timestamp (epoch seconds, within 5 minutes), X-IGNY8-Delivery (unique id; repeats are acknowledged and ignored) and X-IGNY8-Signature: sha256=HMAC-SHA256(webhook secret, timestamp + \".\" + body), hex. A valid delivery queues a pull of that post (202).")
                    .body::<igny8::integration::webhook::WebhookEvent>()
                    .data::<igny8::integration::webhook::WebhookAck>()
                    .status(202),
            )
            .get("/api/v1/integration/integrations/{id}/logs", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                let i = integration::get(&ctx.state, &p, ctx.param("id")?).await?;
                Ok(Reply::ok(integration::synclog::list(&ctx.state, &p.tenant(), &i.id, limit, cursor).await?))
            })
            .doc(Doc::new("The integration's sync log, newest first").list_of::<SyncLog>())
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
