//! Shared test pieces: the interop IDL, an echo service in every mode, the
//! interop script runner, log capture.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use anycall_codec::call::{self, Reply};
use anycall_codec::thrift::{self, Protocol, TApplicationException, TApplicationExceptionType};
use anycall_codec::{Limits, Options, Struct, Value};
use anycall_idl::{MethodDescriptor, Pool};
use anycall_rpc::{BizStatus, Client, Context, Handler, HandlerError, Payload};
use anycall_test_support::echo::{self, echo_of};
use bytes::BytesMut;
use serde_json::{Value as Json, json};

pub(crate) fn repo_root() -> PathBuf {
    anycall_test_support::repo_root()
}

/// The interop IDL, `testdata/interop/echo.thrift`.
pub(crate) fn echo_pool() -> Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let dir = repo_root().join("testdata/interop");
        Pool::from_file(dir.join("echo.thrift").to_str().expect("utf-8 path"), [dir])
            .expect("echo.thrift loads")
    })
    .clone()
}

pub(crate) fn method<'p>(pool: &'p Pool, name: &str) -> MethodDescriptor<'p> {
    pool.service("EchoService")
        .expect("EchoService")
        .method(name)
        .expect("method")
}

/// The echo service of `testdata/interop/echo.thrift`, in whichever mode the
/// payload comes: JSON and `Value` directly, binary by decoding with the
/// IDL (and answering with a deliberately wrong seq id, which the server
/// must overwrite).
#[derive(Debug, Default)]
pub(crate) struct EchoService {
    pub(crate) fired: Mutex<Vec<String>>,
}

impl Handler for EchoService {
    async fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        if let Some(v) = ctx.transient("echo-backward") {
            let v = v.to_owned();
            ctx.set_backward("echoed", v);
        }
        if let Some(v) = ctx.persistent("echo-backward") {
            let v = v.to_owned();
            ctx.set_backward("echoed-persistent", v);
        }
        // What the Kitex peer's server does: every value seen, sent back.
        let seen: Vec<(String, String)> = (ctx.metainfo().transient.iter())
            .map(|(k, v)| (format!("seen-transient-{k}"), v.clone()))
            .chain(
                ctx.metainfo()
                    .persistent
                    .iter()
                    .map(|(k, v)| (format!("seen-persistent-{k}"), v.clone())),
            )
            .collect();
        for (k, v) in seen {
            ctx.set_backward(k, v);
        }
        match payload {
            Payload::Json(args) => {
                let args: Json = serde_json::from_str(&args)?;
                Ok(echo_json(&self.fired, method, &args)?.map(|v| Payload::Json(v.to_string())))
            }
            Payload::Value(args) => Ok(echo_value(&self.fired, method, &args)?.map(Payload::Value)),
            Payload::Binary(message) => self.binary(method, &message),
            #[cfg(feature = "grpc")]
            Payload::Proto(_) => Err(HandlerError::new("a Thrift server hands no protobuf")),
        }
    }
}

impl EchoService {
    fn binary(&self, method: &str, message: &[u8]) -> Result<Reply<Payload>, HandlerError> {
        let pool = echo_pool();
        let desc = self::method(&pool, method);
        let protocol = thrift::protocol_of(message).expect("a thrift message");
        let limits = Limits::default();
        let env = call::read_envelope(message, protocol, &limits)?;
        let args = call::decode_args_value(
            desc,
            &message[env.body..],
            protocol,
            &Options::default(),
            &limits,
        )?;
        let reply = match echo_value(&self.fired, method, &args) {
            Ok(reply) => reply,
            Err(err) if err.as_biz_status().is_some() => return Err(err),
            Err(err) => Reply::Application(TApplicationException::new(
                TApplicationExceptionType::INTERNAL_ERROR,
                err.message(),
            )),
        };
        let mut out = BytesMut::new();
        call::encode_reply_value(
            desc,
            &reply,
            999_999,
            protocol,
            &Options::default(),
            &mut out,
        )?;
        Ok(Reply::Success(Payload::Binary(out.freeze())))
    }
}

/// What `Echo` with `action: "biz"` answers, as the Kitex peer does.
pub(crate) fn requested_biz_error() -> HandlerError {
    HandlerError::biz_status(
        BizStatus::new(10001, "requested biz error").with_extra("reason", "asked"),
    )
}

fn echo_value(
    fired: &Mutex<Vec<String>>,
    method: &str,
    args: &Value,
) -> Result<Reply<Value>, HandlerError> {
    let empty = Struct::new();
    let args_struct = args.as_struct().unwrap_or(&empty);
    let get = |name: &str| args_struct.get(name);
    Ok(match method {
        "Echo" => match get("action").and_then(Value::as_str).unwrap_or("") {
            "throw" => Reply::Exception {
                name: "err".into(),
                value: Value::structure([
                    ("code", Value::I32(echo::THROW_CODE)),
                    ("msg", Value::String(echo::THROW_MESSAGE.into())),
                ]),
            },
            "fail" => return Err(HandlerError::new(echo::FAIL_MESSAGE)),
            "biz" => return Err(requested_biz_error()),
            _ => {
                let mut resp = Struct::new();
                for (k, v) in args_struct.iter().filter(|(k, _)| *k != "Base") {
                    resp.insert(k, v.clone());
                }
                let mut base = Struct::new();
                base.insert("StatusMessage", Value::String(echo::STATUS_MESSAGE.into()));
                base.insert("StatusCode", Value::I32(echo::STATUS_CODE));
                if let Some(extra) = get("Base")
                    .and_then(Value::as_struct)
                    .and_then(|b| b.get("Extra"))
                {
                    base.insert("Extra", extra.clone());
                }
                resp.insert("BaseResp", Value::Struct(base));
                Reply::Success(Value::Struct(resp))
            }
        },
        "Add" => {
            let a = get("a").and_then(Value::as_i64).unwrap_or(0);
            let b = get("b").and_then(Value::as_i64).unwrap_or(0);
            Reply::Success(Value::I64(a.wrapping_add(b)))
        }
        "Ping" => Reply::Void,
        "Fire" => {
            let event = get("event")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            fired.lock().unwrap().push(event);
            Reply::Void
        }
        "Fired" => Reply::Success(Value::List(
            fired
                .lock()
                .unwrap()
                .iter()
                .map(|s| Value::String(s.as_str().into()))
                .collect(),
        )),
        "Check" => match get("s").and_then(Value::as_str).unwrap_or("") {
            "err" => Reply::Exception {
                name: "err".into(),
                value: Value::structure([
                    ("code", Value::I32(7)),
                    ("msg", Value::String("check rejected".into())),
                ]),
            },
            "other" => Reply::Exception {
                name: "other".into(),
                value: Value::structure([("reason", Value::String("other failure".into()))]),
            },
            s => Reply::Success(Value::String(format!("checked: {s}").into())),
        },
        other => return Err(HandlerError::new(format!("no such method {other}"))),
    })
}

fn echo_json(
    fired: &Mutex<Vec<String>>,
    method: &str,
    args: &Json,
) -> Result<Reply<Json>, HandlerError> {
    Ok(match method {
        "Echo" => match args["action"].as_str().unwrap_or("") {
            "throw" => Reply::Exception {
                name: "err".into(),
                value: echo::thrown(),
            },
            "fail" => return Err(HandlerError::new(echo::FAIL_MESSAGE)),
            "biz" => return Err(requested_biz_error()),
            _ => Reply::Success(echo_of(args)),
        },
        "Add" => Reply::Success(json!(
            args["a"]
                .as_i64()
                .unwrap_or(0)
                .wrapping_add(args["b"].as_i64().unwrap_or(0))
        )),
        "Ping" => Reply::Void,
        "Fire" => {
            let event = args["event"].as_str().unwrap_or("").to_owned();
            fired.lock().unwrap().push(event);
            Reply::Void
        }
        "Fired" => Reply::Success(json!(*fired.lock().unwrap())),
        "Check" => match args["s"].as_str().unwrap_or("") {
            "err" => Reply::Exception {
                name: "err".into(),
                value: json!({"code": 7, "msg": "check rejected"}),
            },
            "other" => Reply::Exception {
                name: "other".into(),
                value: json!({"reason": "other failure"}),
            },
            s => Reply::Success(json!(format!("checked: {s}"))),
        },
        other => return Err(HandlerError::new(format!("no such method {other}"))),
    })
}

/// The script's argument shape: always keyed by parameter name.
pub(crate) fn keyed() -> Options {
    Options {
        keyed_args: true,
        ..Options::default()
    }
}

/// How the script's calls are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientMode {
    Json,
    Value,
    Binary,
}

impl ClientMode {
    pub(crate) const ALL: [Self; 3] = [Self::Json, Self::Value, Self::Binary];
}

/// The interop script, `testdata/interop/script.json`.
pub(crate) fn script() -> Json {
    let text = std::fs::read_to_string(repo_root().join("testdata/interop/script.json"))
        .expect("script.json");
    serde_json::from_str(&text).expect("script.json parses")
}

/// Expands `$EVENT`, `{"$repeat": s, "times": n}` and `{"$range": [a, b]}`.
pub(crate) fn expand(v: &Json, event: &str) -> Json {
    match v {
        Json::String(s) if s == "$EVENT" => json!(event),
        Json::Array(items) => Json::Array(items.iter().map(|x| expand(x, event)).collect()),
        Json::Object(m) if m.contains_key("$repeat") => {
            let times = usize::try_from(m["times"].as_u64().expect("times")).expect("times");
            json!(m["$repeat"].as_str().expect("$repeat").repeat(times))
        }
        Json::Object(m) if m.contains_key("$range") => {
            let a = m["$range"][0].as_i64().expect("range start");
            let b = m["$range"][1].as_i64().expect("range end");
            Json::Array((a..b).map(|i| json!(i)).collect())
        }
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), expand(x, event)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// JSON equality where numbers compare by value ([`numbers_eq`]) and the
/// set `tags` ignores order.
pub(crate) fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => numbers_eq(x, y),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.get(k).is_some_and(|w| {
                        if k == "tags" {
                            json_eq(&sorted(v), &sorted(w))
                        } else {
                            json_eq(v, w)
                        }
                    })
                })
        }
        _ => a == b,
    }
}

/// Integers compare exactly, never through `f64` (a peer may print an i64
/// as `9007199254740993`, which is `9007199254740992.0` as a double);
/// doubles compare as doubles; a double equals an integer only when it is
/// exactly that integer (`2.0` and `2`, as peers print a double field).
fn numbers_eq(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    let int = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    // `as` is exact for an integral double within i128, and `fract` of a
    // non-finite double is NaN.
    let is = |f: f64, i: i128| f.fract() == 0.0 && f as i128 == i;
    match (int(x), int(y)) {
        (Some(i), Some(j)) => i == j,
        (Some(i), None) => y.as_f64().is_some_and(|f| is(f, i)),
        (None, Some(j)) => x.as_f64().is_some_and(|f| is(f, j)),
        (None, None) => x.as_f64() == y.as_f64(),
    }
}

#[test]
fn json_numbers_compare_integers_exactly() {
    let eq = |a: Json, b: Json| json_eq(&a, &b);
    assert!(eq(
        json!(9_007_199_254_740_993_i64),
        json!(9_007_199_254_740_993_i64)
    ));
    assert!(!eq(
        json!(9_007_199_254_740_993_i64),
        json!(9_007_199_254_740_992_i64)
    ));
    assert!(!eq(
        json!(9_007_199_254_740_993_i64),
        json!(9_007_199_254_740_992.0)
    ));
    assert!(!eq(json!(u64::MAX), json!(u64::MAX - 1)));
    assert!(!eq(json!(u64::MAX), json!(-1)));
    assert!(eq(json!(-2), json!(-2.0)));
    assert!(!eq(json!(2), json!(2.5)));
    assert!(eq(json!(0.5), json!(0.5)));
    assert!(!eq(json!(0.5), json!(0.25)));
    assert!(eq(json!({"tags": ["a", "b"]}), json!({"tags": ["b", "a"]})));
    assert!(!eq(json!({"n": 1}), json!({"n": 1, "m": 2})));
}

fn sorted(v: &Json) -> Json {
    let mut items = v.as_array().cloned().unwrap_or_default();
    items.sort_by_key(Json::to_string);
    Json::Array(items)
}

fn outcome_of_error(err: &anycall_rpc::Error) -> Json {
    match err.application() {
        Some(ex) => json!({"app_error": {"type": ex.kind().code(), "message": ex.message()}}),
        None => json!({"error": format!("{err:#}")}),
    }
}

fn outcome_of_json(reply: Reply<String>) -> Json {
    let parse = |s: &str| serde_json::from_str::<Json>(s).expect("reply json parses");
    match reply {
        Reply::Success(s) => json!({"result": parse(&s)}),
        Reply::Void => json!({"result": null}),
        Reply::Exception { name, value } => json!({"exception": name, "value": parse(&value)}),
        Reply::Application(ex) => {
            json!({"app_error": {"type": ex.kind().code(), "message": ex.message()}})
        }
    }
}

/// `Value` arguments for a method from script JSON, through the codec.
pub(crate) fn value_args(desc: MethodDescriptor<'_>, json: &[u8]) -> Value {
    let mut buf = BytesMut::new();
    call::encode_call_json(desc, json, 1, Protocol::Binary, &keyed(), &mut buf)
        .expect("script args encode");
    let env = call::read_envelope(&buf, Protocol::Binary, &Limits::default()).expect("envelope");
    call::decode_args_value(
        desc,
        &buf[env.body..],
        Protocol::Binary,
        &keyed(),
        &Limits::default(),
    )
    .expect("args decode")
}

/// A `Value` reply rendered as JSON, through the codec.
fn value_reply_json(desc: MethodDescriptor<'_>, reply: &Reply<Value>) -> Reply<String> {
    if matches!(reply, Reply::Void) && desc.is_oneway() {
        return Reply::Void;
    }
    let mut buf = BytesMut::new();
    call::encode_reply_value(
        desc,
        reply,
        0,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .expect("reply encodes");
    call::decode_reply_json(
        desc,
        &buf,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .expect("reply decodes")
}

/// Makes one call in `mode` and describes the outcome as the script does.
pub(crate) async fn call_outcome(
    client: &Client,
    mode: ClientMode,
    protocol: Protocol,
    name: &str,
    args: &Json,
) -> Json {
    let pool = echo_pool();
    let desc = method(&pool, name);
    let bytes = serde_json::to_vec(args).expect("json");
    match mode {
        ClientMode::Json => match client.call_json(name, &bytes).await {
            Ok(reply) => outcome_of_json(reply),
            Err(err) => outcome_of_error(&err),
        },
        ClientMode::Value => {
            let args = value_args(desc, &bytes);
            match client.call_value(name, &args).await {
                Ok(reply) => outcome_of_json(value_reply_json(desc, &reply)),
                Err(err) => outcome_of_error(&err),
            }
        }
        ClientMode::Binary => {
            const SEQ: i32 = -12_345;
            let mut msg = BytesMut::new();
            call::encode_call_json(desc, &bytes, SEQ, protocol, &keyed(), &mut msg)
                .expect("encode");
            match client.call_binary(msg.freeze()).await {
                Ok(reply) if reply.is_empty() => {
                    assert!(desc.is_oneway(), "empty reply to {name}");
                    json!({"result": null})
                }
                Ok(reply) => {
                    let seq = match protocol {
                        Protocol::Binary => thrift::get_seq_id(&reply),
                        Protocol::Compact => thrift::get_compact_seq_id(&reply),
                    }
                    .expect("reply seq id");
                    assert_eq!(seq, SEQ, "binary reply keeps the caller's seq id");
                    let reply = call::decode_reply_json(
                        desc,
                        &reply,
                        protocol,
                        &Options::default(),
                        &Limits::default(),
                        false,
                    )
                    .expect("binary reply decodes");
                    outcome_of_json(reply)
                }
                Err(err) => outcome_of_error(&err),
            }
        }
    }
}

/// Runs every call of the interop script; returns the failures, one line
/// each. `poll_fired`: ask `Fired` again (bounded) until the oneway event
/// shows, for servers that may handle a oneway call after the next call.
pub(crate) async fn run_script(
    client: &Client,
    mode: ClientMode,
    protocol: Protocol,
    event: &str,
    poll_fired: bool,
) -> Vec<String> {
    run_script_with(client, mode, protocol, event, poll_fired, |_, expected| {
        expected
    })
    .await
}

/// [`run_script`] against a server that answers some cases its own way:
/// `adjust(case, expected)` gives the outcome to expect instead.
pub(crate) async fn run_script_with(
    client: &Client,
    mode: ClientMode,
    protocol: Protocol,
    event: &str,
    poll_fired: bool,
    adjust: impl Fn(&str, Json) -> Json,
) -> Vec<String> {
    let script = script();
    let mut failures = Vec::new();
    for call in script["calls"].as_array().expect("calls") {
        let case = call["case"].as_str().expect("case");
        let name = call["call"].as_str().expect("call");
        let args = expand(&call["args"], event);
        let expect = expand(&call["expect"], event);
        let expected = adjust(
            case,
            if expect.get("echo").is_some() {
                json!({"result": echo_of(&args["req"])})
            } else {
                expect.clone()
            },
        );
        let attempts = if poll_fired && expected.get("contains").is_some() {
            100
        } else {
            1
        };
        let mut got = Json::Null;
        let mut ok = false;
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            got = call_outcome(client, mode, protocol, name, &args).await;
            ok = match expected.get("contains").and_then(Json::as_str) {
                Some(item) => got["result"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|x| x.as_str() == Some(item))),
                None => json_eq(&got, &expected),
            };
            if ok {
                break;
            }
        }
        if !ok {
            failures.push(format!("{case} ({mode:?}): got {got}, expected {expected}"));
        }
    }
    failures
}

/// Log lines written by `tracing` in this process.
pub(crate) fn logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = LogBuffer::default();
        let writer = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .try_init();
        buf
    })
}

#[derive(Debug, Clone, Default)]
pub(crate) struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
