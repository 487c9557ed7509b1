//! The demo account `cargo xtask dev` seeds (once: a second run finds it and
//! leaves it alone): an owner, a site and a sector.

use anyhow::{Result, anyhow};
use igny8::AppState;
use igny8::accounts::{self, RegisterInput};
use igny8::auth::guard::{Principal, Role};
use igny8::sites::{self, SectorInput, SiteInput};

pub const DEMO_EMAIL: &str = "demo@igny8.local";
pub const DEMO_PASSWORD: &str = "Demo-pass-2026";

pub struct Demo {
    pub created: bool,
    pub account_id: String,
    pub site_id: Option<String>,
    pub sector_id: Option<String>,
    /// The owner, when this run created the account.
    pub owner: Option<Principal>,
}

pub async fn seed(state: &AppState) -> Result<Demo> {
    let input = RegisterInput {
        email: DEMO_EMAIL.into(),
        password: DEMO_PASSWORD.into(),
        name: Some("Demo Owner".into()),
        account_name: Some("Demo Agency".into()),
    };
    let session = match accounts::register(state, input, None).await {
        Ok(s) => s,
        Err(igny8::AppError::Conflict(_)) => {
            let login = accounts::login(state, accounts::LoginInput { email: DEMO_EMAIL.into(), password: DEMO_PASSWORD.into() }, None)
                .await
                .map_err(|e| anyhow!("demo account exists but login failed: {e:?}"))?;
            return Ok(Demo { created: false, account_id: login.account.id, site_id: None, sector_id: None, owner: None });
        }
        Err(e) => return Err(anyhow!("seeding the demo account: {e:?}")),
    };
    // The local mail sender keeps the verification mail in the outbox: verify
    // at once so the demo account has its free credits.
    let tenant = igny8::store::keys::Tenant::from_verified(&session.account.id);
    let mails = igny8::mail::outbox(state, &tenant).await.map_err(|e| anyhow!("demo outbox: {e:?}"))?;
    if let Some(token) = mails.iter().find_map(igny8::mail::verification_token) {
        accounts::verify_email(state, accounts::VerifyEmailInput { token }, None).await.map_err(|e| anyhow!("demo email verification: {e:?}"))?;
    }
    let owner = Principal { user_id: session.user.id.clone(), account_id: session.account.id.clone(), role: Role::Owner, email: DEMO_EMAIL.into(), is_staff: false };
    let site = sites::create_site(
        state,
        &owner,
        SiteInput {
            name: Some("Demo Travel Blog".into()),
            url: Some("https://travel.example.com".into()),
            description: Some("A demo site for the local runtime".into()),
            industry: Some("Travel".into()),
            timezone: None,
            is_active: None,
            version: None,
        },
        None,
    )
    .await
    .map_err(|e| anyhow!("demo site: {e:?}"))?;
    let sector = sites::create_sector(
        state,
        &owner,
        &site.id,
        SectorInput { name: Some("City Breaks".into()), description: Some("Short trips to European cities".into()), is_active: None, version: None },
    )
    .await
    .map_err(|e| anyhow!("demo sector: {e:?}"))?;
    Ok(Demo { created: true, account_id: session.account.id, site_id: Some(site.id), sector_id: Some(sector.id), owner: Some(owner) })
}

/// Connects the demo site to a local WordPress (`cargo xtask dev --wordpress`):
/// the integration, a passing connection test, and the companion plugin's
/// webhook settings pointing at the local API. Returns the integration id.
pub async fn connect_wordpress(state: &AppState, demo: &Demo, wp: &crate::wordpress::WordPress, api_base: &str) -> Result<String> {
    let (Some(owner), Some(site)) = (demo.owner.as_ref(), demo.site_id.as_deref()) else {
        return Err(anyhow!("the demo account already existed: connect its site by hand"));
    };
    let input: igny8::integration::IntegrationInput = serde_json::from_value(serde_json::json!({
        "site_id": site, "platform": "wordpress", "base_url": wp.base_url, "username": wp.username,
        "application_password": wp.application_password, "default_status": "publish", "default_category": "Travel"
    }))?;
    let view = igny8::integration::create(state, owner, input).await.map_err(|e| anyhow!("connecting WordPress: {e:?}"))?;
    let report = igny8::integration::wordpress::test_connection(state, owner, &view.id).await.map_err(|e| anyhow!("testing WordPress: {e:?}"))?;
    if !report.ok {
        return Err(anyhow!("the local WordPress failed its connection test: {:?}", report.checks));
    }
    let endpoint = format!("{api_base}{}", view.webhook_path);
    let secret = view.webhook_secret.clone().unwrap_or_default();
    wp.php(&format!("update_option('igny8_connector_endpoint', '{endpoint}'); update_option('igny8_connector_secret', '{secret}');"))?;
    Ok(view.id)
}
