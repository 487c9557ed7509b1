#[tokio::main]
async fn main() -> Result<(), igny8::lambda::BootError> {
    igny8::lambda::run_http(igny8::state::Secrets::NotNeeded, igny8_docs::handle).await
}
