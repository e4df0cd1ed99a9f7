//! Rate-limited warnings per peer address: a peer sending bad frames in a
//! loop gets [`PER_WINDOW`] warning lines a [`WINDOW`], and the next line
//! after a quiet spell counts those left out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Warnings logged per peer address per [`WINDOW`].
pub(crate) const PER_WINDOW: u32 = 10;
/// The window of [`PER_WINDOW`].
pub(crate) const WINDOW: Duration = Duration::from_secs(10);
/// Peer addresses tracked at once; past it the table starts over.
const MAX_PEERS: usize = 4096;

#[derive(Debug)]
struct Peer {
    since: Instant,
    logged: u32,
    suppressed: u64,
}

/// Decides which warnings about a peer are logged.
#[derive(Debug, Default)]
pub(crate) struct WarnLimiter {
    peers: Mutex<HashMap<IpAddr, Peer>>,
}

impl WarnLimiter {
    /// `Some(n)`: log this warning, mentioning the `n` left out since the
    /// last one logged; `None`: leave it out (and count it).
    pub(crate) fn admit(&self, ip: IpAddr) -> Option<u64> {
        self.admit_at(ip, Instant::now())
    }

    fn admit_at(&self, ip: IpAddr, now: Instant) -> Option<u64> {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        if peers.len() >= MAX_PEERS && !peers.contains_key(&ip) {
            peers.retain(|_, p| now.duration_since(p.since) < WINDOW);
            if peers.len() >= MAX_PEERS {
                peers.clear();
            }
        }
        let peer = peers.entry(ip).or_insert(Peer {
            since: now,
            logged: 0,
            suppressed: 0,
        });
        if now.duration_since(peer.since) >= WINDOW {
            peer.since = now;
            peer.logged = 0;
        }
        if peer.logged < PER_WINDOW {
            peer.logged += 1;
            Some(std::mem::take(&mut peer.suppressed))
        } else {
            peer.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_from_one_peer_is_cut_and_counted_and_others_are_not() {
        let limiter = WarnLimiter::default();
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "10.0.0.1".parse().unwrap());
        let t0 = Instant::now();
        let logged = (0..100)
            .filter(|_| limiter.admit_at(a, t0).is_some())
            .count();
        assert_eq!(logged, PER_WINDOW as usize);
        assert_eq!(limiter.admit_at(b, t0), Some(0));
        // After the window the next line tells how many were left out.
        assert_eq!(limiter.admit_at(a, t0 + WINDOW), Some(90));
        assert_eq!(limiter.admit_at(a, t0 + WINDOW), Some(0));
    }
}
