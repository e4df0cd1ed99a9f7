//! The bounds flags `serve`, `proxy` and `gateway` share, `--admin`, and the
//! file-descriptor limit raised at start.

use std::time::Duration;

use anycall_rpc::ServerLimits;
use anycall_rpc::limits::DEFAULT_MAX_CONNECTIONS;
use anycall_rpc::metrics::Registry;
use anyhow::Context as _;
use clap::Args;

use super::args::parse_duration;

/// Per-connection and server-wide bounds of a server.
#[derive(Debug, Clone, Args)]
pub(crate) struct LimitArgs {
    /// Close a connection whose reply the peer has not read within this
    /// long, freeing its buffers (the defaults are anycall_rpc::limits').
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub(crate) write_timeout: Duration,
    /// Close a new connection that has not sent a whole first request
    /// within this long (not restarted by each byte).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub(crate) header_timeout: Duration,
    /// Close a connection that sends no whole request for this long.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub(crate) idle_timeout: Duration,
    /// Connections served at once; more are accepted and closed at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub(crate) max_connections: usize,
    /// Largest request frame (gateway: request body), in bytes or with
    /// KiB/MiB/GiB; a larger one closes the connection (gateway: 413).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub(crate) max_frame_size: Option<usize>,
    /// Bytes that requests and replies in flight may hold, over all
    /// connections; past it the server stops reading new requests until
    /// some finish.
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "256MiB")]
    pub(crate) max_in_flight: usize,
    /// The listen backlog [default: the system's somaxconn].
    #[arg(long, value_name = "N")]
    pub(crate) backlog: Option<u32>,
}

impl LimitArgs {
    /// The bounds for an anycall-rpc server.
    pub(crate) fn server_limits(&self) -> ServerLimits {
        let d = ServerLimits::default();
        ServerLimits {
            max_frame_size: self.max_frame_size.unwrap_or(d.max_frame_size),
            max_connections: self.max_connections,
            idle_timeout: self.idle_timeout,
            header_timeout: self.header_timeout,
            write_timeout: self.write_timeout,
            max_in_flight_bytes: self.max_in_flight,
            backlog: self.backlog,
        }
    }
}

/// `4096`, `64KiB`, `16MiB`, `1GiB` (also `K`, `M`, `G`).
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    let at = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(at);
    let n: usize = num
        .parse()
        .map_err(|_| format!("expected a size like 4096, 64KiB or 16MiB, found {s:?}"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?} (use KiB, MiB or GiB)"
            ));
        }
    };
    n.checked_mul(1 << shift)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{s:?} is out of range"))
}

/// `--admin ADDR`: Prometheus metrics and a health check.
#[derive(Debug, Clone, Args)]
pub(crate) struct AdminArgs {
    /// Serve GET /metrics (Prometheus text) and GET /healthz on this address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) admin: Option<String>,
}

/// Starts the admin server of `args` on `registry`, its `/healthz` telling
/// `health`, until that turns `Stopped`; the address bound, for the
/// readiness line.
pub(crate) async fn start_admin(
    args: &AdminArgs,
    registry: Registry,
    health: tokio::sync::watch::Receiver<anycall_gateway::Health>,
) -> anyhow::Result<Option<std::net::SocketAddr>> {
    let Some(addr) = &args.admin else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (--admin)"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(anycall_gateway::serve_admin(registry, listener, health));
    Ok(Some(bound))
}

/// Raises the soft limit on open files to the hard limit, and logs both;
/// a server with the default soft limit (often 1,024) runs out of
/// descriptors far below `--max-connections`.
pub(crate) fn raise_open_files() {
    #[cfg(unix)]
    match rlimit::Resource::NOFILE.get() {
        Ok((soft, hard)) if soft < hard => match rlimit::increase_nofile_limit(hard) {
            Ok(now) => tracing::info!(from = soft, to = now, hard, "open files limit raised"),
            Err(e) => tracing::warn!(soft, hard, error = %e, "cannot raise the open files limit"),
        },
        Ok((soft, hard)) => tracing::info!(soft, hard, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot read the open files limit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(
            parse_size("12 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_size("MiB").is_err());
    }

    #[test]
    fn the_flags_default_to_the_library_defaults() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            limits: LimitArgs,
        }
        let cli = Cli::parse_from(["x"]);
        assert_eq!(cli.limits.server_limits(), ServerLimits::default());
    }
}
