//! The bounds a [`Server`](crate::Server) keeps per connection and across
//! connections, in one [`ServerLimits`] value, and the listening socket.
//!
//! ```text
//! accept ── max_connections (more are closed at once)
//!   │
//!   ├─ header_timeout: from accept to the first whole request frame,
//!   │  transport detection included; not restarted by each byte
//!   ├─ loop {
//!   │    idle_timeout: from the end of a reply to the end of the next
//!   │      request frame (again not restarted by each byte)
//!   │    max_frame_size: a larger frame closes the connection
//!   │    max_in_flight_bytes: requests and replies held by calls, server-wide;
//!   │      a connection waits for room before it decodes a request or keeps
//!   │      a reply, and reads nothing meanwhile (backpressure)
//!   │    write_timeout: a reply not taken by the peer within it closes the
//!   │      connection and frees its buffers
//!   │  }
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anycall_codec::frame::DEFAULT_MAX_FRAME_SIZE;
use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Default [`ServerLimits::max_connections`]: 10,000.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default [`ServerLimits::idle_timeout`]: 10 minutes (Kitex's
/// `MaxConnectionIdleTime`).
pub const DEFAULT_SERVER_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// Default [`ServerLimits::header_timeout`]: 10 s (hyper's
/// `header_read_timeout`).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ServerLimits::write_timeout`]: 10 s.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ServerLimits::max_in_flight_bytes`]: 256 MiB.
pub const DEFAULT_MAX_IN_FLIGHT_BYTES: usize = 256 << 20;
/// The listen backlog when `/proc/sys/net/core/somaxconn` cannot be read
/// (Linux's default since 5.4).
pub const FALLBACK_BACKLOG: u32 = 4096;

/// Per-connection and server-wide bounds; [`ServerLimits::default`] gives
/// every default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Largest frame (or Buffered message) accepted, and largest reply
    /// sent; a larger request closes the connection. Default 16 MiB.
    pub max_frame_size: usize,
    /// Connections served at once; more are accepted and closed at once.
    /// Default [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// How long a connection may take from the end of one reply to the
    /// end of the next request frame. Default
    /// [`DEFAULT_SERVER_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// How long a new connection may take to send its first whole request
    /// frame (detection included). Default [`DEFAULT_HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// How long a reply may wait for the peer to read it. Default
    /// [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// Bytes of requests and replies held by calls in flight, over all
    /// connections. A request is paid for before its read buffer grows past
    /// the first 64 KiB of its connection, at 4 times the buffer (the call
    /// it becomes also holds its decoded arguments, result and reply), and
    /// holds that until its reply is written (a larger reply pays the
    /// rest). A connection waiting for room holds none and reads nothing;
    /// small calls are never charged, so they never queue behind large
    /// ones. Default [`DEFAULT_MAX_IN_FLIGHT_BYTES`].
    pub max_in_flight_bytes: usize,
    /// The listen backlog for [`ServerBuilder::bind`](crate::ServerBuilder::bind).
    /// Default `None`: the system's `somaxconn` ([`default_backlog`]).
    pub backlog: Option<u32>,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_SERVER_IDLE_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_in_flight_bytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
            backlog: None,
        }
    }
}

/// The system's `somaxconn` (`/proc/sys/net/core/somaxconn`), the backlog Go
/// listens with; [`FALLBACK_BACKLOG`] where it cannot be read.
pub fn default_backlog() -> u32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(FALLBACK_BACKLOG)
}

/// Binds `addr` (the first address it resolves to that binds) and listens
/// with `backlog` (default [`default_backlog`]), `SO_REUSEADDR` set as
/// `TcpListener::bind` does.
///
/// # Errors
///
/// The address resolves to nothing, or none of its addresses binds.
pub async fn listen(addr: impl ToSocketAddrs, backlog: Option<u32>) -> io::Result<TcpListener> {
    let backlog = backlog.unwrap_or_else(default_backlog);
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        match listen_one(addr, backlog) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolves to nothing",
        )
    }))
}

fn listen_one(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// The server-wide budget of bytes held by calls in flight: a semaphore
/// whose permits are bytes.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    bytes: Arc<Semaphore>,
    max: usize,
}

impl Budget {
    pub(crate) fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// Waits until `n` bytes fit (a request or reply larger than the whole
    /// budget waits for all of it), then holds them until the permit drops.
    pub(crate) async fn hold(&self, n: usize) -> OwnedSemaphorePermit {
        let n = u32::try_from(n.clamp(1, self.max)).unwrap_or(u32::MAX);
        match self.bytes.clone().acquire_many_owned(n).await {
            Ok(p) => p,
            // The semaphore is never closed.
            Err(_) => unreachable!("the in-flight budget is never closed"),
        }
    }

    /// Holds `n` bytes if they fit now.
    pub(crate) fn try_hold(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(n.clamp(1, self.max)).unwrap_or(u32::MAX);
        self.bytes.clone().try_acquire_many_owned(n).ok()
    }

    /// Whether `n` bytes would have to wait.
    #[cfg(test)]
    pub(crate) fn is_full_for(&self, n: usize) -> bool {
        self.bytes.available_permits() < n.clamp(1, self.max)
    }

    /// The whole budget.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Bytes held now.
    pub(crate) fn held(&self) -> usize {
        self.max - self.bytes.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_backlog_is_positive() {
        assert!(default_backlog() > 0);
    }

    #[tokio::test]
    async fn the_budget_makes_a_second_holder_wait_for_the_first() {
        let budget = Budget::new(100);
        let first = budget.hold(80).await;
        assert_eq!(budget.held(), 80);
        assert!(budget.is_full_for(30));
        let b = budget.clone();
        let second = tokio::spawn(async move { b.hold(30).await });
        tokio::task::yield_now().await;
        assert!(!second.is_finished());
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the second holder gets the bytes")
            .unwrap();
        assert_eq!(budget.held(), 30);
        drop(second);
        // A request larger than the whole budget waits for all of it.
        let all = budget.hold(1000).await;
        assert_eq!(budget.held(), 100);
        drop(all);
    }
}
