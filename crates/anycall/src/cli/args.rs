//! Raw command-line arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Call, serve, forward and expose Thrift services without generated code.
#[derive(Debug, Parser)]
#[command(name = "anycall", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show services, methods and types of an IDL.
    #[command(after_help = "Examples:
  anycall describe --idl echo.thrift
  anycall describe --idl echo.thrift EchoService/Echo
  anycall describe --idl api/main.thrift -I api/include base.Base --output json")]
    Describe(DescribeArgs),
    /// List every method as Service/Method, one per line.
    #[command(after_help = "Example:
  anycall list --idl echo.thrift")]
    List(ListArgs),
    /// Walk through anycall on a bundled example IDL.
    Demo(DemoArgs),
}

/// Where the IDL comes from.
#[derive(Debug, Args)]
pub(crate) struct IdlArgs {
    /// The main Thrift IDL file.
    #[arg(long, value_name = "FILE")]
    pub(crate) idl: PathBuf,
    /// A directory searched for includes, after the including file's own
    /// directory (repeatable, searched in order).
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    pub(crate) include: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Human-readable text.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    #[command(flatten)]
    pub(crate) idl: IdlArgs,
    /// SERVICE, SERVICE/METHOD or TYPE (`Item`, `module.Item`); everything when omitted.
    pub(crate) target: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) idl: IdlArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {}
