#[tokio::main]
async fn main() -> Result<(), igny8::lambda::BootError> {
    igny8::lambda::run_event(igny8::state::Secrets::NotNeeded, igny8_automation_runner::handle_any).await
}
