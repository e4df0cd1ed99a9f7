//! The scripted client (Volo generated `EchoServiceClient`).

use std::{io::Write, net::SocketAddr, time::Duration};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use volo_thrift::{ClientError, MaybeException, codec::default::DefaultMakeCodec};

use crate::{
    idl::echo_gen::echo::{
        EchoServiceCheckException, EchoServiceClient, EchoServiceClientBuilder,
        EchoServiceEchoException,
    },
    json::{
        echo_error_to_json, echo_of, expand, get_i64, get_str, json_eq, other_error_to_json,
        request_from_json, response_to_json,
    },
};

const SCRIPT: &str = include_str!("../../../testdata/interop/script.json");

/// How often `Fired` is asked again before a missing event counts as a failure.
const FIRED_ATTEMPTS: u32 = 200;
const FIRED_PAUSE: Duration = Duration::from_millis(10);

fn result(v: Value) -> Value {
    json!({ "result": v })
}

fn exception(name: &str, v: Value) -> Value {
    json!({ "exception": name, "value": v })
}

fn client_error(e: &ClientError) -> Value {
    match e {
        ClientError::Application(a) => json!({
            "app_error": { "type": a.kind().as_i32(), "message": a.message().as_str() }
        }),
        other => json!({ "error": other.to_string() }),
    }
}

fn outcome<T>(r: Result<T, ClientError>, ok: impl FnOnce(T) -> Value) -> Value {
    match r {
        Ok(v) => ok(v),
        Err(e) => client_error(&e),
    }
}

fn contains(outcome: &Value, item: &str) -> bool {
    outcome
        .get("result")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().any(|x| x.as_str() == Some(item)))
}

async fn resolve(addr: &str) -> Result<SocketAddr> {
    tokio::net::lookup_host(addr)
        .await
        .with_context(|| format!("resolve {addr}"))?
        .next()
        .with_context(|| format!("resolve {addr}: no address"))
}

pub async fn run(addr: &str, transport: &str) -> Result<bool> {
    let script: Value = serde_json::from_str(SCRIPT).context("parse script.json")?;
    let calls = script["calls"].as_array().context("script.json: calls")?;
    let target = resolve(addr).await?;
    let builder = EchoServiceClientBuilder::new("EchoService")
        .address(target)
        .rpc_timeout(Some(Duration::from_secs(10)))
        .connect_timeout(Some(Duration::from_secs(5)));
    let client: EchoServiceClient = match transport {
        "ttheader" => builder.build(),
        "framed" => builder.make_codec(DefaultMakeCodec::framed()).build(),
        "buffered" => builder.make_codec(DefaultMakeCodec::buffered()).build(),
        other => bail!("unknown transport {other:?} (ttheader|framed|buffered)"),
    };

    let event = format!(
        "volo-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let (mut passed, mut failed) = (0u32, 0u32);
    for call in calls {
        let case = call["case"].as_str().unwrap_or("?");
        let name = call["call"].as_str().context("script: call")?;
        let args = expand(&call["args"], &event)?;
        let expect = expand(&call["expect"], &event)?;

        let mut expected = expect.clone();
        let got = match name {
            "Ping" => outcome(client.ping().await, |()| result(Value::Null)),
            "Add" => {
                let a = i32::try_from(get_i64(&args["a"], "a")?).context("a")?;
                let b = get_i64(&args["b"], "b")?;
                outcome(client.add(a, b).await, |v| result(json!(v)))
            }
            "Echo" => {
                let req = request_from_json(&args["req"])?;
                if expect.get("echo").is_some() {
                    expected = result(response_to_json(&echo_of(&req)));
                }
                outcome(client.echo(req).await, |v| match v {
                    MaybeException::Ok(r) => result(response_to_json(&r)),
                    MaybeException::Exception(EchoServiceEchoException::Err(e)) => {
                        exception("err", echo_error_to_json(&e))
                    }
                })
            }
            "Check" => {
                let s = get_str(&args["s"], "s")?;
                outcome(client.check(s).await, |v| match v {
                    MaybeException::Ok(r) => result(json!(r.as_str())),
                    MaybeException::Exception(EchoServiceCheckException::Err(e)) => {
                        exception("err", echo_error_to_json(&e))
                    }
                    MaybeException::Exception(EchoServiceCheckException::Other(e)) => {
                        exception("other", other_error_to_json(&e))
                    }
                })
            }
            "Fire" => {
                let e = get_str(&args["event"], "event")?;
                outcome(client.fire(e).await, |()| result(Value::Null))
            }
            "Fired" => {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let got = outcome(client.fired().await, |v| {
                        result(json!(v.iter().map(|x| x.as_str()).collect::<Vec<_>>()))
                    });
                    let waiting = expect
                        .get("contains")
                        .and_then(Value::as_str)
                        .is_some_and(|item| got.get("result").is_some() && !contains(&got, item));
                    if !waiting || attempt >= FIRED_ATTEMPTS {
                        break got;
                    }
                    tokio::time::sleep(FIRED_PAUSE).await;
                }
            }
            other => bail!("script: unknown method {other}"),
        };

        let ok = match expect.get("contains").and_then(Value::as_str) {
            Some(item) => contains(&got, item),
            None => json_eq(&got, &expected),
        };
        let mut line = Map::new();
        line.insert("case".into(), json!(case));
        line.insert("call".into(), json!(name));
        line.insert("ok".into(), json!(ok));
        if let Value::Object(m) = got {
            line.extend(m);
        }
        if !ok {
            line.insert("expected".into(), expected);
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", Value::Object(line))?;
        out.flush()?;
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    eprintln!("volo-peer client ({transport}): {passed} passed, {failed} failed");
    Ok(failed == 0)
}
