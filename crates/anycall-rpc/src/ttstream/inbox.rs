//! The receive buffers of a ttstream connection's streams, bounded in bytes
//! twice: each stream may hold [`max_stream_buffer`](super::StreamClientBuilder::max_stream_buffer)
//! bytes of received, unread frames, and all streams of the connection
//! together [`CONNECTION_BUFFERS`] times that.
//!
//! ttstream has no flow-control frame, so a reader that falls behind
//! cannot slow its sender down without slowing the whole connection. A
//! stream over its own limit is therefore reset (the caller of
//! [`InboxTx::push`] does that) while the other streams go on; only when
//! the connection's buffers are full does its reader wait, which pushes
//! back through TCP.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// How many full stream buffers one connection holds at most.
pub(crate) const CONNECTION_BUFFERS: usize = 4;
/// What a frame costs in a buffer beyond its payload.
const FRAME_COST: usize = 64;

/// The receive budget of one connection.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    connection: Arc<Semaphore>,
    per_stream: usize,
}

impl Budget {
    /// A connection's budget: `per_stream` bytes per stream (at least one
    /// frame's cost), [`CONNECTION_BUFFERS`] times that in all.
    pub(crate) fn new(per_stream: usize) -> Self {
        let per_stream = per_stream.clamp(FRAME_COST, Semaphore::MAX_PERMITS / CONNECTION_BUFFERS);
        Self {
            connection: Arc::new(Semaphore::new(per_stream * CONNECTION_BUFFERS)),
            per_stream,
        }
    }

    /// The bytes one stream may hold.
    pub(crate) fn per_stream(&self) -> usize {
        self.per_stream
    }

    /// A new stream's buffer: the end the connection's reader fills and
    /// the end its reader drains.
    pub(crate) fn inbox<T>(&self) -> (InboxTx<T>, Inbox<T>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let tx = InboxTx {
            tx,
            stream: Arc::new(Semaphore::new(self.per_stream)),
            connection: self.connection.clone(),
        };
        (tx, Inbox { rx })
    }
}

/// An item and the buffer room it takes until its reader takes it.
#[derive(Debug)]
struct Held<T> {
    item: T,
    _room: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
}

/// Why [`InboxTx::push`] queued nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The stream's buffer would pass its limit.
    Full,
    /// The stream's reader went away.
    Gone,
}

/// The filling end of a stream's buffer.
#[derive(Debug)]
pub(crate) struct InboxTx<T> {
    tx: mpsc::UnboundedSender<Held<T>>,
    stream: Arc<Semaphore>,
    connection: Arc<Semaphore>,
}

impl<T> InboxTx<T> {
    /// Queues `item`, `bytes` long. Waits while the connection's buffers
    /// are full; refuses when the stream's own would overflow.
    pub(crate) async fn push(&self, item: T, bytes: usize) -> Result<(), Refused> {
        if self.tx.is_closed() {
            return Err(Refused::Gone);
        }
        let cost = u32::try_from(bytes.saturating_add(FRAME_COST)).unwrap_or(u32::MAX);
        let stream = self
            .stream
            .clone()
            .try_acquire_many_owned(cost)
            .map_err(|_| Refused::Full)?;
        // A cost that passed the stream's limit fits the connection's,
        // which is larger: this wait ends when readers drain.
        let connection = self
            .connection
            .clone()
            .acquire_many_owned(cost)
            .await
            .map_err(|_| Refused::Gone)?;
        self.tx
            .send(Held {
                item,
                _room: Some((stream, connection)),
            })
            .map_err(|_| Refused::Gone)
    }

    /// Queues a stream's last item (its end or its error) outside the
    /// budget; the caller forgets the stream after it.
    pub(crate) fn push_last(&self, item: T) {
        let _ = self.tx.send(Held { item, _room: None });
    }
}

/// The draining end of a stream's buffer.
#[derive(Debug)]
pub(crate) struct Inbox<T> {
    rx: mpsc::UnboundedReceiver<Held<T>>,
}

impl<T> Inbox<T> {
    /// The next item, giving its room back; `None` once the filling end
    /// is gone and everything was taken.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await.map(|held| held.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_stream_is_refused_and_others_go_on() {
        let budget = Budget::new(1000);
        let (slow, _slow_rx) = budget.inbox::<u32>();
        let (fast, mut fast_rx) = budget.inbox::<u32>();
        // 900 + 64 fits; the next 100 + 64 does not.
        assert_eq!(slow.push(1, 900).await, Ok(()));
        assert_eq!(slow.push(2, 100).await, Err(Refused::Full));
        for i in 0..100 {
            assert_eq!(fast.push(i, 500).await, Ok(()));
            assert_eq!(fast_rx.recv().await, Some(i));
        }
    }

    #[tokio::test]
    async fn taking_an_item_gives_its_room_back() {
        let budget = Budget::new(1000);
        let (tx, mut rx) = budget.inbox::<u32>();
        assert_eq!(tx.push(1, 900).await, Ok(()));
        assert_eq!(tx.push(2, 900).await, Err(Refused::Full));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(tx.push(3, 900).await, Ok(()));
        assert_eq!(rx.recv().await, Some(3));
    }

    #[tokio::test]
    async fn the_connection_budget_makes_the_reader_wait() {
        let budget = Budget::new(1000);
        let mut held = Vec::new();
        for _ in 0..CONNECTION_BUFFERS {
            let (tx, rx) = budget.inbox::<u32>();
            assert_eq!(tx.push(0, 900).await, Ok(()));
            held.push((tx, rx));
        }
        let (tx, _rx) = budget.inbox::<u32>();
        let push = tx.push(1, 900);
        tokio::pin!(push);
        assert!(
            futures_poll_once(push.as_mut()).await.is_none(),
            "the connection is full: the push waits"
        );
        let (_, mut rx) = held.pop().expect("one held");
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(push.await, Ok(()));
    }

    #[tokio::test]
    async fn a_gone_reader_is_told_and_last_items_pass_a_full_buffer() {
        let budget = Budget::new(1000);
        let (tx, mut rx) = budget.inbox::<u32>();
        assert_eq!(tx.push(1, 900).await, Ok(()));
        tx.push_last(2);
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        drop(rx);
        assert_eq!(tx.push(3, 1).await, Err(Refused::Gone));
    }

    /// Polls `fut` once: its output if it is ready.
    async fn futures_poll_once<F: std::future::Future + Unpin>(mut fut: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut fut).poll(cx) {
                std::task::Poll::Ready(out) => Some(out),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
