//! The AI framework: providers behind one trait (OpenAI-compatible chat,
//! Runware and OpenAI images, and an offline provider for keyless local runs).

pub mod function;
pub mod offline;
pub mod openai;
pub mod provider;
pub mod rate;
pub mod runware;

use crate::config::AiConfig;
use provider::{ChatProvider, Gate, ImageProvider, RetryPolicy};
use std::sync::Arc;

/// The providers a worker uses, built from configuration.
#[derive(Clone)]
pub struct Providers {
    pub chat: Arc<dyn ChatProvider>,
    pub images: Arc<dyn ImageProvider>,
}

impl Providers {
    /// The configured providers, without a request budget.
    pub fn from_config(c: &AiConfig) -> Self {
        Self::from_config_gated(c, Gate::default())
    }

    /// The configured providers; every HTTP request they make (chat and
    /// images, first tries and retries) goes through `gate`.
    pub fn from_config_gated(c: &AiConfig, gate: Gate) -> Self {
        let policy = RetryPolicy { timeout: std::time::Duration::from_secs(c.timeout_secs), ..RetryPolicy::default() };
        let key = |k: &Option<String>| k.clone().unwrap_or_default();
        let chat: Arc<dyn ChatProvider> = match c.chat_provider.as_str() {
            "openai" => Arc::new(
                openai::OpenAiChat::new(&c.openai_base_url, &key(&c.openai_api_key), &c.openai_model, policy.clone()).with_gate(gate.clone()),
            ),
            _ => Arc::new(offline::OfflineChat::new()),
        };
        let images: Arc<dyn ImageProvider> = match c.image_provider.as_str() {
            "runware" => Arc::new(runware::RunwareImages::new(&c.runware_base_url, &key(&c.runware_api_key), &c.runware_model, policy).with_gate(gate)),
            "openai" => Arc::new(openai::OpenAiImages::new(&c.openai_base_url, &key(&c.openai_api_key), &c.openai_image_model, policy).with_gate(gate)),
            _ => Arc::new(offline::OfflineImages::new()),
        };
        Self { chat, images }
    }
}
