//! `/api/v1/writer/content/{id}/generate|regenerate`: the `generate_content` job.

use igny8::ai::function::submit_http;
use igny8::http::Router;
use igny8::openapi::{Doc, q};
use igny8::ai::function::Submission;
use igny8::writer::generate::GenerateInput;

pub fn routes(r: Router) -> Router {
    r.post("/api/v1/writer/content/{id}/generate", |ctx| async move {
        let (input, dry_run) = GenerateInput::from_request(&ctx, Some(ctx.param("id")?), None, "generate")?;
        submit_http(&ctx, "generate_content", input, dry_run).await
    })
    .doc(
        Doc::new("Write the article (a job, 1 credit per started 500 words, settled on the real count)")
            .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
            .optional_body::<GenerateInput>()
            .query("site_id", q::id(), "The site (or in the body).")
            .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
            .data::<Submission>()
            .also(202),
    )
    .post("/api/v1/writer/content/{id}/regenerate", |ctx| async move {
        let (input, dry_run) = GenerateInput::from_request(&ctx, Some(ctx.param("id")?), None, "regenerate")?;
        submit_http(&ctx, "generate_content", input, dry_run).await
    })
    .doc(
        Doc::new("Rewrite the article or one section (a job, priced like generate)")
            .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
            .optional_body::<GenerateInput>()
            .query("site_id", q::id(), "The site (or in the body).")
            .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
            .data::<Submission>()
            .also(202),
    )
}
