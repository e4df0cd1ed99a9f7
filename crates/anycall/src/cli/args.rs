//! Raw command-line arguments, as clap parses them.

use std::path::PathBuf;
use std::time::Duration;

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
    /// Call a method of a Thrift server with JSON arguments.
    #[command(after_help = "Examples:
  anycall call --idl echo.thrift 127.0.0.1:8888 EchoService/Echo -d '{\"message\": \"hi\"}'
  anycall call --idl echo.thrift h1:8888,h2:8888 EchoService/Add -d @args.json --transport ttheader
  echo '{\"a\": 1, \"b\": 2}' | anycall call --idl echo.thrift EchoService/Add -d @-
  anycall call 127.0.0.1:8888 --raw -d @call.bin > reply.bin

Exit codes: 0 success, 1 local or transport failure, 2 usage, 3 a declared
IDL exception (printed as JSON on stdout), 64+N a TApplicationException of type N.")]
    Call(CallArgs),
    /// Serve an IDL with canned, echoed or generated answers, on every transport at once.
    #[command(after_help = "Examples:
  anycall serve --idl echo.thrift --listen 127.0.0.1:8888 --echo
  anycall serve --idl echo.thrift --listen 0.0.0.0:8888 --mock answers.json

A mock file maps \"Service/Method\" (or \"Method\") to the success value, to null
for void, or to {\"exception\": \"<throws field name>\", \"value\": {...}}.")]
    Serve(ServeArgs),
    /// Forward Thrift calls to upstream servers without decoding them.
    #[command(after_help = "Examples:
  anycall proxy --listen 127.0.0.1:9999 --upstream 10.0.0.1:8888,10.0.0.2:8888
  anycall proxy --listen 127.0.0.1:9999 --upstream 127.0.0.1:8888 --upstream-transport ttheader
  anycall proxy --listen 127.0.0.1:9999 --upstream etcd://127.0.0.1:2379/echo \
      --register etcd://127.0.0.1:2379/echo-proxy --failover unanswered

SIGUSR1 prints a JSON report (calls per upstream) on stdout; so does stopping.")]
    Proxy(ProxyArgs),
    /// Serve Thrift services as an HTTP/JSON API, routed by their api.* annotations.
    #[command(after_help = "Examples:
  anycall gateway --idl biz.thrift --listen 127.0.0.1:8080 --upstream 127.0.0.1:8888
  anycall gateway --config gateway.toml --watch --admin 127.0.0.1:9090
  anycall gateway --idl biz.thrift --routes

A config file lists backends on one listener, each a [[backend]] table with
idl, include (list), service, upstream, transport, protocol and timeout.")]
    Gateway(super::gateway::GatewayArgs),
    /// Serve the Dapr output binding bindings.kitex as a pluggable component.
    #[command(after_help = "Examples:
  anycall dapr                                   # /tmp/dapr-components-sockets/kitex.sock
  DAPR_COMPONENTS_SOCKETS_FOLDER=/var/run/dapr anycall dapr --name kitex

Component YAML: type bindings.<NAME>, version v1; metadata keys in README (Dapr).")]
    Dapr(super::dapr::DaprArgs),
    /// Keep another server's address registered in etcd (kitex-contrib/registry-etcd layout).
    #[command(after_help = "Example:
  anycall register etcd://127.0.0.1:2379/echo --address 127.0.0.1:8888 --weight 20")]
    Register(super::fleet::RegisterCmdArgs),
    /// Print a shell completion script.
    #[command(after_help = "Example:
  anycall completions bash > /etc/bash_completion.d/anycall")]
    Completions(CompletionsArgs),
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
    /// Load-test a method: many concurrent calls, then QPS and latency percentiles.
    #[command(after_help = "Examples:
  anycall bench --idl echo.thrift 127.0.0.1:8888 EchoService/Echo -d @req.json --duration 10s -c 100
  anycall bench --idl echo.thrift EchoService/Add -d '{\"a\": 1, \"b\": 2}' -n 100000 --mode binary -o json

Modes: json transcodes the JSON and renders the reply on every call; value
converts the JSON to a Value once and encodes it on every call; binary encodes
once and sends the same bytes (new seq id), reading replies only to the envelope.")]
    Bench(BenchArgs),
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

/// Where the IDL comes from, when a gRPC server's reflection can stand in.
#[derive(Debug, Args)]
pub(crate) struct OptIdlArgs {
    /// The main IDL file: Thrift, or protobuf (`.proto`). Without it, the
    /// first argument is a gRPC server's ADDR, asked by reflection.
    #[arg(long, value_name = "FILE")]
    pub(crate) idl: Option<PathBuf>,
    /// A directory searched for includes (imports for `.proto`), after the
    /// including file's own directory (repeatable, searched in order).
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    pub(crate) include: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    #[command(flatten)]
    pub(crate) idl: OptIdlArgs,
    /// SERVICE, SERVICE/METHOD or TYPE (`Item`, `module.Item`); everything when omitted.
    /// Without --idl: the gRPC server's ADDR.
    pub(crate) target: Option<String>,
    /// Without --idl: the SYMBOL to describe (service, Service/Method or message).
    pub(crate) symbol: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) idl: OptIdlArgs,
    /// Without --idl: a gRPC server's ADDR, listed by reflection.
    pub(crate) addr: Option<String>,
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
    /// Print NaN and infinite doubles as the strings "NaN", "Infinity" and
    /// "-Infinity" (JSON has no numbers for them; they are always accepted
    /// as input in that form).
    #[arg(long)]
    pub(crate) non_finite: bool,
    /// Deepest nesting accepted, counting each struct and each list, set
    /// or map as one level (the outermost struct is level 1), in JSON input
    /// and in Thrift bytes read [default: 64].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) max_depth: Option<u16>,
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
            non_finite: if self.non_finite {
                anycall_codec::NonFinite::String
            } else {
                base.non_finite
            },
            max_depth: self.max_depth.map_or(base.max_depth, usize::from),
            ..base
        }
    }

    /// Decoder limits: the defaults, with `--max-depth`.
    pub(crate) fn limits(&self) -> anycall_codec::Limits {
        limits_for(&self.options())
    }
}

/// Decoder limits whose depth follows `options.max_depth`.
pub(crate) fn limits_for(options: &anycall_codec::Options) -> anycall_codec::Limits {
    anycall_codec::Limits {
        max_depth: options.max_depth,
        ..anycall_codec::Limits::default()
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

/// Transport framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TransportArg {
    /// 4-byte length + message: every Kitex, Volo and framed Apache server takes it.
    Framed,
    /// The bare message (Apache's default; Kitex calls it PurePayload).
    Buffered,
    /// Kitex's TTHeader (carries metainfo).
    Ttheader,
    /// TTHeader with a framed message inside.
    TtheaderFramed,
    /// Apache Thrift's THeader (magic 0x0FFF; carries string headers).
    Theader,
    /// Kitex TTHeader Streaming for streaming methods (`streaming.mode`);
    /// other methods go ping-pong over TTHeader.
    TtheaderStreaming,
    /// Thrift over gRPC (`application/grpc+thrift`, Kitex's
    /// `transport.GRPC`) for every method (call and bench).
    Grpc,
}

impl From<TransportArg> for anycall_rpc::Transport {
    fn from(t: TransportArg) -> Self {
        match t {
            // Thrift over gRPC has its own client; a ping-pong transport is
            // only asked of it by commands that refuse it first.
            TransportArg::Framed | TransportArg::Grpc => Self::Framed,
            TransportArg::Buffered => Self::Buffered,
            // Ping-pong methods under ttheader-streaming go over TTHeader.
            TransportArg::Ttheader | TransportArg::TtheaderStreaming => Self::TTHeader,
            TransportArg::TtheaderFramed => Self::TTHeaderFramed,
            TransportArg::Theader => Self::THeader,
        }
    }
}

impl TransportArg {
    /// Refuses `grpc` where only the ping-pong transports apply, with
    /// `why` as the error.
    pub(crate) fn ping_pong(self, why: &str) -> anyhow::Result<Self> {
        if self == Self::Grpc {
            anyhow::bail!("{why}");
        }
        Ok(self)
    }
}

/// `key=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyValue(pub(crate) String, pub(crate) String);

impl std::str::FromStr for KeyValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(Self(k.to_owned(), v.to_owned())),
            _ => Err(format!("expected key=value, found {s:?}")),
        }
    }
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("expected a duration like 500ms, 2s or 1m, found {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}

#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// [ADDR] SERVICE/METHOD. ADDR is one or more host:port separated by
    /// commas, dns://NAME:PORT or etcd://HOST:PORT/SERVICE (default 127.0.0.1:8888). With --raw only ADDR is given.
    #[arg(value_name = "ARGS", num_args = 0..=2)]
    pub(crate) positional: Vec<String>,
    /// The main IDL file: Thrift, or `.proto` for gRPC (not needed with
    /// --raw; without it, a gRPC server is asked by reflection).
    #[arg(long, value_name = "FILE")]
    pub(crate) idl: Option<PathBuf>,
    /// A directory searched for includes (repeatable).
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    pub(crate) include: Vec<PathBuf>,
    /// The arguments as JSON: inline, `@FILE`, or `@-` for stdin. Without it,
    /// stdin is read; on a terminal, one JSON request per line (interactive).
    #[arg(short = 'd', long = "data", value_name = "JSON|@FILE|@-")]
    pub(crate) data: Option<String>,
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Transient metainfo `key=value` (TTHeader transports; repeatable).
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub(crate) meta: Vec<KeyValue>,
    /// Persistent metainfo `key=value` (TTHeader transports; repeatable).
    #[arg(long = "meta-persistent", value_name = "KEY=VALUE")]
    pub(crate) meta_persistent: Vec<KeyValue>,
    /// Output format (default: pretty on a terminal, compact otherwise).
    #[arg(long, short = 'o', value_enum)]
    pub(crate) output: Option<JsonOutput>,
    /// Show what was sent and received (transport, metainfo, backward values, timing) on stderr.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Send a ready Thrift message read from -d @FILE and write the reply bytes to stdout.
    #[arg(long)]
    pub(crate) raw: bool,
    /// gRPC metadata `name: value` (repeatable; `--meta name=value` too).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,
    /// gRPC: print fields that hold their zero value.
    #[arg(long)]
    pub(crate) emit_defaults: bool,
    /// A `.proto` unary method over Kitex Protobuf instead of gRPC
    /// (--transport framed or ttheader-framed).
    #[arg(long, requires = "idl")]
    pub(crate) kitex_protobuf: bool,
    #[command(flatten)]
    pub(crate) json: JsonArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) idl: IdlArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8888")]
    pub(crate) listen: String,
    /// Canned answers (see below); methods without one get --echo or IDL-built answers.
    #[arg(long, value_name = "FILE.json")]
    pub(crate) mock: Option<PathBuf>,
    /// Answer by copying request fields into the result where name and type
    /// match (otherwise: values built from the IDL's defaults and zero values).
    #[arg(long)]
    pub(crate) echo: bool,
    /// Reload the IDL when one of its files changes (SIGHUP reloads it
    /// with or without this); a reload that fails keeps the previous IDL
    /// and logs why. Calls in flight finish on the IDL they started with.
    #[arg(long)]
    pub(crate) watch: bool,
    #[command(flatten)]
    pub(crate) drain: super::serve::DrainArgs,
    #[command(flatten)]
    pub(crate) limits: super::limits::LimitArgs,
    #[command(flatten)]
    pub(crate) admin: super::limits::AdminArgs,
    #[command(flatten)]
    pub(crate) fleet: super::fleet::RegisterArgs,
    #[command(flatten)]
    pub(crate) json: JsonArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9999")]
    pub(crate) listen: String,
    /// Upstream servers: host:port separated by commas, dns://NAME:PORT or
    /// etcd://HOST:PORT[,HOST:PORT]/SERVICE (weighted round-robin).
    #[arg(long)]
    pub(crate) upstream: String,
    /// When an upstream connection fails before the reply.
    #[arg(long, value_enum, default_value_t = super::fleet::FailoverArg::Connect)]
    pub(crate) failover: super::fleet::FailoverArg,
    #[command(flatten)]
    pub(crate) fleet: super::fleet::RegisterArgs,
    /// Transport towards the upstream servers.
    #[arg(long, value_enum, default_value_t = TransportArg::Framed)]
    pub(crate) upstream_transport: TransportArg,
    /// Upstream RPC timeout.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub(crate) timeout: Duration,
    #[command(flatten)]
    pub(crate) drain: super::serve::DrainArgs,
    /// An IDL telling which methods are oneway (and their services); calls
    /// are forwarded as they are either way.
    #[arg(long, value_name = "FILE")]
    pub(crate) idl: Option<PathBuf>,
    /// A directory searched for includes of --idl (repeatable).
    #[arg(short = 'I', long = "include", value_name = "DIR", requires = "idl")]
    pub(crate) include: Vec<PathBuf>,
    /// Reload --idl when one of its files changes (see `serve --watch`);
    /// SIGHUP reloads it too.
    #[arg(long, requires = "idl")]
    pub(crate) watch: bool,
    /// Idle upstream connections kept per upstream address (enough that
    /// 256 calls at once reuse connections rather than open new ones).
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub(crate) upstream_pool: usize,
    /// How long an idle upstream connection is kept.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub(crate) upstream_idle_timeout: Duration,
    #[command(flatten)]
    pub(crate) limits: super::limits::LimitArgs,
    #[command(flatten)]
    pub(crate) admin: super::limits::AdminArgs,
}

/// How `bench` builds each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BenchMode {
    /// JSON in, JSON out, transcoded on every call (the request text is
    /// sent without its whitespace, as clients send it).
    Json,
    /// A `Value` built once, encoded on every call; replies decoded to `Value`.
    Value,
    /// Bytes encoded once; replies read only to the message header.
    Binary,
}

/// How `call` and `bench` reach the server.
#[derive(Debug, Args)]
pub(crate) struct ClientArgs {
    /// Transport framing.
    #[arg(long, value_enum, default_value_t = TransportArg::Framed)]
    pub(crate) transport: TransportArg,
    /// Thrift protocol.
    #[arg(long, value_enum, default_value_t = ProtocolArg::Binary)]
    pub(crate) protocol: ProtocolArg,
    /// RPC timeout of each call (e.g. 500ms, 2s).
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub(crate) timeout: Duration,
    /// Connect timeout.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub(crate) connect_timeout: Duration,
    /// Name methods `Service:method`, for Apache servers hosting several
    /// services (TMultiplexedProtocol).
    #[arg(long)]
    pub(crate) multiplexed: bool,
}

impl ClientArgs {
    /// A client builder for `hosts` with these settings and the JSON options.
    pub(crate) fn builder(&self, hosts: &str, json: &JsonArgs) -> anycall_rpc::ClientBuilder {
        anycall_rpc::Client::builder(hosts)
            .transport(self.transport.into())
            .protocol(self.protocol.into())
            .rpc_timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .multiplexed(self.multiplexed)
            .options(json.options())
            .limits(json.limits())
    }
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// [ADDR] SERVICE/METHOD. ADDR is one or more host:port separated by
    /// commas, dns://NAME:PORT or etcd://HOST:PORT/SERVICE (default 127.0.0.1:8888).
    #[arg(value_name = "ARGS", num_args = 1..=2, required = true)]
    pub(crate) positional: Vec<String>,
    #[command(flatten)]
    pub(crate) idl: IdlArgs,
    /// The arguments as JSON: inline, `@FILE`, or `@-` for stdin.
    #[arg(short = 'd', long = "data", value_name = "JSON|@FILE|@-")]
    pub(crate) data: String,
    /// How each request is built (see below).
    #[arg(long, value_enum, default_value_t = BenchMode::Json)]
    pub(crate) mode: BenchMode,
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Stop after this many calls [default: 200 when --duration is not given].
    #[arg(short = 'n', long, conflicts_with = "duration")]
    pub(crate) requests: Option<u64>,
    /// Stop after this long (e.g. 10s, 1m).
    #[arg(short = 'z', long, value_parser = parse_duration)]
    pub(crate) duration: Option<Duration>,
    /// Calls in flight at once.
    #[arg(short = 'c', long, default_value_t = 50)]
    pub(crate) concurrency: usize,
    /// Most connections open at once, per host [default: the concurrency].
    /// With fewer connections than --concurrency, calls wait for a free one
    /// (calls do not share a connection).
    #[arg(long)]
    pub(crate) connections: Option<usize>,
    /// Report format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
    #[command(flatten)]
    pub(crate) json: JsonArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("x").is_err());
    }

    #[test]
    fn key_values() {
        assert_eq!("a=b=c".parse(), Ok(KeyValue("a".into(), "b=c".into())));
        assert!("=x".parse::<KeyValue>().is_err());
        assert!("nokey".parse::<KeyValue>().is_err());
    }
}
