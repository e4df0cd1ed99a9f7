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
    /// Encode JSON to Thrift bytes, offline (like `protoc --encode`).
    #[command(after_help = "Examples:
  anycall encode --idl echo.thrift Item -d '{\"id\": 1}' > item.bin
  anycall encode --idl echo.thrift EchoService/Echo -d @req.json --hex
  anycall encode --idl echo.thrift EchoService/Echo --message reply -d '{\"success\": {}}'")]
    Encode(EncodeArgs),
    /// Decode Thrift bytes from stdin to JSON, offline (like `protoc --decode`).
    #[command(after_help = "Examples:
  anycall decode --idl echo.thrift Item < item.bin
  anycall encode --idl echo.thrift EchoService/Echo -d '{}' | anycall decode --idl echo.thrift EchoService/Echo")]
    Decode(DecodeArgs),
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

/// Thrift protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProtocolArg {
    /// Binary (strict), what Kitex speaks.
    Binary,
    /// Compact.
    Compact,
}

impl From<ProtocolArg> for anycall_codec::thrift::Protocol {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Binary => Self::Binary,
            ProtocolArg::Compact => Self::Compact,
        }
    }
}

/// Which message of a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MessageArg {
    /// A CALL (or ONEWAY) with the arguments.
    Call,
    /// A REPLY with `{"success": ...}` or `{"<exception>": ...}`.
    Reply,
}

/// How JSON is read and written.
#[derive(Debug, Clone, Args)]
pub(crate) struct JsonArgs {
    /// Kitex's loose rules: skip unknown fields, write zero values for
    /// missing required fields.
    #[arg(long)]
    pub(crate) lenient: bool,
    /// Render i64 as JSON strings (for JavaScript consumers).
    #[arg(long)]
    pub(crate) i64_as_string: bool,
    /// Render enums by name instead of number.
    #[arg(long)]
    pub(crate) enum_names: bool,
    /// Always use `{"param": ...}` for arguments, even for a single struct
    /// parameter.
    #[arg(long)]
    pub(crate) keyed_args: bool,
}

impl JsonArgs {
    pub(crate) fn options(&self) -> anycall_codec::Options {
        let base = if self.lenient {
            anycall_codec::Options::lenient()
        } else {
            anycall_codec::Options::default()
        };
        anycall_codec::Options {
            i64_as_string: self.i64_as_string,
            enum_as_name: self.enum_names,
            keyed_args: self.keyed_args,
            ..base
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct EncodeArgs {
    #[command(flatten)]
    pub(crate) idl: IdlArgs,
    /// A type (`Item`, `module.Item`) for a bare struct, or SERVICE/METHOD for a message.
    pub(crate) target: String,
    /// The JSON: inline, `@FILE`, or `@-` for stdin (default: stdin).
    #[arg(short = 'd', long = "data", value_name = "JSON|@FILE|@-")]
    pub(crate) data: Option<String>,
    /// Thrift protocol.
    #[arg(long, value_enum, default_value_t = ProtocolArg::Binary)]
    pub(crate) protocol: ProtocolArg,
    /// For SERVICE/METHOD: which message.
    #[arg(long, value_enum, default_value_t = MessageArg::Call)]
    pub(crate) message: MessageArg,
    /// Sequence id written in the message header.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub(crate) seq_id: i32,
    /// Print hex text instead of raw bytes.
    #[arg(long)]
    pub(crate) hex: bool,
    #[command(flatten)]
    pub(crate) json: JsonArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    #[command(flatten)]
    pub(crate) idl: IdlArgs,
    /// A type (`Item`, `module.Item`) for a bare struct, or SERVICE/METHOD for a message.
    pub(crate) target: String,
    /// Thrift protocol.
    #[arg(long, value_enum, default_value_t = ProtocolArg::Binary)]
    pub(crate) protocol: ProtocolArg,
    /// Read hex text (whitespace ignored) instead of raw bytes.
    #[arg(long)]
    pub(crate) hex: bool,
    /// Output format (default: pretty on a terminal, compact otherwise).
    #[arg(long, short = 'o', value_enum)]
    pub(crate) output: Option<JsonOutput>,
    #[command(flatten)]
    pub(crate) json: JsonArgs,
}

/// JSON output style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum JsonOutput {
    /// Indented JSON.
    Pretty,
    /// One line of JSON.
    Json,
}
