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

/// A proxy in front of `upstream` (`127.0.0.1:<port>`) that drops the
/// `Authorization` header of every request — what Apache/CGI does without
/// the `.htaccess` rule that passes it on. Returns its base URL; it runs on
/// the caller's runtime.
pub async fn strip_authorization_proxy(upstream: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the request head.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let head_end = loop {
                    let Ok(n) = client.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let mut out = String::new();
                for line in head.split("\r\n").filter(|l| !l.is_empty()) {
                    let lower = line.to_ascii_lowercase();
                    if lower.starts_with("authorization:") || lower.starts_with("connection:") {
                        continue;
                    }
                    out.push_str(line);
                    out.push_str("\r\n");
                }
                out.push_str("Connection: close\r\n\r\n");
                let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else { return };
                if server.write_all(out.as_bytes()).await.is_err() || server.write_all(&buf[head_end..]).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}
