//! The echo server (Volo generated `EchoServiceServer`).

use std::{
    io::{Read, Write},
    sync::{Arc, Mutex},
};

use anyhow::{Context, Result};
use pilota::FastStr;
use volo_thrift::{ApplicationException, ApplicationExceptionKind, MaybeException, ServerError};

use crate::{
    idl::echo_gen::echo::{
        EchoRequest, EchoResponse, EchoService, EchoServiceCheckException, EchoServiceEchoException,
        EchoServiceServer,
    },
    json::{echo_error, echo_of, other_error},
};

#[derive(Clone, Default)]
struct Echo {
    fired: Arc<Mutex<Vec<FastStr>>>,
}

impl EchoService for Echo {
    async fn echo(
        &self,
        req: EchoRequest,
    ) -> Result<MaybeException<EchoResponse, EchoServiceEchoException>, ServerError> {
        match req.action.as_deref() {
            Some("throw") => Ok(MaybeException::Exception(EchoServiceEchoException::Err(
                echo_error(42, "requested exception"),
            ))),
            Some("fail") => Err(ApplicationException::new(
                ApplicationExceptionKind::INTERNAL_ERROR,
                "requested application error",
            )
            .into()),
            _ => Ok(MaybeException::Ok(echo_of(&req))),
        }
    }

    async fn add(&self, a: i32, b: i64) -> Result<i64, ServerError> {
        Ok(i64::from(a).wrapping_add(b))
    }

    async fn ping(&self) -> Result<(), ServerError> {
        Ok(())
    }

    async fn fire(&self, event: FastStr) -> Result<(), ServerError> {
        self.fired.lock().expect("fired lock").push(event);
        Ok(())
    }

    async fn fired(&self) -> Result<Vec<FastStr>, ServerError> {
        Ok(self.fired.lock().expect("fired lock").clone())
    }

    async fn check(
        &self,
        s: FastStr,
    ) -> Result<MaybeException<FastStr, EchoServiceCheckException>, ServerError> {
        Ok(match s.as_str() {
            "err" => MaybeException::Exception(EchoServiceCheckException::Err(echo_error(
                7,
                "check rejected",
            ))),
            "other" => MaybeException::Exception(EchoServiceCheckException::Other(other_error(
                "other failure",
            ))),
            _ => MaybeException::Ok(FastStr::new(format!("checked: {s}"))),
        })
    }
}

pub async fn run(addr: &str, exit_on_stdin_eof: bool) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind {addr}"))?;
    let local = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {local}")?;
        out.flush()?;
    }
    if exit_on_stdin_eof {
        std::thread::spawn(|| {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            std::process::exit(0);
        });
    }
    EchoServiceServer::new(Echo::default())
        .run(volo::net::incoming::DefaultIncoming::from(listener))
        .await
        .map_err(|e| anyhow::anyhow!("server: {e}"))
}
