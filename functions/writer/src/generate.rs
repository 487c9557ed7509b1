//! `/api/v1/writer/content/{id}/generate|regenerate`: the `generate_content` job.

use igny8::ai::function::submit_http;
use igny8::http::Router;
use igny8::writer::generate::GenerateInput;

pub fn routes(r: Router) -> Router {
    r.post("/api/v1/writer/content/{id}/generate", |ctx| async move {
        let (input, dry_run) = GenerateInput::from_request(&ctx, Some(ctx.param("id")?), None, "generate")?;
        submit_http(&ctx, "generate_content", input, dry_run).await
    })
    .post("/api/v1/writer/content/{id}/regenerate", |ctx| async move {
        let (input, dry_run) = GenerateInput::from_request(&ctx, Some(ctx.param("id")?), None, "regenerate")?;
        submit_http(&ctx, "generate_content", input, dry_run).await
    })
}
