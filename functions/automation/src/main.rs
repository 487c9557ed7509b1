#[tokio::main]
async fn main() -> Result<(), igny8::lambda::BootError> {
    igny8::lambda::run_http(igny8::state::Secrets::Required, igny8_automation::handle).await
}
