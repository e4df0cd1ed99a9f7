//! The command line: raw arguments → a validated plan → a library call → output.

mod args;
mod bench;
mod call;
mod codec;
mod dapr;
mod demo;
mod describe;
mod fleet;
mod gateway;
#[cfg(feature = "grpc")]
mod grpc;
#[cfg(feature = "grpc")]
mod grpc_bench;
mod input;
mod limits;
mod serve;
mod stream;
mod thrift_grpc;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser};

pub use args::Cli;
use args::Command;

/// How a run ended, as the process exit code (grpcurl's scheme):
///
/// | code | meaning |
/// |---|---|
/// | 0 | success |
/// | 1 | local, IDL or transport failure |
/// | 2 | usage |
/// | 3 | the service answered with a declared IDL exception |
/// | 64 + N | a `TApplicationException` of type N (255 for N above 191) |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0
    Ok,
    /// 1
    Failure,
    /// 2
    Usage,
    /// 3
    Declared,
    /// 4: a Kitex business status error.
    BizStatus,
    /// 64 + the exception type.
    Remote(i32),
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Declared => 3,
            Exit::BizStatus => 4,
            Exit::Remote(n) => u8::try_from(64 + i64::from(n.max(0))).unwrap_or(255),
        })
    }
}

/// An error with the exit code it maps to. `error` is `None` when the
/// output already said everything (a declared exception on stdout).
#[derive(Debug)]
pub struct CliError {
    exit: Exit,
    error: Option<anyhow::Error>,
}

impl CliError {
    fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Usage,
            error: Some(error.into()),
        }
    }

    fn exit(exit: Exit, error: Option<anyhow::Error>) -> Self {
        Self { exit, error }
    }
}

impl<E: Into<anyhow::Error>> From<E> for CliError {
    fn from(e: E) -> Self {
        Self {
            exit: Exit::Failure,
            error: Some(e.into()),
        }
    }
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match runtime() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => Err(CliError::from(e)),
    };
    match result {
        Ok(()) => Exit::Ok.into(),
        // A reader that stopped early (`anycall list | head`): end quietly,
        // as other Unix tools do.
        Err(e) if e.error.as_ref().is_some_and(is_broken_pipe) => Exit::Ok.into(),
        Err(e) => {
            if let Some(err) = &e.error {
                eprintln!("error: {err:#}{}", hint(err));
            }
            e.exit.into()
        }
    }
}

/// A hint naming the flag that avoids an error, or nothing.
fn hint(e: &anyhow::Error) -> &'static str {
    if format!("{e:#}").contains("has no JSON form") {
        " (pass --non-finite to print it as \"NaN\", \"Infinity\" or \"-Infinity\")"
    } else {
        ""
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes `text` to stdout and flushes it. Unlike `print!`, a closed
/// stdout is an error (ending the run quietly), not a panic.
pub(crate) fn print_out(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Log lines held for stderr before new ones are dropped (and counted).
pub const LOG_BUFFER_LINES: usize = 8192;

static LOG_ERRORS: std::sync::OnceLock<tracing_appender::non_blocking::ErrorCounter> =
    std::sync::OnceLock::new();

/// Log lines dropped so far because stderr did not keep up.
pub(crate) fn dropped_log_lines() -> usize {
    LOG_ERRORS.get().map_or(0, |c| c.dropped_lines())
}

/// Logs go to stderr through a writer thread, so a slow or unread stderr
/// never stalls a call: past [`LOG_BUFFER_LINES`] waiting lines, new ones
/// are dropped and counted. `ANYCALL_LOG` (or `RUST_LOG`) sets the filter,
/// default `default` (e.g. `info` for servers). Keep the guard until exit:
/// dropping it flushes what is buffered.
fn init_logs(default: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = std::env::var("ANYCALL_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.to_owned());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .thread_name("anycall-log")
        .finish(std::io::stderr());
    let _ = LOG_ERRORS.set(writer.error_counter());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .ok()
        .map(|()| guard)
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Describe(a) => describe::describe(&a).await,
        Command::List(a) => describe::list(&a).await,
        Command::Encode(a) => codec::encode(&a),
        Command::Decode(a) => codec::decode(&a),
        Command::Call(a) => {
            let _logs = init_logs("warn");
            call::call(&a).await
        }
        Command::Serve(a) => {
            let _logs = init_logs("info");
            serve::serve(&a).await
        }
        Command::Proxy(a) => {
            let _logs = init_logs("info");
            serve::proxy(&a).await
        }
        Command::Gateway(a) => {
            let _logs = init_logs("info");
            gateway::gateway(&a).await
        }
        Command::Register(a) => {
            let _logs = init_logs("warn");
            fleet::register_cmd(&a).await
        }
        Command::Completions(a) => {
            let mut cmd = Cli::command();
            clap_complete::generate(a.shell, &mut cmd, "anycall", &mut std::io::stdout());
            Ok(())
        }
        Command::Demo(a) => demo::run(&a).await,
        Command::Dapr(a) => {
            let _logs = init_logs("info");
            dapr::dapr(&a).await
        }
        Command::Bench(a) => {
            let _logs = init_logs("warn");
            bench::bench(&a).await
        }
    }
}
