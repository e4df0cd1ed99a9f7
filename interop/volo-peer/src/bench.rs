//! The load client of bench/run: Volo's generated `EchoServiceClient` calling
//! `Echo` with one ~1 KB request, built once from JSON and cloned per call
//! (`FastStr` and `Bytes` fields clone by reference count), replies fully
//! decoded by the generated code. The load loop is `bench/load.rs`, shared
//! with the raw TCP baseline, and measures the way `anycall bench` does.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use volo_thrift::{MaybeException, codec::default::DefaultMakeCodec};

use crate::{
    idl::echo_gen::echo::{EchoServiceClient, EchoServiceClientBuilder},
    json::request_from_json,
    load,
};

/// What `volo-peer bench` was given.
pub struct BenchArgs {
    pub addr: String,
    pub transport: String,
    pub data: String,
    pub concurrency: usize,
    pub stop: load::Stop,
}

pub async fn run(a: BenchArgs) -> Result<bool> {
    let text = std::fs::read_to_string(&a.data).with_context(|| format!("read {}", a.data))?;
    let json: serde_json::Value = serde_json::from_str(&text).context("parse the request JSON")?;
    let req = request_from_json(&json)?;
    let target = tokio::net::lookup_host(&a.addr)
        .await
        .with_context(|| format!("resolve {}", a.addr))?
        .next()
        .with_context(|| format!("resolve {}: no address", a.addr))?;
    let builder = EchoServiceClientBuilder::new("EchoService")
        .address(target)
        .rpc_timeout(Some(Duration::from_secs(5)))
        .connect_timeout(Some(Duration::from_secs(1)));
    let client: EchoServiceClient = match a.transport.as_str() {
        "ttheader" => builder.build(),
        "framed" => builder.make_codec(DefaultMakeCodec::framed()).build(),
        "buffered" => builder.make_codec(DefaultMakeCodec::buffered()).build(),
        other => bail!("unknown transport {other:?} (ttheader|framed|buffered)"),
    };

    // One call first, as `anycall bench` does: fail fast, and warm the pool.
    match client.echo(req.clone()).await {
        Ok(MaybeException::Ok(_)) => {}
        Ok(MaybeException::Exception(e)) => bail!("the first call failed: exception {e:?}"),
        Err(e) => bail!("the first call failed: {e}"),
    }
    let make = |_| {
        let (client, req) = (client.clone(), req.clone());
        move || {
            let (client, req) = (client.clone(), req.clone());
            async move {
                match client.echo(req).await {
                    Ok(MaybeException::Ok(_)) => Ok(()),
                    Ok(MaybeException::Exception(e)) => Err(format!("exception {e:?}")),
                    Err(e) => Err(e.to_string()),
                }
            }
        }
    };
    let line = load::run("volo/EchoService/Echo", a.concurrency, a.stop, make).await;
    println!("{line}");
    Ok(!line.contains("\"ok\":0,"))
}
