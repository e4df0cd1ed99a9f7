//! The socket: where it goes, stale files, serving until a signal, and
//! removing the socket once calls are drained.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;

use crate::binding::Binding;
use crate::error::Error;
use crate::proto::FILE_DESCRIPTOR_SET;
use crate::service::OutputBindingService;

/// The socket folder when no environment variable names one:
/// `/tmp/dapr-components-sockets` (daprd's default).
pub const DEFAULT_SOCKET_FOLDER: &str = "/tmp/dapr-components-sockets";
/// The environment variables naming the socket folder, in the order they
/// are read: daprd's, then the Kubernetes injector's and the Go SDK's, then
/// the Go SDK's fallback.
pub const SOCKET_FOLDER_VARS: [&str; 3] = [
    "DAPR_COMPONENTS_SOCKETS_FOLDER",
    "DAPR_COMPONENT_SOCKETS_FOLDER",
    "DAPR_COMPONENT_SOCKET_FOLDER",
];
/// The default socket name: `kitex`, so the component type is `bindings.kitex`.
pub const DEFAULT_NAME: &str = "kitex";
/// How long calls in flight may take to finish after a shutdown signal:
/// 10 s. A second signal ends them at once.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest gRPC message read or written: 16 MiB (tonic's default is
/// 4 MiB; a Thrift frame may be up to 16 MiB).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// The socket folder from the environment ([`SOCKET_FOLDER_VARS`], the
/// first set and non-empty one), else [`DEFAULT_SOCKET_FOLDER`].
pub fn socket_folder_from_env() -> PathBuf {
    SOCKET_FOLDER_VARS
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_SOCKET_FOLDER), PathBuf::from)
}

/// Builds a [`Component`]; every setter names its default.
#[derive(Debug, Clone)]
#[must_use = "call `bind()` to get a component"]
pub struct ComponentBuilder {
    folder: Option<PathBuf>,
    name: String,
    drain_timeout: Duration,
    max_message_size: usize,
}

impl Default for ComponentBuilder {
    fn default() -> Self {
        Self {
            folder: None,
            name: DEFAULT_NAME.to_owned(),
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

impl ComponentBuilder {
    /// The socket folder. Default: [`socket_folder_from_env`].
    pub fn socket_folder(mut self, folder: impl Into<PathBuf>) -> Self {
        self.folder = Some(folder.into());
        self
    }

    /// The socket name, without `.sock`. Default [`DEFAULT_NAME`] (`kitex`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Drain time after a shutdown signal. Default [`DEFAULT_DRAIN_TIMEOUT`].
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Largest gRPC message. Default [`DEFAULT_MAX_MESSAGE_SIZE`].
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// Creates the folder, removes a stale socket (a socket file nobody
    /// listens on) and listens on `<folder>/<name>.sock`.
    ///
    /// # Errors
    ///
    /// A name that is empty or holds a `/`; a folder that cannot be made;
    /// a file at the socket path that is not a socket, or a socket another
    /// process still serves; binding failures.
    pub async fn bind(self) -> Result<Component, Error> {
        let folder = self.folder.clone().unwrap_or_else(socket_folder_from_env);
        if self.name.is_empty() || self.name.contains('/') {
            return Err(Error::at(
                format!("invalid component name `{}`", self.name),
                &folder,
                None,
            ));
        }
        tokio::fs::create_dir_all(&folder).await.map_err(|e| {
            Error::at(
                "cannot create the socket folder",
                &folder,
                Some(Box::new(e)),
            )
        })?;
        let path = folder.join(format!("{}.sock", self.name));
        remove_stale(&path).await?;
        let listener = UnixListener::bind(&path)
            .map_err(|e| Error::at("cannot listen on the socket", &path, Some(Box::new(e))))?;
        Ok(Component {
            listener,
            path,
            builder: self,
            binding: Arc::new(Binding::default()),
        })
    }
}

async fn remove_stale(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::FileTypeExt as _;
    let Ok(meta) = tokio::fs::symlink_metadata(path).await else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(Error::at(
            "a file that is not a socket is in the way",
            path,
            None,
        ));
    }
    if tokio::net::UnixStream::connect(path).await.is_ok() {
        return Err(Error::at(
            "another process is serving this socket",
            path,
            None,
        ));
    }
    tracing::info!(path = %path.display(), "removing a stale socket");
    tokio::fs::remove_file(path)
        .await
        .map_err(|e| Error::at("cannot remove the stale socket", path, Some(Box::new(e))))
}

/// A bound component, ready to serve.
///
/// ```no_run
/// # async fn run() -> Result<(), anycall_dapr::Error> {
/// let component = anycall_dapr::Component::builder().name("kitex").bind().await?;
/// println!("listening {}", component.socket_path().display());
/// component.serve().await
/// # }
/// ```
#[derive(Debug)]
pub struct Component {
    listener: UnixListener,
    path: PathBuf,
    builder: ComponentBuilder,
    binding: Arc<Binding>,
}

impl Component {
    /// Starts a builder.
    pub fn builder() -> ComponentBuilder {
        ComponentBuilder::default()
    }

    /// The socket file.
    pub fn socket_path(&self) -> &Path {
        &self.path
    }

    /// A view of the instances and their upstream clients, usable while
    /// the component serves.
    pub fn stats(&self) -> Stats {
        Stats {
            binding: self.binding.clone(),
        }
    }

    /// Serves until SIGTERM or SIGINT, then drains and removes the socket.
    ///
    /// # Errors
    ///
    /// As for [`serve_with_shutdown`](Component::serve_with_shutdown).
    pub async fn serve(self) -> Result<(), Error> {
        let signal = shutdown_signal().map_err(|e| {
            Error::at(
                "cannot install signal handlers",
                &self.path,
                Some(Box::new(e)),
            )
        })?;
        self.serve_with_shutdown(signal).await
    }

    /// Serves until `shutdown` completes; then stops accepting, lets calls
    /// in flight finish for up to the drain timeout (a SIGTERM or SIGINT
    /// during the drain ends it at once), and removes the socket.
    ///
    /// # Errors
    ///
    /// The gRPC server failed.
    pub async fn serve_with_shutdown(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let Self {
            listener,
            path,
            builder,
            binding,
        } = self;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .map_err(Error::serve)?;
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(Error::serve)?;
        let service = OutputBindingService::new(binding, builder.max_message_size);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tonic::transport::Server::builder()
            .add_service(reflection_v1alpha)
            .add_service(reflection_v1)
            .add_service(service)
            .serve_with_incoming_shutdown(UnixListenerStream::new(listener), async move {
                let _ = stop_rx.await;
            });
        let watcher = tokio::spawn(async move {
            shutdown.await;
            let _ = stopped_tx.send(());
        });
        tokio::pin!(server);
        let result = tokio::select! {
            r = &mut server => r,
            _ = stopped_rx => {
                tracing::info!("shutting down: draining calls in flight");
                let _ = stop_tx.send(());
                tokio::select! {
                    r = tokio::time::timeout(builder.drain_timeout, &mut server) => {
                        r.unwrap_or_else(|_| {
                            tracing::warn!("drain timeout passed; ending calls in flight");
                            Ok(())
                        })
                    }
                    () = signal() => {
                        tracing::warn!("second signal; ending calls in flight");
                        Ok(())
                    }
                }
            }
        };
        watcher.abort();
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove the socket");
        }
        result.map_err(Error::serve)
    }
}

/// Counts of a serving [`Component`], for diagnostics and tests.
#[derive(Debug, Clone)]
pub struct Stats {
    binding: Arc<Binding>,
}

impl Stats {
    /// Names of the instances seen so far (`""` is the instance of calls
    /// without an `x-component-instance` header).
    pub fn instances(&self) -> Vec<String> {
        self.binding.instance_names()
    }

    /// Upstream clients the instance holds (one per host list).
    pub fn clients(&self, instance: &str) -> usize {
        self.binding.instance(instance).clients()
    }

    /// Idle upstream connections of the instance.
    pub fn idle_connections(&self, instance: &str) -> usize {
        self.binding.instance(instance).idle_connections()
    }
}

/// A future that resolves on SIGTERM or SIGINT. The handlers are installed
/// when this is called, not when the future is first polled, so a signal
/// that comes right after (before serving starts) is not lost.
///
/// # Errors
///
/// The signal handlers could not be installed.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// SIGTERM or SIGINT; never, when the handlers cannot be installed.
async fn signal() {
    match shutdown_signal() {
        Ok(signal) => signal.await,
        Err(_) => std::future::pending().await,
    }
}
