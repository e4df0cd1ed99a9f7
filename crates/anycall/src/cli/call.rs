//! `anycall call`: one request (or one per line, interactively) to a server.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::Instant;

use anycall_codec::call::Reply;
use anycall_idl::Pool;
use anycall_rpc::{Client, Payload, Request};
use anyhow::{Context as _, anyhow};

use super::args::{CallArgs, JsonOutput};
use super::describe::load_idl;
use super::input::{DEFAULT_ADDR, addr_and_method, find_method, read_data, stdout_is_tty};
use super::{CliError, Exit};

/// What `call` was asked to do, checked.
struct Plan {
    addr: String,
    service: Option<String>,
    method: Option<String>,
    pool: Option<Pool>,
    pretty: bool,
}

fn plan(a: &CallArgs) -> Result<Plan, CliError> {
    let pretty = match a.output {
        Some(JsonOutput::Pretty) => true,
        Some(JsonOutput::Json) => false,
        None => stdout_is_tty(),
    };
    if a.raw {
        let addr = match a.positional.as_slice() {
            [] => DEFAULT_ADDR.to_owned(),
            [addr] => addr.clone(),
            _ => {
                return Err(CliError::usage(anyhow!(
                    "--raw takes only [ADDR]; the method is in the message"
                )));
            }
        };
        if !a.data.as_deref().is_some_and(|d| d.starts_with('@')) {
            return Err(CliError::usage(anyhow!(
                "--raw needs the message as -d @FILE or -d @-"
            )));
        }
        return Ok(Plan {
            addr,
            service: None,
            method: None,
            pool: None,
            pretty,
        });
    }
    let (addr, service, method) = addr_and_method(&a.positional)?;
    let Some(idl) = &a.idl else {
        return Err(CliError::usage(anyhow!(
            "--idl FILE is required (or --raw)"
        )));
    };
    let pool = load_idl(idl, &a.include)?;
    let service = find_method(&pool, &service, &method)?.0.full_name();
    Ok(Plan {
        addr,
        service: Some(service),
        method: Some(method),
        pool: Some(pool),
        pretty,
    })
}

pub(crate) async fn call(a: &CallArgs) -> Result<(), CliError> {
    #[cfg(feature = "grpc")]
    if super::grpc::is_grpc_call(a) {
        return super::grpc::call(a).await;
    }
    let plan = plan(a)?;
    #[cfg(feature = "grpc")]
    if let (Some(pool), Some(service), Some(method)) = (&plan.pool, &plan.service, &plan.method)
        && a.client.transport == super::args::TransportArg::Grpc
        && !super::stream::is_stream_call(a, pool, service, method)
    {
        return super::thrift_grpc::unary(a, &plan.addr, pool, service, method, plan.pretty).await;
    }
    if let (Some(pool), Some(service), Some(method)) = (&plan.pool, &plan.service, &plan.method)
        && super::stream::is_stream_call(a, pool, service, method)
    {
        return super::stream::call(a, &plan.addr, pool, service, method, plan.pretty).await;
    }
    // Thrift over gRPC takes an IDL (not --raw).
    a.client
        .transport
        .ping_pong("--raw takes a ping-pong transport, not grpc")
        .map_err(CliError::usage)?;
    let mut builder = a.client.builder(&plan.addr, &a.json);
    if let (Some(pool), Some(service)) = (&plan.pool, &plan.service) {
        builder = builder.idl(pool.clone()).service(service.clone());
    }
    let client = builder.build().context("invalid client settings")?;

    if a.raw {
        let message = read_data(a.data.as_deref())?;
        return raw(&client, a, &plan, message).await;
    }
    let method = plan.method.as_deref().unwrap_or_default();
    let interactive = a.data.is_none() && std::io::stdin().is_terminal();
    if !interactive {
        let data = read_data(a.data.as_deref())?;
        return one(&client, a, &plan, method, &data).await;
    }
    eprintln!("{} — one JSON request per line, Ctrl-D to end", plan.addr);
    // Every line runs; the exit is the first failed line's, so a session
    // with any failure does not end in 0.
    let mut failed: Option<Exit> = None;
    for line in std::io::stdin().lock().lines() {
        let line = line.context("cannot read stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = one(&client, a, &plan, method, line.as_bytes()).await {
            if let Some(err) = &e.error {
                eprintln!("error: {err:#}");
            }
            failed.get_or_insert(e.exit);
        }
    }
    match failed {
        None => Ok(()),
        Some(exit) => Err(CliError::exit(exit, None)),
    }
}

fn request(a: &CallArgs, method: &str, data: &[u8]) -> anyhow::Result<Request> {
    let text = std::str::from_utf8(data).context("the JSON is not UTF-8")?;
    Ok(with_meta(Request::json(method, text), a))
}

/// `req` with the `--meta` and `--meta-persistent` values.
fn with_meta(mut req: Request, a: &CallArgs) -> Request {
    for kv in &a.meta {
        req = req.transient(kv.0.clone(), kv.1.clone());
    }
    for kv in &a.meta_persistent {
        req = req.persistent(kv.0.clone(), kv.1.clone());
    }
    req
}

/// A failed call as the command's error: a `TApplicationException` exits
/// with 64 + its type, a business status error with 4.
pub(super) fn call_failed(e: anycall_rpc::Error, addr: &str) -> CliError {
    if let Some(biz) = e.biz_status() {
        let extra = if biz.extra.is_empty() {
            String::new()
        } else {
            let extra = serde_json::to_string(&biz.extra).expect("a map of strings serializes");
            format!(", extra {extra}")
        };
        return CliError::exit(
            Exit::BizStatus,
            Some(anyhow!(
                "the server answered with a business status error: code {}, message {:?}{extra}",
                biz.code,
                biz.message
            )),
        );
    }
    match e.application() {
        Some(ex) => CliError::exit(
            Exit::Remote(ex.kind().0),
            Some(anyhow!(
                "the server answered with a TApplicationException: {ex} (type {})",
                ex.kind().0
            )),
        ),
        None => CliError::from(anyhow::Error::new(e).context(format!("call to {addr} failed"))),
    }
}

async fn one(
    client: &Client,
    a: &CallArgs,
    plan: &Plan,
    method: &str,
    data: &[u8],
) -> Result<(), CliError> {
    // Check the arguments against the IDL before touching the network.
    let mut oneway = false;
    let mut data = data;
    if let Some(pool) = &plan.pool {
        let m = plan
            .service
            .as_deref()
            .and_then(|s| pool.service(s))
            .and_then(|s| s.method(method))
            .ok_or_else(|| anyhow!("no method `{method}`"))?;
        oneway = m.is_oneway();
        // `-d ''` for a method without parameters: its empty args struct.
        if m.args().is_empty() && data.trim_ascii().is_empty() {
            data = b"{}";
        }
        let mut scratch = bytes::BytesMut::new();
        anycall_codec::call::encode_call_json(
            m,
            data,
            0,
            a.client.protocol.into(),
            &a.json.options(),
            &mut scratch,
        )
        .context("invalid arguments")?;
    }
    let req = request(a, method, data)?;
    if a.verbose {
        verbose_request(a, plan, method, data);
    }
    let start = Instant::now();
    let result = client.call(req).await;
    let elapsed = start.elapsed();
    let resp = match result {
        Ok(resp) => resp,
        Err(e) => {
            if a.verbose {
                eprintln!("< failed after {elapsed:.2?}");
            }
            return Err(call_failed(e, &plan.addr));
        }
    };
    if a.verbose && oneway {
        eprintln!("< sent in {elapsed:.2?} (oneway: no reply)");
    } else if a.verbose {
        eprintln!("< reply after {elapsed:.2?}");
        for (k, v) in &resp.backward {
            eprintln!("< backward {k}: {v}");
        }
    }
    print_reply(resp.reply, plan.pretty)
}

/// Prints a JSON reply: the result, `null` for void, or the declared
/// exception (then exits with [`Exit::Declared`]).
pub(crate) fn print_reply(reply: Reply<Payload>, pretty: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match reply {
        Reply::Success(Payload::Json(json)) => {
            writeln!(out, "{}", render(&json, pretty)?)?;
            Ok(())
        }
        Reply::Void => {
            writeln!(out, "null")?;
            Ok(())
        }
        Reply::Exception {
            name,
            value: Payload::Json(json),
        } => {
            let value: serde_json::Value = serde_json::from_str(&json)?;
            let doc = serde_json::json!({"exception": name, "value": value});
            writeln!(out, "{}", render(&doc.to_string(), pretty)?)?;
            Err(CliError::exit(Exit::Declared, None))
        }
        other => Err(anyhow!("unexpected reply {other:?}").into()),
    }
}

fn render(json: &str, pretty: bool) -> anyhow::Result<String> {
    if !pretty {
        return Ok(json.to_owned());
    }
    let v: serde_json::Value = serde_json::from_str(json)?;
    Ok(serde_json::to_string_pretty(&v)?)
}

fn verbose_request(a: &CallArgs, plan: &Plan, method: &str, data: &[u8]) {
    let transport = anycall_rpc::Transport::from(a.client.transport);
    let protocol = anycall_rpc::Protocol::from(a.client.protocol);
    eprintln!(
        "> {} {} over {transport}, {protocol}",
        plan.addr,
        plan.service
            .as_deref()
            .map_or(method.to_owned(), |s| format!("{s}/{method}"))
    );
    for kv in &a.meta {
        eprintln!("> transient {}: {}", kv.0, kv.1);
    }
    for kv in &a.meta_persistent {
        eprintln!("> persistent {}: {}", kv.0, kv.1);
    }
    let has_meta = !a.meta.is_empty() || !a.meta_persistent.is_empty();
    if has_meta && !transport.has_header() {
        eprintln!(
            "> note: metainfo travels only with --transport ttheader, ttheader-framed or theader"
        );
    }
    eprintln!("> {}", String::from_utf8_lossy(data).trim());
}

async fn raw(client: &Client, a: &CallArgs, plan: &Plan, message: Vec<u8>) -> Result<(), CliError> {
    let resp = client
        .call(with_meta(Request::binary(message), a))
        .await
        .map_err(|e| call_failed(e, &plan.addr))?;
    let mut out = std::io::stdout().lock();
    if let Reply::Success(Payload::Binary(bytes)) = resp.reply {
        out.write_all(&bytes)?;
    }
    out.flush()?;
    Ok(())
}
