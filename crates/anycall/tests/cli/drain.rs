//! Stopping `serve` and `proxy`: SIGTERM lets calls in flight finish within
//! `--drain-timeout`, cuts them after it (exit 1), and a second signal
//! stops at once. The call in flight is held by an upstream the test
//! controls, so every step waits for an event, never for time.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anycall_test_support::process::{START_TIMEOUT, first_line};

use super::support::testdata;

const WAIT: Duration = Duration::from_secs(20);

/// A framed strict-binary message `ping` of type `kind` (1 call, 2 reply)
/// with an empty struct body.
fn message(kind: u8, seq: i32) -> Vec<u8> {
    let mut body = vec![0x80, 0x01, 0x00, kind];
    body.extend_from_slice(&4u32.to_be_bytes());
    body.extend_from_slice(b"ping");
    body.extend_from_slice(&seq.to_be_bytes());
    body.push(0); // field stop
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

fn read_frame(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body)?;
    let mut frame = len.to_vec();
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// An upstream that reads one call, reports it, and replies when released.
struct Upstream {
    addr: String,
    got_call: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
}

fn upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (got_tx, got_call) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let Ok(call) = read_frame(&mut s) else {
            return;
        };
        let seq = i32::from_be_bytes(call[16..20].try_into().unwrap());
        let _ = got_tx.send(());
        if release_rx.recv().is_ok() {
            let _ = s.write_all(&message(2, seq));
        }
        // Hold the connection until the proxy closes it.
        let _ = s.read(&mut [0u8; 1]);
    });
    Upstream {
        addr,
        got_call,
        release,
    }
}

/// A child with its address (from its first stdout line) and its stderr
/// lines on a channel.
struct Server {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
            .args(args)
            .current_dir(testdata(""))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn anycall");
        let line = first_line(&mut child, "the server", START_TIMEOUT);
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        let (tx, stderr) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            addr,
            stderr,
        }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for a stderr line containing `needle`; returns it.
    fn wait_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(e) => panic!("no stderr line with {needle:?}: {e}"),
            }
        }
    }

    /// Waits (bounded) for the child to exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proxy(up: &Upstream, drain: &str) -> Server {
    Server::start(&[
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &up.addr,
        "--drain-timeout",
        drain,
    ])
}

/// Sends a call through `server` and waits until the upstream holds it.
fn call_in_flight(server: &Server, up: &Upstream) -> TcpStream {
    let mut client = TcpStream::connect(&server.addr).unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    client.write_all(&message(1, 7)).unwrap();
    up.got_call
        .recv_timeout(WAIT)
        .expect("the upstream got the call");
    client
}

#[test]
fn sigterm_lets_a_call_in_flight_finish_then_exits_0() {
    let up = upstream();
    let mut proxy = proxy(&up, "60s");
    let mut client = call_in_flight(&proxy, &up);
    proxy.signal("TERM");
    proxy.wait_line("stopping: no new connections");
    // The listener goes away while the call is still held.
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect(&proxy.addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
    up.release.send(()).unwrap();
    let reply = read_frame(&mut client).expect("the reply in flight arrives");
    assert_eq!(reply, message(2, 7));
    let status = proxy.wait_exit();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_drain_timeout_cuts_an_unfinished_call_and_exits_1() {
    let up = upstream();
    let mut proxy = proxy(&up, "300ms");
    let mut client = call_in_flight(&proxy, &up);
    let started = Instant::now();
    proxy.signal("TERM");
    proxy.wait_line("drain timeout of 300ms reached");
    let status = proxy.wait_exit();
    assert_eq!(status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(10));
    // The cut connection is closed, not left hanging.
    assert!(read_frame(&mut client).is_err());
}

#[test]
fn a_second_signal_exits_at_once() {
    let up = upstream();
    let mut proxy = proxy(&up, "600s");
    let _client = call_in_flight(&proxy, &up);
    proxy.signal("TERM");
    proxy.wait_line("stopping: no new connections");
    let started = Instant::now();
    proxy.signal("INT");
    proxy.wait_line("second signal");
    assert_eq!(proxy.wait_exit().code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn serve_stops_at_once_with_only_idle_connections() {
    let mut serve = Server::start(&[
        "serve",
        "--idl",
        "codec/all_types.thrift",
        "--listen",
        "127.0.0.1:0",
        "--echo",
    ]);
    let mut idle = TcpStream::connect(&serve.addr).unwrap();
    idle.set_read_timeout(Some(WAIT)).unwrap();
    serve.signal("INT");
    serve.wait_line("stopping: no new connections");
    assert_eq!(serve.wait_exit().code(), Some(0));
    // The idle connection was closed by the server.
    assert_eq!(idle.read(&mut [0u8; 1]).unwrap_or(0), 0);
    serve.wait_line("stopped:");
}
