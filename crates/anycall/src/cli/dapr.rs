//! `anycall dapr`: the Dapr `bindings.kitex` output binding as a pluggable
//! component on a Unix socket.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::CliError;

/// Arguments of `anycall dapr`.
#[derive(Debug, Args)]
pub(crate) struct DaprArgs {
    /// The socket folder. Default: $DAPR_COMPONENTS_SOCKETS_FOLDER, then
    /// $DAPR_COMPONENT_SOCKETS_FOLDER, then $DAPR_COMPONENT_SOCKET_FOLDER,
    /// else /tmp/dapr-components-sockets.
    #[arg(long, value_name = "DIR")]
    pub(crate) socket_folder: Option<PathBuf>,
    /// The socket name: <DIR>/<NAME>.sock serves component type bindings.<NAME>.
    #[arg(long, default_value = anycall_dapr::DEFAULT_NAME)]
    pub(crate) name: String,
    /// How long calls in flight may finish after SIGTERM/SIGINT.
    #[arg(long, value_parser = super::args::parse_duration, default_value = "10s")]
    pub(crate) drain_timeout: Duration,
}

/// Binds the socket, prints `listening <path>`, serves until SIGTERM or
/// SIGINT, drains and removes the socket.
pub(crate) async fn dapr(args: &DaprArgs) -> Result<(), CliError> {
    let mut builder = anycall_dapr::Component::builder()
        .name(args.name.clone())
        .drain_timeout(args.drain_timeout);
    if let Some(folder) = &args.socket_folder {
        builder = builder.socket_folder(folder.clone());
    }
    let component = builder.bind().await?;
    // Handlers first: a signal right after the `listening` line still
    // drains and removes the socket.
    let stop = anycall_dapr::shutdown_signal()?;
    super::print_out(&format!(
        "listening {}\n",
        component.socket_path().display()
    ))?;
    component.serve_with_shutdown(stop).await?;
    Ok(())
}
