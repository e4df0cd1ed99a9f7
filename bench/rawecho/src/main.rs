//! The machine's limit for bench/run (P5): a TCP echo of length-prefixed
//! frames with no Thrift at all, on the same tokio runtime (2 worker
//! threads) as the other processes of the benchmark.
//!
//! ```text
//! +----------------+-----------------+
//! | length: u32 BE | length bytes    |   request and reply alike
//! +----------------+-----------------+
//! ```
//!
//! `rawecho server [--addr HOST:PORT]` prints `listening HOST:PORT`, answers
//! every frame with the same frame, and exits when stdin reaches end of file.
//! `rawecho client --addr HOST:PORT [--size BYTES] [--concurrency C]
//! (--requests N | --duration D)` keeps one connection per worker and
//! prints one JSON line like `anycall bench --output json`.
//!
//! `rawecho rpc-server --idl FILE --reply JSON [--addr HOST:PORT]` is the
//! other end of the split: the anycall-rpc server in binary mode (transport
//! detection, framing, message header, routing, handler, reply frame)
//! answering every call with one REPLY to `EchoService.Echo` encoded at
//! start from the JSON file, so no argument is decoded and no result
//! encoded. Between it, `anycall serve --echo` and the raw echo, bench/run
//! tells the RPC stack's cost from the codec's.

#[path = "../../load.rs"]
mod load;

use std::io::{Read as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

const USAGE: &str = "usage:
  rawecho server [--addr HOST:PORT]
  rawecho rpc-server --idl FILE --reply JSON [--addr HOST:PORT]
  rawecho client --addr HOST:PORT [--size BYTES] [--concurrency C] (--requests N | --duration D)";

/// Read buffer size: a whole small frame in one read.
const READ_CHUNK: usize = 16 * 1024;

/// The next whole frame at the start of `buf`, as its total length.
fn frame_len(buf: &[u8]) -> Option<usize> {
    let head: [u8; 4] = buf.get(..4)?.try_into().ok()?;
    let total = 4 + u32::from_be_bytes(head) as usize;
    (buf.len() >= total).then_some(total)
}

/// Reads until `buf` starts with a whole frame; `None` on end of stream.
async fn read_frame(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<usize>> {
    loop {
        if let Some(n) = frame_len(buf) {
            return Ok(Some(n));
        }
        // Reads into spare capacity (no zeroing), as anycall's connections do.
        if buf.capacity() - buf.len() < READ_CHUNK / 2 {
            buf.reserve(READ_CHUNK);
        }
        let n = stream.read_buf(buf).await?;
        if n == 0 {
            return Ok(None);
        }
    }
}

async fn serve_conn(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(READ_CHUNK);
    while let Some(n) = read_frame(&mut stream, &mut buf).await? {
        stream.write_all(&buf[..n]).await?;
        buf.drain(..n);
    }
    Ok(())
}

async fn server(addr: &str) -> Result<(), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    announce(listener.local_addr().map_err(|e| e.to_string())?)?;
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = serve_conn(stream).await;
        });
    }
}

/// Prints the address once bound and exits when stdin reaches end of file.
fn announce(local: std::net::SocketAddr) -> Result<(), String> {
    println!("listening {local}");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    std::thread::spawn(|| {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
    Ok(())
}

/// Answers every call with the same REPLY message (the server sets its
/// seq id).
struct FixedReply(bytes::Bytes);

impl anycall_rpc::Handler for FixedReply {
    async fn call(
        &self,
        _ctx: &mut anycall_rpc::Context,
        _method: &str,
        _payload: anycall_rpc::Payload,
    ) -> Result<anycall_rpc::Reply<anycall_rpc::Payload>, anycall_rpc::HandlerError> {
        Ok(anycall_rpc::Reply::Success(anycall_rpc::Payload::Binary(
            self.0.clone(),
        )))
    }
}

async fn rpc_server(addr: &str, idl: &str, reply: &str) -> Result<(), String> {
    let pool = anycall_idl::Loader::new()
        .load(idl)
        .map_err(|e| format!("{idl}: {e}"))?;
    let echo = pool
        .service("EchoService")
        .and_then(|s| s.method("Echo"))
        .ok_or("the IDL has no EchoService.Echo")?;
    let json = std::fs::read_to_string(reply).map_err(|e| format!("{reply}: {e}"))?;
    let mut message = bytes::BytesMut::new();
    anycall_codec::call::encode_reply_json(
        echo,
        &anycall_rpc::Reply::Success(json.as_str()),
        0,
        anycall_rpc::Protocol::Binary,
        &anycall_codec::Options::lenient(),
        &mut message,
    )
    .map_err(|e| format!("encoding the reply: {e}"))?;
    let handle = anycall_rpc::Server::builder(anycall_rpc::Mode::Binary)
        .bind(addr, FixedReply(message.freeze()))
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    announce(handle.local_addr())?;
    std::future::pending::<()>().await;
    Ok(())
}

/// One connection of the client: its stream and read buffer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

async fn client(addr: &str, size: usize, concurrency: usize, stop: load::Stop) -> Result<(), String> {
    let len = u32::try_from(size).map_err(|_| "--size too large")?;
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend((0..size).map(|i| (i % 251) as u8));
    let frame: Arc<[u8]> = frame.into();
    // One connection per worker, made before the clock starts (a pool that
    // is already warm, as in the other clients after their probe call).
    let mut conns = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        conns.push(Mutex::new(Conn {
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
        }));
    }
    let conns: Vec<Arc<Mutex<Conn>>> = conns.into_iter().map(Arc::new).collect();
    // Worker i owns connection i; the lock is never contended.
    let make = |i: usize| {
        let (conn, frame) = (conns[i].clone(), frame.clone());
        move || {
            let (conn, frame) = (conn.clone(), frame.clone());
            async move {
                let mut conn = conn.lock().await;
                let Conn { stream, buf } = &mut *conn;
                stream.write_all(&frame).await.map_err(|e| e.to_string())?;
                match read_frame(stream, buf).await.map_err(|e| e.to_string())? {
                    Some(n) if n == frame.len() => {
                        buf.drain(..n);
                        Ok(())
                    }
                    Some(n) => Err(format!("echoed frame of {n} bytes, sent {}", frame.len())),
                    None => Err("server closed the connection".into()),
                }
            }
        }
    };
    println!("{}", load::run("rawecho", concurrency, stop, make).await);
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let (mut addr, mut size, mut concurrency) = (None, 1024usize, 50usize);
    let (mut idl, mut reply) = (None, None);
    let (mut requests, mut duration) = (None, None);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match a.as_str() {
            "--addr" => addr = Some(value()),
            "--size" => size = value().parse().unwrap_or(0),
            "--concurrency" | "-c" => concurrency = value().parse().unwrap_or(0),
            "--requests" | "-n" => requests = Some(value()),
            "--duration" | "-z" => duration = Some(value()),
            "--idl" => idl = Some(value()),
            "--reply" => reply = Some(value()),
            _ => {
                eprintln!("rawecho: unknown argument {a:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = match (cmd.as_str(), addr) {
        ("server", addr) => rt.block_on(server(addr.as_deref().unwrap_or("127.0.0.1:0"))),
        ("rpc-server", addr) if idl.is_some() && reply.is_some() => rt.block_on(rpc_server(
            addr.as_deref().unwrap_or("127.0.0.1:0"),
            idl.as_deref().unwrap_or_default(),
            reply.as_deref().unwrap_or_default(),
        )),
        ("client", Some(addr)) if size > 0 && concurrency > 0 => {
            match load::Stop::from_args(requests.as_deref(), duration.as_deref()) {
                Ok(stop) => rt.block_on(client(&addr, size, concurrency, stop)),
                Err(e) => Err(e),
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
            eprintln!("rawecho: {e}");
            ExitCode::from(1)
        }
    }
}
