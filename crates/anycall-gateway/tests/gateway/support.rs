//! A recording upstream (an anycall-rpc JSON server) and request helpers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_gateway::{Backend, Gateway};
use anycall_idl::Pool;
use anycall_rpc::{
    BizStatus, Client, Context, Handler, HandlerError, Mode, Payload, Server, ServerHandle,
    Transport,
};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value as Json;

pub(crate) fn testdata(rel: &str) -> String {
    anycall_test_support::testdata(rel)
        .to_string_lossy()
        .into_owned()
}

pub(crate) fn pool(rel: &str) -> Pool {
    Pool::from_file(&testdata(rel), Vec::<String>::new()).expect("test idl loads")
}

/// What the upstream's `All` and other struct-returning methods answer.
pub(crate) const ALL_REPLY: &str = r#"{"h":"hv","hl":[1,2,3],"code":201,"ck":"abc","b":"body-b",
  "hidden":"x","big":9007199254740993,"plain":"p","ali":"a","agw_h":"g","q":"dropped",
  "nested":{"ID":5,"text":"t"}}"#;

/// What the upstream's BizService methods answer.
pub(crate) const BIZ_REPLY: &str = r#"{"T":"t-val","rsp_items":{"1":{"item_id":1,"text":"x"}},
  "v_enum":3,"rsp_item_list":[{"item_id":2}],"http_code":202,"item_count":[1,2,3]}"#;

#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub(crate) seen: Arc<Mutex<Vec<(String, Json)>>>,
}

impl Recorder {
    /// The arguments of the last call, and its method.
    pub(crate) fn last(&self) -> (String, Json) {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a call reached the upstream")
    }

    pub(crate) fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Handler for Recorder {
    async fn call(
        &self,
        _ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        let Payload::Json(args) = payload else {
            return Err(HandlerError::new("expected json"));
        };
        let args: Json = serde_json::from_str(&args).unwrap();
        self.seen
            .lock()
            .unwrap()
            .push((method.to_owned(), args.clone()));
        let json = |s: &str| Payload::Json(s.to_owned());
        match method {
            "Fail" => match args["id"].as_str().unwrap_or("") {
                "nf" => Ok(Reply::Exception {
                    name: "nf".into(),
                    value: json(r#"{"code":404,"msg":"missing","why":"gone"}"#),
                }),
                "nf-nocode" => Ok(Reply::Exception {
                    name: "nf".into(),
                    value: json(r#"{"msg":"missing"}"#),
                }),
                "boom" => Ok(Reply::Exception {
                    name: "boom".into(),
                    value: json(r#"{"msg":"bang"}"#),
                }),
                "biz" => Err(HandlerError::biz_status(
                    BizStatus::new(429, "slow down").with_extra("retry", "1s"),
                )),
                "biz-odd" => Err(HandlerError::biz_status(BizStatus::new(7, "odd"))),
                "slow" => {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    Ok(Reply::Success(json(ALL_REPLY)))
                }
                "wait" => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok(Reply::Success(json(ALL_REPLY)))
                }
                "badcode" => Ok(Reply::Success(json(r#"{"code":70000}"#))),
                _ => Err(HandlerError::new("kaput")),
            },
            m if m.starts_with("BizMethod") => Ok(Reply::Success(json(BIZ_REPLY))),
            "Str" => Ok(Reply::Success(json(r#""hello""#))),
            "Nothing" | "NoArgs" | "Ping" => Ok(Reply::Void),
            "Get" | "Added" => Ok(Reply::Success(json(r#"{"plain":"ok"}"#))),
            _ => Ok(Reply::Success(json(ALL_REPLY))),
        }
    }
}

pub(crate) struct Upstream {
    pub(crate) addr: String,
    pub(crate) rec: Recorder,
    pub(crate) _handle: ServerHandle,
}

pub(crate) async fn upstream(idl: impl Into<anycall_rpc::Idl>) -> Upstream {
    let rec = Recorder::default();
    let handle = Server::builder(Mode::Json)
        .idl(idl)
        .bind("127.0.0.1:0", rec.clone())
        .await
        .expect("upstream binds");
    Upstream {
        addr: handle.local_addr().to_string(),
        rec,
        _handle: handle,
    }
}

pub(crate) fn client(addr: &str) -> Client {
    client_with(addr, Duration::from_millis(500))
}

pub(crate) fn client_with(addr: &str, rpc_timeout: Duration) -> Client {
    Client::builder(addr)
        .transport(Transport::TTHeader)
        .rpc_timeout(rpc_timeout)
        .connect_timeout(rpc_timeout)
        .build()
        .unwrap()
}

/// A gateway for `rel` in front of a recording upstream.
pub(crate) async fn gateway(rel: &str) -> (Gateway, Upstream) {
    let pool = pool(rel);
    let up = upstream(pool.clone()).await;
    let gw = Gateway::builder()
        .backend(Backend::new(pool, client(&up.addr)))
        .build()
        .expect("gateway builds");
    (gw, up)
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Json,
}

pub(crate) fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::from(body.to_owned())).unwrap()
}

pub(crate) async fn send(gw: &Gateway, req: http::Request<Bytes>) -> Answer {
    let resp = gw.handle(req).await;
    let (parts, body) = resp.into_parts();
    assert_eq!(
        parts
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json")
    );
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("body is JSON ({e}): {}", String::from_utf8_lossy(&body)));
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub(crate) async fn call(
    gw: &Gateway,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    send(gw, request(method, uri, headers, body)).await
}

/// The error code and field of an error answer.
pub(crate) fn error_of(a: &Answer) -> (&str, Option<&str>) {
    let e = &a.body["error"];
    (
        e["code"].as_str().expect("an error code"),
        e["field"].as_str(),
    )
}

/// A running HTTP server for a gateway; stopped by `stop`.
pub(crate) struct Running {
    pub(crate) addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub(crate) async fn run(gw: Gateway) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(anycall_gateway::serve(
        gw,
        listener,
        async {
            let _ = rx.await;
        },
        Duration::from_secs(5),
    ));
    Running { addr, stop, task }
}

impl Running {
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops within 10 s")
            .unwrap()
            .unwrap();
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`): the
/// status and the body.
pub(crate) async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: test\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await?;
        Ok::<_, std::io::Error>(out)
    };
    let out = tokio::time::timeout(Duration::from_secs(20), fut)
        .await
        .expect("an HTTP answer within 20 s")
        .expect("HTTP exchange");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
