//! The real WordPress of this test process: started once on first use
//! (packages installed if missing) and stopped with the process (its
//! watchdog notices the process is gone and removes its files).

use std::sync::OnceLock;
pub use xtask::wordpress::{Options, Seo, WordPress};

/// The WordPress every test of this process shares (Yoast stand-in, the
/// companion plugin active).
pub fn shared() -> &'static WordPress {
    static WP: OnceLock<WordPress> = OnceLock::new();
    WP.get_or_init(|| {
        let wp = WordPress::start(&Options::default()).unwrap_or_else(|e| panic!("starting WordPress: {e:#}"));
        eprintln!("WordPress {} started in {:?}", wp.base_url, wp.startup);
        wp
    })
}
