//! Test pieces: a component served in-process from a temp folder, a fake
//! Framed Thrift server, Thrift messages of the interop IDL, peer processes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anycall_codec::call::{self, Reply};
use anycall_codec::thrift::Protocol;
use anycall_codec::{Limits, Options};
use anycall_dapr::{Component, Stats};
use anycall_idl::Pool;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

use crate::daprd::Daprd;

/// A fresh folder under the system temp dir, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "anycall-dapr-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A component serving in this process.
pub(crate) struct Running {
    pub(crate) socket: PathBuf,
    pub(crate) stats: Stats,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), anycall_dapr::Error>>>,
    pub(crate) dir: TempDir,
}

impl Running {
    pub(crate) async fn start() -> Self {
        Self::start_in(TempDir::new()).await
    }

    pub(crate) async fn start_in(dir: TempDir) -> Self {
        let component = Component::builder()
            .socket_folder(&dir.0)
            .drain_timeout(Duration::from_secs(5))
            .bind()
            .await
            .expect("bind");
        let socket = component.socket_path().to_owned();
        let stats = component.stats();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(component.serve_with_shutdown(async move {
            let _ = rx.await;
        }));
        Self {
            socket,
            stats,
            stop: Some(tx),
            task: Some(task),
            dir,
        }
    }

    pub(crate) async fn daprd(&self) -> Daprd {
        Daprd::connect(&self.socket).await
    }

    /// Sends the shutdown signal and waits for the server to end.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(15), task)
                .await
                .expect("component stops within 15 s")
                .expect("task")
                .expect("serve");
        }
    }

    pub(crate) fn begin_stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    pub(crate) async fn join(mut self) {
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(15), task)
                .await
                .expect("component stops within 15 s")
                .expect("task")
                .expect("serve");
        }
    }
}

/// How the fake server answers one request payload (frame stripped):
/// `Some(bytes)` is sent back Framed, `None` leaves the call unanswered.
pub(crate) type Answer = Arc<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;

/// How many requests a [`FakeServer`] keeps (so that load tests measure
/// the component, not the recorder).
const MAX_RECORDED: usize = 1000;

/// A Framed Thrift server on 127.0.0.1 that records the first
/// [`MAX_RECORDED`] requests it receives.
pub(crate) struct FakeServer {
    pub(crate) addr: String,
    pub(crate) received: Arc<Mutex<Vec<Vec<u8>>>>,
    pub(crate) connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    pub(crate) async fn start(answer: Answer) -> Self {
        Self::start_delayed(answer, Duration::ZERO).await
    }

    /// Like [`start`](Self::start), answering each request after `delay`.
    pub(crate) async fn start_delayed(answer: Answer, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (rec, conns) = (received.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                conns.fetch_add(1, Ordering::Relaxed);
                let (answer, rec) = (answer.clone(), rec.clone());
                tokio::spawn(async move {
                    loop {
                        let mut len = [0u8; 4];
                        if stream.read_exact(&mut len).await.is_err() {
                            return;
                        }
                        let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
                        if stream.read_exact(&mut payload).await.is_err() {
                            return;
                        }
                        {
                            let mut rec = rec.lock().unwrap();
                            if rec.len() < MAX_RECORDED {
                                rec.push(payload.clone());
                            }
                        }
                        let Some(reply) = answer(&payload) else {
                            continue;
                        };
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        let mut out = (reply.len() as u32).to_be_bytes().to_vec();
                        out.extend_from_slice(&reply);
                        if stream.write_all(&out).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            received,
            connections,
            task,
        }
    }

    pub(crate) fn received(&self) -> Vec<Vec<u8>> {
        self.received.lock().unwrap().clone()
    }
}

/// A REPLY for any CALL: the same name and seq id, an empty result struct
/// (a void success).
pub(crate) fn void_reply(request: &[u8]) -> Option<Vec<u8>> {
    let name_len = u32::from_be_bytes(request[4..8].try_into().ok()?) as usize;
    let mut out = vec![0x80, 0x01, 0x00, 0x02];
    out.extend_from_slice(&request[4..8 + name_len + 4]);
    out.push(0); // STOP
    Some(out)
}

pub(crate) fn repo_root() -> PathBuf {
    anycall_test_support::repo_root()
}

pub(crate) fn interop_dir() -> PathBuf {
    repo_root().join("testdata/interop")
}

/// `testdata/interop/echo.thrift`.
pub(crate) fn echo_pool() -> Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let dir = interop_dir();
        Pool::from_file(dir.join("echo.thrift").to_str().expect("utf-8"), [dir])
            .expect("echo.thrift loads")
    })
    .clone()
}

/// A strict-binary CALL of an EchoService method with seq id 0.
pub(crate) fn call_message(method: &str, args: &str) -> Vec<u8> {
    let pool = echo_pool();
    let desc = pool
        .service("EchoService")
        .and_then(|s| s.method(method))
        .expect("method");
    let mut buf = BytesMut::new();
    call::encode_call_json(
        desc,
        args.as_bytes(),
        0,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .expect("encode");
    buf.to_vec()
}

/// Decodes a whole REPLY message of an EchoService method to JSON.
pub(crate) fn reply_json(method: &str, reply: &[u8]) -> Reply<serde_json::Value> {
    let pool = echo_pool();
    let desc = pool
        .service("EchoService")
        .and_then(|s| s.method(method))
        .expect("method");
    call::decode_reply_json(
        desc,
        reply,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .expect("decode reply")
    .map(|s| serde_json::from_str(&s).expect("json"))
}

pub(crate) const SETUP_HINT: &str = "run scripts/interop-setup to build the interop peers";

pub(crate) fn peer_path(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| repo_root().join(default), PathBuf::from);
    assert!(
        path.exists(),
        "interop peer {} not found ({var}); {SETUP_HINT}",
        path.display()
    );
    path
}

/// A peer server process (interop/README.md), killed when dropped.
pub(crate) struct Peer {
    pub(crate) addr: String,
    _child: Child,
}

/// Starts `program [pre...] server args...` and waits for `listening HOST:PORT`.
pub(crate) async fn start_peer(program: &Path, pre: &[&Path], args: &[&str]) -> Peer {
    let mut cmd = Command::new(program);
    cmd.args(pre).arg("server").args(args);
    let peer = anycall_test_support::process::start_listening(cmd, SETUP_HINT).await;
    Peer {
        addr: peer.addr,
        _child: peer.child,
    }
}

pub(crate) async fn python_peer(transport: &str) -> Peer {
    let python = peer_path("INTEROP_PYTHON", "interop/.venv/bin/python");
    let script = peer_path("INTEROP_PYTHON_PEER", "interop/python/peer.py");
    start_peer(&python, &[&script], &["--transport", transport]).await
}

pub(crate) async fn volo_peer() -> Peer {
    let volo = peer_path("INTEROP_VOLO_PEER", "interop/target/release/volo-peer");
    start_peer(&volo, &[], &[]).await
}

pub(crate) async fn kitex_peer() -> Peer {
    let kitex = peer_path("INTEROP_KITEX_PEER", "interop/target/kitex-peer");
    start_peer(&kitex, &[], &[]).await
}
