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

/// A fingerprint of the files at `paths` (their contents, or their absence).
pub(crate) fn fingerprint<P: AsRef<std::path::Path>>(paths: impl IntoIterator<Item = P>) -> u64 {
    let mut hasher = DefaultHasher::new();
    for path in paths {
        let path = path.as_ref();
        path.hash(&mut hasher);
        std::fs::read(path).ok().hash(&mut hasher);
    }
    hasher.finish()
}

/// Polls `fingerprint` every [`WATCH_INTERVAL`] and calls `reload` when it
/// changes; `reload` answers whether it took the new files. The first
/// fingerprint is taken before this returns, so a change made as soon as
/// the server reports ready is still seen. Runs until the process ends.
pub(crate) fn poll(
    fingerprint: impl Fn() -> u64 + Send + 'static,
    mut reload: impl FnMut() -> bool + Send + 'static,
) {
    let mut seen = fingerprint();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WATCH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = fingerprint();
            if now == seen {
                continue;
            }
            seen = now;
            if reload() {
                // The new files may differ (includes added or removed).
                seen = fingerprint();
            }
        }
    });
}

/// Spawns the task that reloads `provider` whenever its files change.
pub(crate) fn spawn(provider: Arc<Provider>) {
    let files = {
        let provider = provider.clone();
        move || fingerprint(provider.pool().files().map(|f| PathBuf::from(f.path())))
    };
    poll(files, move || reload(&provider));
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
