//! [`Provider`]: a [`Pool`] that can be replaced while calls are in flight.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::diagnostic::IdlError;
use crate::load::Loader;
use crate::pool::Pool;

/// Holds the current [`Pool`] for an IDL and swaps it atomically on update.
///
/// Readers take a snapshot with [`Provider::pool`] and keep using it for the
/// whole call, so an update never changes the descriptors under a call in
/// flight. A failed update keeps the old pool and returns why.
///
/// ```
/// use anycall_idl::{Loader, Provider};
///
/// let provider = Provider::new(
///     Loader::in_memory().file("a.thrift", "service A { void ping() }"),
///     "a.thrift",
/// ).unwrap();
/// let before = provider.pool();
/// provider.update(
///     Loader::in_memory().file("a.thrift", "service A { void ping() void pong() }"),
///     "a.thrift",
/// ).unwrap();
/// assert!(before.service("A").unwrap().method("pong").is_none());
/// assert!(provider.pool().service("A").unwrap().method("pong").is_some());
/// assert!(provider.update(Loader::in_memory().file("a.thrift", "service {"), "a.thrift").is_err());
/// assert!(provider.pool().service("A").unwrap().method("pong").is_some());
/// ```
#[derive(Debug)]
pub struct Provider {
    current: ArcSwap<Pool>,
    source: std::sync::Mutex<(Loader, String)>,
}

impl Provider {
    /// Loads `main` with `loader`.
    pub fn new(loader: Loader, main: impl Into<String>) -> Result<Self, IdlError> {
        let main = main.into();
        let pool = loader.load(&main)?;
        Ok(Self {
            current: ArcSwap::from_pointee(pool),
            source: std::sync::Mutex::new((loader, main)),
        })
    }

    /// A snapshot of the current pool.
    pub fn pool(&self) -> Pool {
        Pool::clone(&self.current.load())
    }

    /// Loads a new IDL and swaps it in. On error the current pool stays.
    pub fn update(&self, loader: Loader, main: impl Into<String>) -> Result<(), IdlError> {
        let main = main.into();
        let pool = loader.load(&main)?;
        self.current.store(Arc::new(pool));
        *self.source.lock().unwrap_or_else(|e| e.into_inner()) = (loader, main);
        Ok(())
    }

    /// Loads the same IDL again (re-reading files from disk) and swaps it in.
    /// On error the current pool stays.
    pub fn reload(&self) -> Result<(), IdlError> {
        let (loader, main) = self
            .source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let pool = loader.load(&main)?;
        self.current.store(Arc::new(pool));
        Ok(())
    }
}
