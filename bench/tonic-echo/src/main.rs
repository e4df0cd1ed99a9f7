//! The gRPC baselines of bench/run: tonic generated code for
//! bench/grpc/echo.proto.
//!
//! `tonic-echo server [--addr HOST:PORT]` serves `bench.v1.Echo/Echo` (the
//! reply is the request), prints `listening HOST:PORT` and exits when stdin
//! reaches end of file. `tonic-echo client --addr HOST:PORT --data FILE
//! [--concurrency C] [--connections N] (--requests N | --duration D)` calls
//! it with the request of FILE (proto3 JSON with the field names of the
//! .proto) from C tasks over N HTTP/2 connections (default 1, as ghz and
//! `anycall bench`), and prints one JSON line like `anycall bench --output
//! json`.

#[path = "../../load.rs"]
mod load;

use std::process::ExitCode;

use tokio::io::AsyncReadExt as _;

mod pb {
    tonic::include_proto!("bench.v1");
}

use pb::EchoRequest;
use pb::echo_client::EchoClient;
use pb::echo_server::{Echo, EchoServer};

const USAGE: &str = "usage:
  tonic-echo server [--addr HOST:PORT]
  tonic-echo client --addr HOST:PORT --data FILE [--concurrency C] [--connections N] (--requests N | --duration D)";

#[derive(Debug, Default)]
struct Echoer;

#[tonic::async_trait]
impl Echo for Echoer {
    async fn echo(
        &self,
        request: tonic::Request<EchoRequest>,
    ) -> Result<tonic::Response<EchoRequest>, tonic::Status> {
        Ok(tonic::Response::new(request.into_inner()))
    }
}

async fn server(addr: &str) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening {local}");
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let stdin_closed = async {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    };
    tonic::transport::Server::builder()
        .add_service(EchoServer::new(Echoer))
        .serve_with_incoming_shutdown(incoming, stdin_closed)
        .await
        .map_err(|e| e.to_string())
}

async fn client(
    addr: &str,
    data: &str,
    concurrency: usize,
    connections: usize,
    stop: load::Stop,
) -> Result<(), String> {
    let text = std::fs::read_to_string(data).map_err(|e| format!("{data}: {e}"))?;
    let request: EchoRequest = serde_json::from_str(&text).map_err(|e| format!("{data}: {e}"))?;
    let mut clients = Vec::new();
    for _ in 0..connections {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| e.to_string())?
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        clients.push(EchoClient::new(channel));
    }
    // One call first, so that a bad address fails at once.
    clients[0]
        .clone()
        .echo(request.clone())
        .await
        .map_err(|s| format!("first call: {s}"))?;
    let make = |i: usize| {
        let client = clients[i % clients.len()].clone();
        let request = request.clone();
        move || {
            let mut client = client.clone();
            let request = request.clone();
            async move {
                client
                    .echo(request)
                    .await
                    .map(drop)
                    .map_err(|s| s.to_string())
            }
        }
    };
    println!("{}", load::run("tonic-echo", concurrency, stop, make).await);
    Ok(())
}

fn value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main(worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = |name: &str, default: usize| -> Result<usize, String> {
        value(&args, name).map_or(Ok(default), |v| {
            v.parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name}: expected a positive count, found {v:?}"))
        })
    };
    let result = match args.first().map(String::as_str) {
        Some("server") => {
            server(&value(&args, "--addr").unwrap_or_else(|| "127.0.0.1:0".into())).await
        }
        Some("client") => {
            let (Some(addr), Some(data)) = (value(&args, "--addr"), value(&args, "--data")) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            match (
                count("--concurrency", 50),
                count("--connections", 1),
                load::Stop::from_args(
                    value(&args, "--requests").as_deref(),
                    value(&args, "--duration").as_deref(),
                ),
            ) {
                (Ok(c), Ok(n), Ok(stop)) => client(&addr, &data, c, n, stop).await,
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
            }
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tonic-echo: {e}");
            ExitCode::FAILURE
        }
    }
}
