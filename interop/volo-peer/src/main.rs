//! Volo echo peer for anycall's interop tests: `volo-peer server` serves
//! `EchoService` from testdata/interop/echo.thrift with Volo's generated code,
//! `volo-peer client` runs testdata/interop/script.json against any server of
//! that IDL. Command lines and output are described in interop/README.md.

mod client;
mod json;
mod server;

#[allow(clippy::all, warnings)]
mod idl {
    include!(concat!(env!("OUT_DIR"), "/echo_gen.rs"));
}

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  volo-peer server [--addr HOST:PORT] [--keep-stdin]
      Serves EchoService (Binary protocol; TTHeader, Framed and Buffered are detected
      per connection). Prints `listening HOST:PORT` once bound; exits when stdin
      reaches end of file (unless --keep-stdin) or on SIGINT/SIGTERM.
      Default address 127.0.0.1:0.
  volo-peer client --addr HOST:PORT [--transport ttheader|framed|buffered]
      Runs the interop script and prints one JSON line per call; exits 0 only when
      every call gave the expected outcome. Default transport ttheader.";

struct Args {
    cmd: String,
    addr: Option<String>,
    transport: String,
    keep_stdin: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().ok_or("missing subcommand")?;
    let mut args = Args {
        cmd,
        addr: None,
        transport: "ttheader".into(),
        keep_stdin: false,
    };
    while let Some(a) = it.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (a.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match key.as_str() {
            "--addr" => args.addr = Some(value("--addr")?),
            "--transport" => args.transport = value("--transport")?,
            "--protocol" => {
                let p = value("--protocol")?;
                if p != "binary" {
                    return Err(format!("unsupported protocol {p:?}: the Volo peer speaks binary only"));
                }
            }
            "--keep-stdin" => args.keep_stdin = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("volo-peer: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = match args.cmd.as_str() {
        "server" => {
            let addr = args.addr.unwrap_or_else(|| "127.0.0.1:0".into());
            rt.block_on(server::run(&addr, !args.keep_stdin))
                .map(|()| true)
        }
        "client" => {
            let Some(addr) = args.addr else {
                eprintln!("volo-peer: client needs --addr\n{USAGE}");
                return ExitCode::from(2);
            };
            rt.block_on(client::run(&addr, &args.transport))
        }
        other => {
            eprintln!("volo-peer: unknown subcommand {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("volo-peer: {e:#}");
            ExitCode::from(2)
        }
    }
}
