//! A real etcd server for tests: Debian's `etcd-server` (`etcd` on the
//! `PATH`, or `ETCD_BIN`), on free loopback ports with a temporary data
//! directory, started and waited for (its "ready to serve client requests"
//! log line), killed and cleaned up when dropped.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How long [`Etcd::start`] waits for readiness.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

const HINT: &str = "install Debian's etcd-server (scripts/interop-setup does) or set ETCD_BIN";

/// A running etcd.
#[derive(Debug)]
pub struct Etcd {
    /// The client endpoint, `127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
    dir: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Etcd {
    /// Starts etcd and waits until it serves clients.
    ///
    /// # Panics
    ///
    /// When etcd is missing, exits, or is not ready within [`READY_TIMEOUT`].
    pub fn start() -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let bin = std::env::var_os("ETCD_BIN").unwrap_or_else(|| "etcd".into());
        let dir = std::env::temp_dir().join(format!(
            "anycall-etcd-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let (client, peer) = (free_port(), free_port());
        let client_url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut child = Command::new(&bin)
            .arg("--name=test")
            .arg(format!("--data-dir={}", dir.display()))
            .arg(format!("--listen-client-urls={client_url}"))
            .arg(format!("--advertise-client-urls={client_url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=test={peer_url}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {HINT}", bin.to_string_lossy()));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Reads the log to its end (etcd must never block on a full pipe);
        // reports readiness once.
        std::thread::spawn(move || {
            let mut tail = Vec::new();
            let mut ready = false;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if !ready {
                    if line.contains("ready to serve client requests") {
                        ready = true;
                        let _ = tx.send(Ok(()));
                    } else {
                        tail.push(line);
                        if tail.len() > 20 {
                            tail.remove(0);
                        }
                    }
                }
            }
            if !ready {
                let _ = tx.send(Err(tail.join("\n")));
            }
        });
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(())) => {}
            Ok(Err(log)) => {
                let _ = child.wait();
                panic!("etcd exited before it was ready:\n{log}");
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("etcd was not ready within {} s", READY_TIMEOUT.as_secs());
            }
        }
        Self {
            endpoint: format!("127.0.0.1:{client}"),
            child,
            dir,
        }
    }

    /// `etcd://ENDPOINT/SERVICE`.
    pub fn target(&self, service: &str) -> String {
        format!("etcd://{}/{service}", self.endpoint)
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
