//! A real WordPress on 127.0.0.1, started and stopped by us (the tests, and
//! `cargo xtask dev --wordpress` later): Debian's `wordpress` package run by
//! `php -S` (several workers) over a private MariaDB instance in a temporary
//! directory, installed by WordPress's own `wp_install()`, with an admin
//! user, an application password and the companion plugin
//! (`integrations/wordpress/igny8-connector/`) active.
//!
//! Nothing is installed by hand: [`ensure_packages`] installs the Debian
//! packages when they are missing (as root, once, idempotently).
//!
//! The instance's files are a hard-linked copy of `/usr/share/wordpress`
//! (no bytes copied; WordPress never writes its core files) with our own
//! `wp-config.php` and `wp-content/`. `WP_ENVIRONMENT_TYPE` is `local`, so
//! Application Passwords work over plain http. The database and the PHP
//! server run under a shell watchdog that stops both when the process that
//! started them goes away, like the emulator.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's package puts WordPress.
pub const WORDPRESS_DIR: &str = "/usr/share/wordpress";

/// The Debian packages a local WordPress needs.
pub const PACKAGES: &[&str] = &[
    "wordpress",
    // WordPress 6.1's default theme, so posts render as pages too.
    "wordpress-theme-twentytwentythree",
    "php-cli",
    "php-mysql",
    "php-gd",
    "php-mbstring",
    "php-xml",
    "php-curl",
    "php-intl",
    "mariadb-server",
];

/// Where Debian's theme package puts the default theme.
pub const THEMES_DIR: &str = "/usr/share/wordpress/wp-content/themes";

/// The admin user every instance has.
pub const ADMIN_USER: &str = "admin";
/// Its login password (which never works for REST Basic auth: only the
/// application password does).
pub const ADMIN_LOGIN_PASSWORD: &str = "igny8-login-password";

/// Which SEO plugin the instance pretends to have. Neither Yoast nor Rank
/// Math is obtainable offline: a must-use plugin registers their post meta
/// keys (and REST namespace) the way they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seo {
    None,
    Yoast,
    RankMath,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct Options {
    pub seo: Seo,
    /// Activate the companion plugin.
    pub companion: bool,
    /// `php -S` workers (`PHP_CLI_SERVER_WORKERS`).
    pub workers: u8,
}

impl Default for Options {
    fn default() -> Self {
        Self { seo: Seo::Yoast, companion: true, workers: 4 }
    }
}

/// A running WordPress.
pub struct WordPress {
    /// `http://127.0.0.1:<port>`
    pub base_url: String,
    pub port: u16,
    pub username: String,
    /// An application password of the admin (display form, with spaces).
    pub application_password: String,
    pub user_id: u64,
    /// How long [`WordPress::start`] took.
    pub startup: Duration,
    dir: PathBuf,
    watchdog: Child,
}

fn have(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {cmd} >/dev/null 2>&1")).status().is_ok_and(|s| s.success())
}

fn packages_present() -> bool {
    Path::new(WORDPRESS_DIR).join("wp-settings.php").is_file()
        && Path::new(THEMES_DIR).join("twentytwentythree").join("style.css").exists()
        && have("php")
        && have("mariadbd")
        && have("mariadb-install-db")
        && Command::new("php").args(["-r", "exit(extension_loaded('mysqli') && extension_loaded('gd') ? 0 : 1);"]).status().is_ok_and(|s| s.success())
}

/// Installs WordPress, PHP and MariaDB from Debian's packages when any is
/// missing. Runs `apt-get` under a lock, so parallel test processes install
/// once.
pub fn ensure_packages() -> Result<()> {
    if packages_present() {
        return Ok(());
    }
    let script = format!(
        "exec 9>/tmp/igny8-apt.lock; flock 9; \
         if [ ! -f {WORDPRESS_DIR}/wp-settings.php ] || [ ! -e {THEMES_DIR}/twentytwentythree/style.css ] || ! command -v mariadbd >/dev/null || ! php -m 2>/dev/null | grep -qi mysqli; then \
           export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends {}; \
         fi",
        PACKAGES.join(" ")
    );
    let out = Command::new("sh").arg("-c").arg(&script).output().context("running apt-get")?;
    if !out.status.success() || !packages_present() {
        bail!(
            "could not install {} (run as root on Debian): {}",
            PACKAGES.join(" "),
            String::from_utf8_lossy(&out.stderr).lines().rev().take(5).collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(())
}

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("{what} did not come up within {timeout:?}")
}

fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

const ROUTER_PHP: &str = r#"<?php
// php -S router: real files are served as they are, everything else is
// WordPress's front controller (pretty permalinks and /wp-json/ work).
$root = $_SERVER['DOCUMENT_ROOT'];
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path !== '/' && is_file($root . $path)) {
    if (substr($path, -4) === '.php') {
        $_SERVER['SCRIPT_NAME'] = $path;
        $_SERVER['SCRIPT_FILENAME'] = $root . $path;
        require $root . $path;
        return true;
    }
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
require $root . '/index.php';
"#;

const INSTALL_PHP: &str = r#"<?php
// Installs WordPress with its own wp_install() and prints what the caller needs.
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$r = wp_install('IGNY8 local', $argv[2], 'admin@example.com', true, '', $argv[3]);
// Pretty permalinks (php -S routes every non-file path to index.php), with
// the rewrite rules regenerated for them.
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);
$uid = $r['user_id'];
$plugins = array();
if (is_file(WP_PLUGIN_DIR . '/igny8-connector/igny8-connector.php')) {
    $res = activate_plugin('igny8-connector/igny8-connector.php');
    if (is_wp_error($res)) { fwrite(STDERR, $res->get_error_message()); exit(2); }
    $plugins[] = 'igny8-connector';
}
$app = WP_Application_Passwords::create_new_application_password($uid, array('name' => 'igny8'));
if (is_wp_error($app)) { fwrite(STDERR, $app->get_error_message()); exit(3); }
echo json_encode(array('user_id' => $uid, 'application_password' => WP_Application_Passwords::chunk_password($app[0]), 'plugins' => $plugins)), "\n";
"#;

const YOAST_MU: &str = r#"<?php
/* Plugin Name: Yoast SEO stand-in (tests): its REST namespace and post meta keys. */
add_action('init', function () {
    foreach (array('_yoast_wpseo_title', '_yoast_wpseo_metadesc', '_yoast_wpseo_focuskw') as $k) {
        register_post_meta('post', $k, array('type' => 'string', 'single' => true, 'show_in_rest' => true,
            'auth_callback' => function () { return current_user_can('edit_posts'); }));
    }
});
add_action('rest_api_init', function () {
    register_rest_route('yoast/v1', '/ping', array('methods' => 'GET', 'permission_callback' => '__return_true',
        'callback' => function () { return array('ok' => true); }));
});
"#;

const RANK_MATH_MU: &str = r#"<?php
/* Plugin Name: Rank Math stand-in (tests): its REST namespace and post meta keys. */
add_action('init', function () {
    foreach (array('rank_math_title', 'rank_math_description', 'rank_math_focus_keyword') as $k) {
        register_post_meta('post', $k, array('type' => 'string', 'single' => true, 'show_in_rest' => true,
            'auth_callback' => function () { return current_user_can('edit_posts'); }));
    }
});
add_action('rest_api_init', function () {
    register_rest_route('rankmath/v1', '/ping', array('methods' => 'GET', 'permission_callback' => '__return_true',
        'callback' => function () { return array('ok' => true); }));
});
"#;

/// Copies a directory tree (the companion plugin) file by file.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The companion plugin's source in the repository.
pub fn companion_plugin_dir() -> PathBuf {
    crate::repo_root().join("integrations").join("wordpress").join("igny8-connector")
}

impl WordPress {
    /// Installs the packages if needed and starts a fresh WordPress on a free port.
    pub fn start(opts: &Options) -> Result<Self> {
        ensure_packages()?;
        let started = Instant::now();
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("igny8-wp-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let wp = dir.join("wp");
        let db = dir.join("db");
        // Core files: hard links (same file system) or, failing that, a copy.
        let linked = Command::new("cp").arg("-al").arg(WORDPRESS_DIR).arg(&wp).status().is_ok_and(|s| s.success());
        if !linked {
            let _ = std::fs::remove_dir_all(&wp);
            let ok = Command::new("cp").arg("-a").arg(WORDPRESS_DIR).arg(&wp).status().is_ok_and(|s| s.success());
            if !ok {
                bail!("could not copy {WORDPRESS_DIR}");
            }
        }
        // Never write through a hard link: remove, then create.
        for f in ["wp-config.php", ".htaccess"] {
            let _ = std::fs::remove_file(wp.join(f));
        }
        let _ = std::fs::remove_dir_all(wp.join("wp-content"));
        for d in ["plugins", "mu-plugins", "uploads"] {
            std::fs::create_dir_all(wp.join("wp-content").join(d))?;
        }
        // The packaged themes (read only: hard links, or symlinks).
        let themes = wp.join("wp-content").join("themes");
        if !Command::new("cp").arg("-al").arg(THEMES_DIR).arg(&themes).status().is_ok_and(|s| s.success()) {
            let _ = std::fs::remove_dir_all(&themes);
            Command::new("cp").arg("-aL").arg(THEMES_DIR).arg(&themes).status().context("copying the themes")?;
        }
        if opts.companion && companion_plugin_dir().is_dir() {
            copy_tree(&companion_plugin_dir(), &wp.join("wp-content/plugins/igny8-connector"))?;
        }
        match opts.seo {
            Seo::None => {}
            Seo::Yoast => std::fs::write(wp.join("wp-content/mu-plugins/yoast-standin.php"), YOAST_MU)?,
            Seo::RankMath => std::fs::write(wp.join("wp-content/mu-plugins/rank-math-standin.php"), RANK_MATH_MU)?,
        }
        std::fs::write(dir.join("router.php"), ROUTER_PHP)?;
        std::fs::write(dir.join("install.php"), INSTALL_PHP)?;

        // The database: a private MariaDB on a Unix socket, no TCP.
        let sock = dir.join("my.sock");
        let small = ["--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M"];
        let out = Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", db.display()))
            .args(["--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(small)
            .output()
            .context("mariadb-install-db")?;
        if !out.status.success() {
            bail!("mariadb-install-db failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let port = crate::free_port()?;
        let base_url = format!("http://127.0.0.1:{port}");
        let config = format!(
            r#"<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{sock}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_HOME', '{base_url}');
define('WP_SITEURL', '{base_url}');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('WP_CONTENT_URL', '{base_url}/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('FS_METHOD', 'direct');
define('AUTH_KEY', '{k}a'); define('SECURE_AUTH_KEY', '{k}b'); define('LOGGED_IN_KEY', '{k}c'); define('NONCE_KEY', '{k}d');
define('AUTH_SALT', '{k}e'); define('SECURE_AUTH_SALT', '{k}f'); define('LOGGED_IN_SALT', '{k}g'); define('NONCE_SALT', '{k}h');
$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"#,
            sock = sock.display(),
            k = uuid::Uuid::new_v4().simple(),
        );
        std::fs::write(wp.join("wp-config.php"), config)?;

        // Watchdog: start both servers; stop them when our process is gone
        // or when we are told to (TERM).
        let script = format!(
            "mariadbd --no-defaults --datadir={db} --socket={sock} --skip-networking --user=root {small} \
               --pid-file={dir}/my.pid --log-error={dir}/mariadb.log >/dev/null 2>&1 & m=$!; \
             PHP_CLI_SERVER_WORKERS={workers} php -S 127.0.0.1:{port} -t {wp} {dir}/router.php >{dir}/php.log 2>&1 & p=$!; \
             stop() {{ pkill -TERM -P $p 2>/dev/null; kill $p $m 2>/dev/null; wait; rm -rf {dir}; }}; \
             trap 'stop; exit 0' TERM INT; \
             while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null && kill -0 $p 2>/dev/null; do sleep 1; done; \
             stop",
            db = sh_quote(&db),
            sock = sh_quote(&sock),
            small = small.join(" "),
            dir = sh_quote(&dir),
            wp = sh_quote(&wp),
            workers = opts.workers.max(1),
            parent = std::process::id(),
        );
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting mariadbd and php -S")?;
        let mut this = WordPress {
            base_url,
            port,
            username: ADMIN_USER.into(),
            application_password: String::new(),
            user_id: 0,
            startup: Duration::ZERO,
            dir: dir.clone(),
            watchdog,
        };
        wait_for("MariaDB", Duration::from_secs(30), || sock.exists())?;
        let out = Command::new("mariadb")
            .args(["--no-defaults", "-uroot"])
            .arg(format!("--socket={}", sock.display()))
            .args(["-e", "CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4"])
            .output()
            .context("mariadb client")?;
        if !out.status.success() {
            bail!("creating the database failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let out = Command::new("php")
            .arg(dir.join("install.php"))
            .arg(&wp)
            .arg(ADMIN_USER)
            .arg(ADMIN_LOGIN_PASSWORD)
            .output()
            .context("php install.php")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().rev().find(|l| l.starts_with('{')).unwrap_or_default();
        let info: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("wp_install() said: {stdout} {}", String::from_utf8_lossy(&out.stderr)))?;
        this.application_password = info["application_password"].as_str().unwrap_or_default().to_string();
        this.user_id = info["user_id"].as_u64().unwrap_or(1);
        wait_for("php -S", Duration::from_secs(30), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())?;
        this.startup = started.elapsed();
        Ok(this)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The instance's directory (logs: `php.log`, `mariadb.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs PHP inside the instance (WordPress loaded): its standard output.
    /// For tests that change WordPress behind our back (an edit made in the
    /// admin, a plugin setting).
    pub fn php(&self, code: &str) -> Result<String> {
        let script = self.dir.join(format!("eval-{}.php", uuid::Uuid::new_v4().simple()));
        let body = format!(
            "<?php\n$_SERVER['HTTP_HOST'] = '127.0.0.1';\n$_SERVER['REQUEST_URI'] = '/';\nrequire {wp:?} . '/wp-load.php';\n{code}\n",
            wp = self.dir.join("wp").display().to_string()
        );
        std::fs::write(&script, body)?;
        let out = Command::new("php").arg(&script).output().context("php")?;
        let _ = std::fs::remove_file(&script);
        if !out.status.success() {
            bail!("php failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg(self.watchdog.id().to_string()).status();
        let _ = self.watchdog.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for WordPress {
    fn drop(&mut self) {
        self.stop();
    }
}
