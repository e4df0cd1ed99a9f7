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

use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anycall_codec::frame::DEFAULT_MAX_FRAME_SIZE;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
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
/// whose permits are bytes. Clones share the budget.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let budget = anycall_rpc::limits::Budget::new(100);
/// let held = budget.hold(80).await;
/// assert!(budget.try_hold(30).is_none()); // would wait
/// drop(held);
/// assert_eq!(budget.held(), 0);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Budget {
    bytes: Arc<Semaphore>,
    max: usize,
}

impl Budget {
    /// A budget of `max` bytes (at least 1).
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// Waits until `n` bytes fit (a request or reply larger than the whole
    /// budget waits for all of it), then holds them until the permit drops.
    pub async fn hold(&self, n: usize) -> OwnedSemaphorePermit {
        let n = u32::try_from(n.clamp(1, self.max)).unwrap_or(u32::MAX);
        match self.bytes.clone().acquire_many_owned(n).await {
            Ok(p) => p,
            // The semaphore is never closed.
            Err(_) => unreachable!("the in-flight budget is never closed"),
        }
    }

    /// Holds `n` bytes if they fit now.
    pub fn try_hold(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(n.clamp(1, self.max)).unwrap_or(u32::MAX);
        self.bytes.clone().try_acquire_many_owned(n).ok()
    }

    /// Whether `n` bytes would have to wait.
    #[cfg(test)]
    pub(crate) fn is_full_for(&self, n: usize) -> bool {
        self.bytes.available_permits() < n.clamp(1, self.max)
    }

    /// The whole budget.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.max - self.bytes.available_permits()
    }
}

/// Why a [`TimedIo`] failed a read or write: its `io::Error` has kind
/// `TimedOut` and this as its inner error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stalled {
    /// A write (or flush) made no progress within the write timeout: the
    /// peer does not read.
    Write,
    /// Nothing was read or written within the idle timeout.
    Idle,
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Write => "write timeout: the peer did not read",
            Self::Idle => "idle timeout",
        })
    }
}

impl std::error::Error for Stalled {}

impl Stalled {
    /// The [`Stalled`] an error of a [`TimedIo`] carries, if any.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut e = Some(error);
        while let Some(err) = e {
            if let Some(s) = err.downcast_ref::<Self>() {
                return Some(*s);
            }
            if let Some(s) = err
                .downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .and_then(|i| i.downcast_ref::<Self>())
            {
                return Some(*s);
            }
            e = err.source();
        }
        None
    }
}

/// A connection with a write timeout and an idle timeout, for servers
/// whose protocol library has neither (the HTTP gateway's hyper, gRPC's
/// h2): a write that stays pending past `write_timeout`, or a connection
/// with no byte read or written for `idle_timeout`, fails with
/// [`io::ErrorKind::TimedOut`] (inner error [`Stalled`]), and the library
/// then closes the connection and frees its buffers.
pub struct TimedIo<S> {
    inner: S,
    /// Told once when a timeout fires.
    on_stall: Option<Box<dyn Fn(Stalled) + Send + Sync>>,
    write_timeout: Duration,
    idle_timeout: Duration,
    /// Armed while a write is pending.
    write_deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Fires at or after `last + idle_timeout`; re-armed lazily.
    idle: Pin<Box<tokio::time::Sleep>>,
    last: tokio::time::Instant,
}

impl<S: std::fmt::Debug> std::fmt::Debug for TimedIo<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimedIo")
            .field("inner", &self.inner)
            .field("write_timeout", &self.write_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl<S> TimedIo<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, write_timeout: Duration, idle_timeout: Duration) -> Self {
        let now = tokio::time::Instant::now();
        Self {
            inner,
            on_stall: None,
            write_timeout,
            idle_timeout,
            write_deadline: None,
            idle: Box::pin(tokio::time::sleep_until(now + idle_timeout)),
            last: now,
        }
    }

    /// Calls `f` when a timeout fires (for metrics: the protocol library
    /// may close an idle connection without reporting the error).
    #[must_use]
    pub fn on_stall(mut self, f: impl Fn(Stalled) + Send + Sync + 'static) -> Self {
        self.on_stall = Some(Box::new(f));
        self
    }

    /// The wrapped connection.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    fn stalled(&mut self, why: Stalled) -> io::Error {
        if let Some(f) = self.on_stall.take() {
            f(why);
        }
        io::Error::new(io::ErrorKind::TimedOut, why)
    }

    fn progressed(&mut self) {
        self.last = tokio::time::Instant::now();
    }

    /// Whether the idle timeout has passed (registering a wake-up if not).
    /// A connection with a write pending is not idle: the write timeout
    /// governs it.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.write_deadline.is_some() {
            return false;
        }
        loop {
            if self.idle.as_mut().poll(cx).is_pending() {
                return false;
            }
            let due = self.last + self.idle_timeout;
            if due <= tokio::time::Instant::now() {
                return true;
            }
            self.idle.as_mut().reset(due);
        }
    }

    /// Whether a write pending now has been pending past the write timeout.
    fn write_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let timeout = self.write_timeout;
        let deadline = self
            .write_deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        deadline.as_mut().poll(cx).is_ready()
    }

    fn on_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(r) => {
                self.write_deadline = None;
                self.progressed();
                Poll::Ready(r)
            }
            Poll::Pending if self.write_expired(cx) => {
                Poll::Ready(Err(self.stalled(Stalled::Write)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.progressed();
                Poll::Ready(r)
            }
            Poll::Pending if this.idle_expired(cx) => Poll::Ready(Err(this.stalled(Stalled::Idle))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.on_write(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.on_write(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.on_write(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.on_write(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_the_peer_never_reads_times_out() {
        use tokio::io::AsyncWriteExt as _;
        let (a, _b) = tokio::io::duplex(64);
        let mut io = TimedIo::new(a, Duration::from_millis(50), Duration::from_secs(600));
        let outcome = tokio::time::timeout(Duration::from_secs(10), io.write_all(&[7; 4096]))
            .await
            .expect("the write fails before the test's own deadline");
        let err = outcome.expect_err("nobody reads");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(Stalled::of(&err), Some(Stalled::Write));
    }

    #[tokio::test]
    async fn a_write_the_peer_reads_slowly_completes() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (a, mut b) = tokio::io::duplex(64);
        let mut io = TimedIo::new(a, Duration::from_secs(5), Duration::from_secs(600));
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            b.read_to_end(&mut all).await.map(|_| all.len())
        });
        io.write_all(&[7; 256 << 10]).await.expect("the peer reads");
        io.shutdown().await.unwrap();
        assert_eq!(reader.await.unwrap().unwrap(), 256 << 10);
    }

    #[tokio::test]
    async fn a_silent_connection_times_out_as_idle() {
        use tokio::io::AsyncReadExt as _;
        let (a, _b) = tokio::io::duplex(64);
        let told = Arc::new(std::sync::Mutex::new(Vec::new()));
        let t = told.clone();
        let mut io = TimedIo::new(a, Duration::from_secs(600), Duration::from_millis(50))
            .on_stall(move |s| t.lock().unwrap().push(s));
        let mut buf = [0; 8];
        let err = tokio::time::timeout(Duration::from_secs(10), io.read(&mut buf))
            .await
            .expect("the read fails before the test's own deadline")
            .expect_err("nothing was sent");
        assert_eq!(Stalled::of(&err), Some(Stalled::Idle));
        assert_eq!(*told.lock().unwrap(), [Stalled::Idle]);
    }

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
