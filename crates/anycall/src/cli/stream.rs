//! `anycall call` on streaming Thrift methods (`streaming.mode`): Kitex
//! TTHeader Streaming or Thrift over gRPC (`--transport grpc`), several `-d` JSON values sent as they are read, one
//! JSON line per reply; and the stream side of `anycall serve`.

use std::io::Write as _;

use anycall_codec::Options;
use anycall_codec::call::Reply;
use anycall_codec::dynamic::value::{example_value, to_json};
use anycall_idl::{Pool, StreamingMode};
use anycall_rpc::ttstream::{Replies, Requests, StreamCall, StreamServer};
use anycall_rpc::{HandlerError, Idl, Mode, Payload, TApplicationExceptionType};
use anyhow::{Context as _, anyhow};

use super::CliError;
use super::args::{CallArgs, TransportArg};
use super::call::call_failed;
use super::thrift_grpc::{Dial, Streams};
use crate::mock::{Canned, MockBook};

/// Whether `service.method` is called as a stream: it is a client, server
/// or bidirectional method (whatever the transport), or the transport is
/// ttheader-streaming and the method is one of those.
pub(crate) fn is_stream_call(_a: &CallArgs, pool: &Pool, service: &str, method: &str) -> bool {
    pool.service(service)
        .and_then(|s| s.method(method))
        .is_some_and(|m| m.streaming().is_streaming())
}

fn print(json: &str, pretty: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    if pretty {
        let v: serde_json::Value = serde_json::from_str(json).map_err(anyhow::Error::from)?;
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).map_err(anyhow::Error::from)?
        )
    } else {
        writeln!(out, "{json}")
    }
    .map_err(anyhow::Error::from)?;
    out.flush().map_err(anyhow::Error::from)?;
    Ok(())
}

fn text(p: Payload) -> Result<String, CliError> {
    match p {
        Payload::Json(t) => Ok(t),
        other => Err(anyhow!("unexpected {} reply", other.mode_name()).into()),
    }
}

/// `anycall call` on a streaming method.
pub(crate) async fn call(
    a: &CallArgs,
    addr: &str,
    pool: &Pool,
    service: &str,
    method: &str,
    pretty: bool,
) -> Result<(), CliError> {
    if !matches!(
        a.client.transport,
        TransportArg::TtheaderStreaming
            | TransportArg::Framed
            | TransportArg::Ttheader
            | TransportArg::Grpc
    ) {
        return Err(CliError::usage(anyhow!(
            "`{method}` is a streaming method: use --transport ttheader-streaming or grpc"
        )));
    }
    let kind = pool
        .service(service)
        .and_then(|s| s.method(method))
        .map_or(StreamingMode::None, |m| m.streaming());
    let client = Streams::connect(
        Dial {
            addr,
            pool,
            service,
            mode: Mode::Json,
            options: a.json.options(),
            limits: a.json.limits(),
            connect_timeout: a.client.connect_timeout,
            timeout: Some(a.client.timeout),
            meta: &a.meta,
            meta_persistent: &a.meta_persistent,
        },
        a.client.transport == TransportArg::Grpc,
    )
    .await?;
    let mut input = super::input::json_values(a.data.as_deref(), |text, _| Ok(text))?;
    let fail = |e| call_failed(e, addr);
    let mut sent = 0usize;
    let mut replies = 0usize;
    match kind {
        StreamingMode::Server => {
            let first = input
                .recv()
                .await
                .transpose()?
                .unwrap_or_else(|| "{}".to_owned());
            if input.recv().await.is_some() {
                return Err(CliError::usage(anyhow!(
                    "`{method}` is a server-streaming method: it takes one request"
                )));
            }
            sent = 1;
            let mut s = client
                .server_streaming(method, Payload::Json(first))
                .await
                .map_err(fail)?;
            while let Some(p) = s.recv().await.map_err(fail)? {
                print(&text(p)?, pretty)?;
                replies += 1;
            }
        }
        StreamingMode::Client => {
            let mut s = client.client_streaming(method).await.map_err(fail)?;
            while let Some(v) = input.recv().await {
                s.send(Payload::Json(v?)).await.map_err(fail)?;
                sent += 1;
            }
            print(&text(s.close_and_recv().await.map_err(fail)?)?, pretty)?;
            replies = 1;
        }
        _ => {
            let mut s = client.bidi(method).await.map_err(fail)?;
            let mut input_open = true;
            loop {
                tokio::select! {
                    v = input.recv(), if input_open => match v {
                        Some(v) => {
                            s.send(Payload::Json(v?)).await.map_err(fail)?;
                            sent += 1;
                        }
                        None => {
                            input_open = false;
                            s.close_send().await.map_err(fail)?;
                        }
                    },
                    r = s.recv() => match r.map_err(fail)? {
                        Some(p) => {
                            print(&text(p)?, pretty)?;
                            replies += 1;
                        }
                        None => break,
                    },
                }
            }
        }
    }
    if a.verbose {
        eprintln!("< {sent} request(s), {replies} reply message(s) ({kind} streaming)");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// serve

/// The stream side of `anycall serve`: canned answers from the mock file
/// (a JSON list is sent as that many messages, an object as one,
/// `{"biz_status": ...}` and `{"error": {"type": N, "message": M}}` end the
/// stream with that error), else `--echo` (each request answered with
/// itself, under the response type), else a value built from the IDL.
pub(crate) fn stream_server(
    idl: Idl,
    book: Option<MockBook>,
    echo: bool,
    options: Options,
) -> StreamServer {
    let pool_src = idl.clone();
    let handler = move |call: StreamCall, reqs: Requests, replies: Replies| {
        let pool = pool_src.pool();
        let book = book.clone();
        async move { serve_stream(pool, book.as_ref(), echo, options, call, reqs, replies).await }
    };
    // Echo answers a request under the response type: fields the response
    // lacks are skipped.
    let mut lenient = options;
    lenient.unknown_fields = anycall_codec::UnknownFields::Ignore;
    StreamServer::builder(Mode::Json, idl, handler)
        .options(lenient)
        .build()
}

async fn serve_stream(
    pool: Pool,
    book: Option<&MockBook>,
    echo: bool,
    options: Options,
    call: StreamCall,
    mut reqs: Requests,
    mut replies: Replies,
) -> Result<(), HandlerError> {
    let canned = book.and_then(|b| b.reply(call.service(), call.method()));
    if let Some(canned) = canned {
        // Read the requests first (a client stream expects that).
        while reqs.recv().await?.is_some() {}
        return match canned {
            Canned::BizStatus(biz) => Err(HandlerError::biz_status(biz.clone())),
            Canned::Reply(Reply::Success(json)) => {
                let v: serde_json::Value = serde_json::from_str(json)?;
                if let Some(err) = v
                    .get("error")
                    .filter(|_| v.as_object().is_some_and(|o| o.len() == 1))
                {
                    let kind = err["type"]
                        .as_i64()
                        .and_then(|t| i32::try_from(t).ok())
                        .unwrap_or(6);
                    let message = err["message"].as_str().unwrap_or("mock error");
                    return Err(HandlerError::application(
                        TApplicationExceptionType(kind),
                        message,
                    ));
                }
                let messages = match v {
                    serde_json::Value::Array(list) => list,
                    one => vec![one],
                };
                for m in messages {
                    replies.send(Payload::Json(m.to_string())).await?;
                }
                Ok(())
            }
            Canned::Reply(_) => Err(HandlerError::new(format!(
                "mock entry for streaming `{}` must be a message, a list of messages or an error",
                call.method()
            ))),
        };
    }
    let example = || -> Result<String, HandlerError> {
        let m = pool
            .service(call.service())
            .and_then(|s| s.method(call.method()))
            .ok_or_else(|| HandlerError::new(format!("no method `{}`", call.method())))?;
        let ty = m
            .returns()
            .ok_or_else(|| HandlerError::new("a streaming method returns a struct"))?;
        Ok(to_json(ty, &example_value(ty), &options)?)
    };
    let kind = call.kind();
    let mut last = None;
    while let Some(p) = reqs.recv().await? {
        let Payload::Json(text) = p else {
            return Err(HandlerError::new("unexpected request payload"));
        };
        if kind == StreamingMode::Client {
            last = Some(text);
            continue;
        }
        let answer = if echo { text } else { example()? };
        replies.send(Payload::Json(answer)).await?;
    }
    if kind == StreamingMode::Client {
        let answer = match (echo, last) {
            (true, Some(text)) => text,
            _ => example()?,
        };
        replies.send(Payload::Json(answer)).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// bench

/// `anycall bench` on a bidirectional streaming method: `-c` streams on one
/// TTHeader Streaming connection (or gRPC, `--transport grpc`), each sending one message and reading its
/// reply in turn, until `-n` messages in all (or `--duration`); reports
/// messages per second and the latency of each message (send to reply).
pub(crate) async fn bench(
    a: &super::args::BenchArgs,
    addr: &str,
    pool: &Pool,
    service: &str,
    method: &str,
) -> Result<(), CliError> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Instant;

    use super::args::{BenchMode, Output};

    let m = pool
        .service(service)
        .and_then(|s| s.method(method))
        .ok_or_else(|| anyhow!("no method `{method}`"))?;
    if m.streaming() != StreamingMode::Bidirectional {
        return Err(CliError::usage(anyhow!(
            "bench streams bidirectional methods only; `{method}` is {} streaming",
            m.streaming()
        )));
    }
    let desc = m
        .stream_request()
        .ok_or_else(|| anyhow!("`{method}` has no request struct"))?;
    let json = super::input::read_data(Some(&a.data))?;
    let options = a.json.options();
    let mut encoded = bytes::BytesMut::new();
    anycall_codec::call::encode_struct_json(
        desc,
        &json,
        anycall_rpc::Protocol::Binary,
        &options,
        &mut encoded,
    )
    .context("invalid request")?;
    let (mode, message) = match a.mode {
        BenchMode::Json => (
            Mode::Json,
            Payload::Json(String::from_utf8_lossy(&json).trim().to_owned()),
        ),
        BenchMode::Value => {
            let v = anycall_codec::call::decode_struct_value(
                desc,
                &encoded,
                anycall_rpc::Protocol::Binary,
                &options,
                &a.json.limits(),
            )
            .context("converting the request to a value")?;
            (Mode::Value, Payload::Value(anycall_codec::Value::Struct(v)))
        }
        BenchMode::Binary => (Mode::Binary, Payload::Binary(encoded.freeze())),
    };
    let client = Streams::connect(
        Dial {
            addr,
            pool,
            service,
            mode,
            options,
            limits: a.json.limits(),
            connect_timeout: a.client.connect_timeout,
            timeout: None,
            meta: &[],
            meta_persistent: &[],
        },
        a.client.transport == super::args::TransportArg::Grpc,
    )
    .await?;
    let total = a.requests.unwrap_or(if a.duration.is_some() {
        u64::MAX
    } else {
        10_000
    });
    let start = Instant::now();
    let deadline = a.duration.map(|d| start + d);
    let tickets = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..a.concurrency.max(1) {
        let (client, message, tickets) = (client.clone(), message.clone(), tickets.clone());
        let method = method.to_owned();
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut s = client.bidi(&method).await?;
            while tickets.fetch_add(1, Ordering::Relaxed) < total
                && deadline.is_none_or(|d| Instant::now() < d)
            {
                let t = Instant::now();
                s.send(message.clone()).await?;
                if s.recv().await?.is_none() {
                    break;
                }
                lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            s.close_send().await?;
            while s.recv().await?.is_some() {}
            Ok::<_, anycall_rpc::Error>(lat)
        }));
    }
    let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)
        .map_err(anyhow::Error::from)?;
    for w in workers {
        for us in w
            .await
            .context("a worker stopped")?
            .map_err(|e| call_failed(e, addr))?
        {
            hist.saturating_record(us.max(1));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = hist.len();
    #[allow(
        clippy::cast_precision_loss,
        reason = "message counts stay far below 2^52"
    )]
    let mps = n as f64 / secs;
    let q = |p: f64| hist.value_at_quantile(p);
    match a.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "method": format!("{service}/{method}"),
                "transport": client.transport_name(),
                "streams": a.concurrency,
                "messages": n,
                "seconds": secs,
                "messages_per_second": mps,
                "latency_us": {"p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "max": hist.max()},
            })
        ),
        Output::Text => println!(
            "{n} messages on {} stream(s) in {secs:.2}s: {mps:.0} messages/s; latency per message p50 {}us p90 {}us p99 {}us max {}us",
            a.concurrency,
            q(0.5),
            q(0.9),
            q(0.99),
            hist.max()
        ),
    }
    Ok(())
}
