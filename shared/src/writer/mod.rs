//! The writer: content items ([`content`]), their versions with restore and
//! diff ([`versions`]), and the article HTML toolkit every body goes through
//! ([`html`]: sanitiser, readers, generated-article checks, meta fitting).
//!
//! Generation (a job) creates content with [`content::create_content`] and
//! stores (re)generated bodies with [`content::save_body`]; both sanitise,
//! recount words and write the content item and its new version in one
//! transaction. It checks model output first with [`html::validate_article`].

pub mod content;
pub mod generate;
pub mod html;
pub mod image_prompts;
pub mod images;
pub mod versions;
