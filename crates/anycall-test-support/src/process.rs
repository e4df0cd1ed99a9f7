//! Child processes: the first line a server prints once it listens.

use std::io::{BufRead as _, BufReader};
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

/// How long a test waits for a child's first line by default: a peer built
/// in release mode starts in well under a second, but a loaded two-core
/// machine running other tests can take many.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads the first line of `child`'s stdout (which must be piped), waiting
/// at most `timeout`. The line comes without its end of line.
///
/// # Panics
///
/// When no line comes in time or the child closes its stdout first; the
/// child is killed then, so that the test does not leave it running.
pub fn first_line(child: &mut Child, what: &str, timeout: Duration) -> String {
    let stdout = child
        .stdout
        .take()
        .unwrap_or_else(|| panic!("{what}: stdout is not piped"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
    });
    let outcome = rx.recv_timeout(timeout);
    let fail = |child: &mut Child, why: String| -> ! {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{what}: {why}")
    };
    match outcome {
        Ok(Ok(line)) if line.is_empty() => fail(child, "exited before its first line".into()),
        Ok(Ok(line)) => line.trim_end_matches(['\r', '\n']).to_owned(),
        Ok(Err(e)) => fail(child, format!("reading its first line: {e}")),
        Err(_) => fail(
            child,
            format!("printed no line within {} s", timeout.as_secs_f64()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    fn sh(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh runs")
    }

    #[test]
    fn the_first_line_is_returned() {
        let mut child = sh("echo 'listening 127.0.0.1:1'; echo more");
        let line = first_line(&mut child, "sh", Duration::from_secs(10));
        assert_eq!(line, "listening 127.0.0.1:1");
        child.wait().unwrap();
    }

    #[test]
    fn a_silent_child_times_out_and_is_killed() {
        let mut child = sh("exec sleep 30");
        let started = std::time::Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            first_line(&mut child, "sleep", Duration::from_millis(200))
        }));
        let message = *result.unwrap_err().downcast::<String>().unwrap();
        assert_eq!(message, "sleep: printed no line within 0.2 s");
        assert!(started.elapsed() < Duration::from_secs(10));
        // Killed: it has exited (by a signal) long before its 30 s.
        let status = child.try_wait().unwrap().expect("the child was reaped");
        assert!(!status.success());
    }

    #[test]
    fn a_child_that_exits_first_fails() {
        let mut child = sh("exit 3");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            first_line(&mut child, "sh", Duration::from_secs(10))
        }));
        let message = *result.unwrap_err().downcast::<String>().unwrap();
        assert_eq!(message, "sh: exited before its first line");
    }
}

/// A peer server started by [`start_listening`]: its address, and the
/// child, killed when this is dropped.
#[derive(Debug)]
pub struct Listening {
    /// `HOST:PORT` from the peer's `listening HOST:PORT` line.
    pub addr: String,
    /// The peer process.
    pub child: tokio::process::Child,
}

/// Spawns `cmd` (arguments already given) with piped stdin and stdout,
/// waits at most [`START_TIMEOUT`] for its first line, `listening
/// HOST:PORT`, and keeps reading its stdout afterwards so that the peer
/// never blocks on a full pipe. `hint` is added to a failure to spawn (how
/// to build the peer).
///
/// # Panics
///
/// When the peer cannot be spawned, prints no line in time, or prints
/// another first line.
pub async fn start_listening(mut cmd: tokio::process::Command, hint: &str) -> Listening {
    use tokio::io::AsyncBufReadExt as _;
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn peer: {e}; {hint}"));
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(START_TIMEOUT, lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("peer server starts within {START_TIMEOUT:?}"))
        .expect("peer stdout")
        .expect("peer printed a line");
    let addr = line
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line from peer: {line:?}"))
        .trim()
        .to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Listening { addr, child }
}
