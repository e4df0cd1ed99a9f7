//! `--watch` for `serve` and `proxy`: reload the IDL when one of its files
//! changes (SIGHUP reloads it at once, with or without `--watch`). The IDL lives in an `anycall_idl::Provider`, which swaps the
//! pool atomically: calls in flight finish on the pool they started with,
//! and a reload that fails keeps the old pool and logs why.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anycall_idl::{Loader, Provider};

use super::CliError;
use super::args::IdlArgs;

/// How often the IDL files are read to see whether they changed.
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// Loads the IDL of `idl` into a provider, printing the linker's warnings.
pub(crate) fn provider(idl: &IdlArgs) -> Result<Arc<Provider>, CliError> {
    let loader = Loader::new().include_dirs(idl.include.iter().cloned());
    let provider = Provider::new(loader, idl.idl.to_string_lossy())
        .map_err(|e| CliError::from(anyhow::anyhow!("{e}")))?;
    for w in provider.pool().warnings() {
        eprintln!("{w}");
    }
    Ok(Arc::new(provider))
}

/// A fingerprint of the files of the provider's current pool (their
/// contents, or their absence).
fn fingerprint(provider: &Provider) -> u64 {
    let pool = provider.pool();
    let mut hasher = DefaultHasher::new();
    for file in pool.files() {
        let path = PathBuf::from(file.path());
        path.hash(&mut hasher);
        std::fs::read(&path).ok().hash(&mut hasher);
    }
    hasher.finish()
}

/// Spawns the task that reloads `provider` whenever its files change; it
/// runs until the process ends.
pub(crate) fn spawn(provider: Arc<Provider>) {
    tokio::spawn(async move {
        let mut seen = fingerprint(&provider);
        let mut tick = tokio::time::interval(WATCH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = fingerprint(&provider);
            if now == seen {
                continue;
            }
            seen = now;
            if reload(&provider) {
                // The new pool may list other files (includes added or removed).
                seen = fingerprint(&provider);
            }
        }
    });
}

/// Reloads the IDL of `provider` now (a file changed, or SIGHUP), logging
/// the outcome; `false` when the reload failed and the previous IDL stays.
pub(crate) fn reload(provider: &Provider) -> bool {
    match provider.reload() {
        Ok(()) => {
            let pool = provider.pool();
            for w in pool.warnings() {
                tracing::warn!("{w}");
            }
            let methods: usize = pool.services().map(|s| s.methods().count()).sum();
            tracing::info!(methods, "idl reloaded");
            true
        }
        Err(err) => {
            tracing::warn!("idl reload failed, serving the previous idl:\n{err}");
            false
        }
    }
}
