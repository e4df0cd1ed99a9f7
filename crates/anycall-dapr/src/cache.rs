//! Upstream clients of one component instance, one per host list.
//!
//! The original kept a Kitex client (with its own connection pool) per
//! `version.destService.methodName.hostPorts`, forever: a sidecar calling
//! many methods grew without bound. Here the key is what changes the
//! connections — the host list, transport, protocol, connect timeout and,
//! for TTHeader transports (which send it), the destination service — so
//! every method of a service shares one client and its bounded idle pool
//! (`maxIdlePerHost` per address). At most `maxClients` clients are kept
//! (the least recently used is dropped first), and a client unused for
//! `idleTimeout` is dropped with its connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anycall_idl::Pool;
use anycall_rpc::{Client, Protocol, Transport};

use crate::error::InvokeError;

/// What makes two calls share a client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub(crate) hosts: String,
    pub(crate) transport: Transport,
    pub(crate) protocol: Protocol,
    pub(crate) connect_timeout: Duration,
    /// Only for TTHeader transports; `None` otherwise.
    pub(crate) dest_service: Option<String>,
    /// The IDL service of JSON calls; `None` for the IDL's default.
    pub(crate) service: Option<String>,
}

/// Settings every client of the instance gets.
#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    pub(crate) timeout: Duration,
    pub(crate) max_idle_per_host: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_clients: usize,
    pub(crate) idl: Option<Pool>,
}

#[derive(Debug)]
pub(crate) struct ClientCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: ClientSettings,
    clients: Mutex<HashMap<ClientKey, Entry>>,
}

#[derive(Debug)]
struct Entry {
    client: Client,
    last_used: Instant,
}

impl ClientCache {
    /// A cache; a background task (on the current tokio runtime, when
    /// there is one) drops clients idle for longer than the idle timeout.
    pub(crate) fn new(settings: ClientSettings) -> Self {
        let inner = Arc::new(Inner {
            settings,
            clients: Mutex::new(HashMap::new()),
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&inner);
            let every = (inner.settings.idle_timeout / 2).max(Duration::from_millis(100));
            rt.spawn(sweep_loop(weak, every));
        }
        Self { inner }
    }

    /// The client for `key`, made on first use.
    pub(crate) fn get(&self, key: &ClientKey) -> Result<Client, InvokeError> {
        let mut clients = lock(&self.inner.clients);
        let now = Instant::now();
        if let Some(entry) = clients.get_mut(key) {
            entry.last_used = now;
            return Ok(entry.client.clone());
        }
        let client = self.build(key)?;
        if clients.len() >= self.inner.settings.max_clients
            && let Some(oldest) = clients
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
        {
            clients.remove(&oldest);
        }
        clients.insert(
            key.clone(),
            Entry {
                client: client.clone(),
                last_used: now,
            },
        );
        Ok(client)
    }

    /// Clients held now.
    pub(crate) fn len(&self) -> usize {
        lock(&self.inner.clients).len()
    }

    /// Idle upstream connections over all clients.
    pub(crate) fn idle_connections(&self) -> usize {
        lock(&self.inner.clients)
            .values()
            .map(|e| e.client.idle_connections())
            .sum()
    }

    fn build(&self, key: &ClientKey) -> Result<Client, InvokeError> {
        let s = &self.inner.settings;
        let mut builder = Client::builder(key.hosts.clone())
            .transport(key.transport)
            .protocol(key.protocol)
            .connect_timeout(key.connect_timeout)
            .rpc_timeout(s.timeout)
            .max_idle_per_host(s.max_idle_per_host)
            .idle_timeout(s.idle_timeout)
            .caller("anycall-dapr");
        if let Some(dest) = &key.dest_service {
            builder = builder.dest_service(dest.clone());
        }
        if let Some(pool) = &s.idl {
            builder = builder.idl(pool.clone());
            if let Some(service) = &key.service {
                builder = builder.service(service.clone());
            }
        }
        // The original's wording for a client that cannot be made.
        builder
            .build()
            .map_err(|e| InvokeError::invalid(format!("create a kitex generic client err {e}")))
    }
}

impl Inner {
    fn sweep(&self) {
        let idle_timeout = self.settings.idle_timeout;
        lock(&self.clients).retain(|_, e| e.last_used.elapsed() < idle_timeout);
    }
}

async fn sweep_loop(inner: Weak<Inner>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        inner.sweep();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
