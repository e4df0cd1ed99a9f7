//! `anycall demo`: every mode against an in-process server on the bundled IDL.

use std::time::Duration;

use anycall_codec::call::{Reply, encode_call_json};
use anycall_codec::thrift::Protocol;
use anycall_codec::{Options, Value};
use anycall_idl::{Loader, Pool};
use anycall_rpc::{Client, Payload, Proxy, Request, Transport};
use anyhow::{Context as _, anyhow, ensure};
use bytes::BytesMut;

use super::CliError;
use super::args::DemoArgs;
use super::serve::{Answers, start_mock};
use crate::describe::{self, Target};

/// The bundled example IDL: main file and its include.
pub(crate) const ECHO_THRIFT: &str = include_str!("../demo/echo.thrift");
pub(crate) const BASE_THRIFT: &str = include_str!("../demo/base/base.thrift");

/// Canned replies for the demo's declared exception.
const MOCK: &str = r#"{
    "EchoService/Fail": {"exception": "err", "value": {"code": 404, "reason": "no such echo"}},
    "EchoService/Add": {"biz_status": {"code": 10001, "message": "quota exceeded", "extra": {"retry_after": "1s"}}}
}"#;

fn heading(n: usize, title: &str) {
    println!("\n=== {n}. {title} ===");
}

fn sent(what: &str) {
    println!("  sent:     {what}");
}

fn got(what: &str) {
    println!("  received: {what}");
}

/// The bundled IDL as a pool.
/// HTTP routes for the bundled service, for the gateway step.
const ECHO_HTTP_THRIFT: &str = "include \"echo.thrift\"
service EchoService {
    echo.EchoResponse Echo(1: echo.EchoRequest req) throws (1: echo.EchoError err) (api.post = '/echo')
    echo.EchoResponse Fail(1: echo.EchoRequest req) throws (1: echo.EchoError err) (api.get = '/fail')
}
";

pub(crate) fn bundled_pool() -> anyhow::Result<Pool> {
    Loader::in_memory()
        .file("demo/echo.thrift", ECHO_THRIFT)
        .file("demo/base/base.thrift", BASE_THRIFT)
        .load("demo/echo.thrift")
        .map_err(|e| anyhow!("bundled IDL: {e}"))
}

pub(crate) async fn run(_a: &DemoArgs) -> Result<(), CliError> {
    let pool = bundled_pool()?;
    let opts = Options::default();

    heading(
        1,
        "describe: the bundled IDL (demo/echo.thrift includes demo/base/base.thrift)",
    );
    let d = describe::describe(&pool, Target::Named("EchoService"))?;
    println!("{}", super::describe::render_text(&d));

    // A mock server: a canned exception for Fail, a business status error for
    // Add, echo for the rest, every transport.
    let book = crate::mock::MockBook::parse(MOCK)?;
    book.check(&pool)?;
    let answers = Answers {
        book: Some(book),
        echo: true,
    };
    let server = start_mock(pool.clone(), answers, opts, "127.0.0.1:0").await?;
    let addr = server.local_addr().to_string();
    println!("\nin-process server on {addr} (every transport, binary and compact)");

    let result = steps(&pool, &addr).await;
    server.shutdown().await;
    result?;
    println!("\ndemo finished: all steps succeeded");
    Ok(())
}

async fn steps(pool: &Pool, addr: &str) -> anyhow::Result<()> {
    let client = |transport: Transport| {
        Client::builder(addr)
            .transport(transport)
            .idl(pool.clone())
            .service("EchoService")
            .rpc_timeout(Duration::from_secs(5))
            .build()
    };

    heading(2, "JSON call over Framed (Kitex's JSON generic)");
    let framed = client(Transport::Framed)?;
    let args = r#"{"message": "hello", "times": 2, "items": [{"id": 1, "title": "one"}]}"#;
    sent(&format!("EchoService/Echo {args}"));
    let reply = framed.call_json("Echo", args.as_bytes()).await?;
    let Reply::Success(json) = reply else {
        return Err(anyhow!("expected a result, got {reply:?}"));
    };
    got(&json);
    let v: serde_json::Value = serde_json::from_str(&json)?;
    ensure!(
        v["message"] == "hello" && v["times"] == 2,
        "echo did not echo: {json}"
    );

    heading(
        3,
        "Value call over TTHeader with metainfo (Kitex's map generic)",
    );
    let tth = client(Transport::TTHeader)?;
    let args = Value::structure([
        ("message", Value::String("from a Value".into())),
        ("mood", Value::String("LOUD".into())),
    ]);
    sent(&format!(
        "EchoService/Echo {} + transient trace=demo-1",
        serde_json::to_string(&args)?
    ));
    let resp = tth
        .call(Request::value("Echo", args).transient("trace", "demo-1"))
        .await?;
    let Reply::Success(Payload::Value(v)) = &resp.reply else {
        return Err(anyhow!("expected a result, got {:?}", resp.reply));
    };
    got(&serde_json::to_string(v)?);
    let fields = v.as_struct().context("a struct result")?;
    ensure!(
        fields.get("message") == Some(&Value::String("from a Value".into()))
            && fields.get("mood") == Some(&Value::I32(10)),
        "unexpected Echo reply"
    );

    heading(4, "a declared exception");
    sent(r#"EchoService/Fail {"message": "boom"}"#);
    let reply = framed.call_json("Fail", br#"{"message": "boom"}"#).await?;
    match &reply {
        Reply::Exception { name, value } => got(&format!("exception `{name}`: {value}")),
        other => return Err(anyhow!("expected the declared exception, got {other:?}")),
    }

    heading(5, "a oneway call (nothing comes back)");
    sent(r#"EchoService/Notify {"event": "demo"}"#);
    let reply = framed.call_json("Notify", br#"{"event": "demo"}"#).await?;
    got(&format!("{reply:?} (returned once written)"));
    ensure!(reply == Reply::Void, "oneway returned {reply:?}");

    heading(
        6,
        "binary forwarding through a proxy (Kitex's binary generic)",
    );
    let proxy = Proxy::builder(addr)
        .upstream_transport(Transport::TTHeader)
        .bind("127.0.0.1:0")
        .await?;
    let proxy_addr = proxy.local_addr().to_string();
    let echo = pool
        .service("EchoService")
        .and_then(|s| s.method("Echo"))
        .context("Echo")?;
    let mut msg = BytesMut::new();
    encode_call_json(
        echo,
        br#"{"message": "via proxy"}"#,
        77,
        Protocol::Binary,
        &Options::default(),
        &mut msg,
    )?;
    sent(&format!(
        "{} bytes (seq id 77) to the proxy at {proxy_addr}",
        msg.len()
    ));
    let raw = Client::builder(proxy_addr).build()?;
    let result = raw.call_binary(msg.freeze()).await;
    proxy.shutdown().await;
    let reply = result?;
    let decoded = anycall_codec::call::decode_reply_json(
        echo,
        &reply,
        Protocol::Binary,
        &Options::default(),
        &anycall_codec::Limits::default(),
        false,
    )?;
    let seq = anycall_codec::thrift::get_seq_id(&reply)?;
    got(&format!("{} bytes, seq id {seq}: {decoded:?}", reply.len()));
    ensure!(seq == 77, "the proxy did not keep the seq id");

    heading(7, "a Kitex business status error over TTHeader");
    sent(r#"EchoService/Add {"a": 1, "b": 2}"#);
    let err = tth
        .call_json("Add", br#"{"a": 1, "b": 2}"#)
        .await
        .err()
        .context("expected a business status error")?;
    let biz = err
        .biz_status()
        .with_context(|| format!("expected a business status error, got {err:#}"))?;
    got(&format!(
        "biz status {} {:?}, extra {:?}",
        biz.code, biz.message, biz.extra
    ));
    ensure!(biz.code == 10001, "unexpected biz status {biz}");

    heading(
        8,
        "the HTTP gateway: JSON over HTTP, routed by api.* annotations",
    );
    gateway_step(addr).await
}

async fn gateway_step(addr: &str) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let pool = Loader::in_memory()
        .file("demo/echo.thrift", ECHO_THRIFT)
        .file("demo/base/base.thrift", BASE_THRIFT)
        .file("demo/echo_http.thrift", ECHO_HTTP_THRIFT)
        .load("demo/echo_http.thrift")
        .map_err(|e| anyhow!("bundled IDL: {e}"))?;
    let client = Client::builder(addr)
        .rpc_timeout(Duration::from_secs(5))
        .build()?;
    let gw = anycall_gateway::Gateway::builder()
        .backend(anycall_gateway::Backend::new(pool, client))
        .build()?;
    for r in gw.routes() {
        let m = r.http_method.as_ref().map_or("ANY", |m| m.as_str());
        println!("  route:    {m} {} -> {}", r.path, r.method);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let http_addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(anycall_gateway::serve(
        gw,
        listener,
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    let mut answers = Vec::new();
    for (method, path, body) in [
        ("POST", "/echo", r#"{"message": "over http", "times": 3}"#),
        ("GET", "/fail", r#"{"message": "boom"}"#),
        ("GET", "/nowhere", ""),
    ] {
        sent(&format!("{method} http://{http_addr}{path} {body}"));
        let mut s = tokio::net::TcpStream::connect(http_addr).await?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: demo\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await?;
        let mut out = String::new();
        tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out))
            .await
            .context("the gateway answers within 5 s")??;
        let status = out.lines().next().unwrap_or_default().to_owned();
        let body = out
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        got(&format!("{status} {body}"));
        answers.push((status, body));
    }
    let _ = stop.send(());
    server.await??;
    ensure!(
        answers[0].0.contains(" 200 ") && answers[0].1.contains("\"over http\""),
        "unexpected gateway answer {:?}",
        answers[0]
    );
    ensure!(
        answers[1].0.contains(" 500 "),
        "a declared exception is 500"
    );
    ensure!(answers[2].0.contains(" 404 "), "no route is 404");
    Ok(())
}
