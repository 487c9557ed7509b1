//! The AWS emulator: a moto server on 127.0.0.1, started and stopped by us,
//! through `xtask/moto_server.py` (moto with DynamoDB operations serialised,
//! as DynamoDB's transactions are isolated and moto's are not).
//!
//! The server runs under a tiny shell watchdog that kills it when the process
//! that started it goes away, so a crashed test run or a killed `cargo xtask
//! dev` never leaves an emulator behind.

use anyhow::{Context, Result, bail};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Emulator {
    pub port: u16,
    child: Child,
}

impl Emulator {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Installs the tools if needed and starts moto on a free port.
    pub fn start() -> Result<Self> {
        crate::pytools::ensure()?;
        let port = crate::free_port()?;
        let python = crate::pytools::bin("python");
        let launcher = crate::repo_root().join("xtask").join("moto_server.py");
        // The watchdog: start moto, then poll the parent pid; when it is gone, stop moto.
        let script = format!(
            "'{}' '{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
             trap 'kill $m 2>/dev/null; exit 0' TERM INT; \
             while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1; done; kill $m 2>/dev/null",
            python.display(),
            launcher.display(),
            parent = std::process::id()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting moto_server")?;
        let emu = Emulator { port, child };
        emu.wait_ready(Duration::from_secs(60))?;
        Ok(emu)
    }

    fn wait_ready(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("moto server did not start on port {} within {:?}", self.port, timeout)
    }

    pub fn stop(&mut self) {
        // SIGTERM the watchdog; its trap stops moto.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
